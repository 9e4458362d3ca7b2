# syntax=docker/dockerfile:1
# pubbot container image: `bot run` (the feed daemon) by default, any `bot …` command otherwise.
#
#   docker build -t pubbot .                       # online: wheels come from the package index
#   scripts/container-smoke                        # offline: podman, local base, host-built wheels
#
# Build arguments
#   BASE    the Python 3.11 Debian image; the official one for real builds, a local
#           stand-in (scripts/build-base-image) when no registry is reachable.
#   WHEELS  "index": resolve and build the wheels inside the build (needs network);
#           "context": install only the wheels in build/wheels/ of the build context
#           (made beforehand, e.g. by scripts/container-smoke; no network needed).
#           With podman/buildah pass --build-arg WHEELS=... explicitly: buildah 1.28 does
#           not apply an ARG's default to a FROM that names a stage.
#   Build with --format docker under podman: the OCI format drops HEALTHCHECK.
#
# PID 1 is tini: it reaps zombies and forwards SIGTERM to the bot (a bare PID 1 ignores every
# signal it has no handler for, so any `bot` command would otherwise wait for SIGKILL). The
# daemon handles SIGTERM itself: it starts no new job and lets running ones finish for up to
# 25 s, so give it a longer stop timeout (`docker run --stop-timeout 30`, compose's
# stop_grace_period) than Docker's default 10 s.
ARG BASE=python:3.11-slim-bookworm
ARG WHEELS=index

FROM ${BASE} AS base
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# -- wheels, variant 1: from the package index (online builds) ------------------------------
FROM base AS wheels-index
WORKDIR /src
COPY pyproject.toml ./
COPY bot/ bot/
# README.md is named by pyproject.toml; an empty stand-in keeps the build going without it.
RUN touch README.md \
    && python3 -m venv /opt/wheel-venv \
    && /opt/wheel-venv/bin/pip wheel --wheel-dir /wheels ".[postgres]"

# -- wheels, variant 2: prepared beforehand in the build context (offline builds) -----------
FROM scratch AS wheels-context
COPY build/wheels/ /wheels/

# A stage of this file chosen by WHEELS, not a registry image: nothing to tag.
# hadolint ignore=DL3006
FROM wheels-${WHEELS} AS wheels

# -- build: a virtual environment with the bot and its dependencies -------------------------
FROM base AS build
COPY --from=wheels /wheels/ /wheels/
# setuptools stays: twitter-text-parser imports pkg_resources at run time. pip goes.
# Only the YouTube discovery document is used (googleapiclient builds "youtube" "v3" from its
# bundled copy); the other ~500 documents are 100 MB the image does not need.
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels "pubbot[postgres]" \
    && /opt/venv/bin/pip uninstall --yes pip \
    && find /opt/venv/lib/python3.11/site-packages/googleapiclient/discovery_cache/documents \
        -type f ! -name 'youtube.*' -delete

# -- runtime -------------------------------------------------------------------------------
FROM base AS runtime
# tini (init) and tzdata (IANA zones for posting windows) come with the local stand-in base;
# the official slim image lacks them, so install them only where they are missing.
# hadolint ignore=DL3008
RUN if ! command -v tini >/dev/null || [ ! -e /usr/share/zoneinfo/UTC ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends tini tzdata \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && useradd --no-log-init --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin bot \
    && install -d -o bot -g bot -m 0750 /data
COPY --from=build /opt/venv /opt/venv

# BOT_SECRETS_DIRS is a folder list, not a secret; the secrets themselves are mounted files.
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    BOT_DATA_DIR=/data \
    BOT_SECRETS_DIRS=/data/secrets \
    BOT_HEALTH__HOST=0.0.0.0 \
    BOT_HEALTH__PORT=8787
WORKDIR /data
VOLUME ["/data"]
# Numeric, so runtimes that enforce non-root (runAsNonRoot) can check it.
USER 10001:10001
EXPOSE 8787

# No curl in the image: ask /healthz with the standard library, bypassing any proxy settings.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('BOT_HEALTH__PORT', '8787'), timeout=4)"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["bot", "run"]
