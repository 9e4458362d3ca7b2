# syntax=docker/dockerfile:1
# pubbot container image: `bot run` (the feed daemon) by default, any `bot …` command otherwise.
#
#   docker build -t pubbot .                       # or: podman build -t pubbot .
#   docker compose up -d                           # or: podman-compose up -d (compose.yaml)
#   scripts/container-smoke                        # offline: podman, local base, host-built wheels
#
# No build argument is needed. Optional ones:
#   BASE     the Python 3.11 Debian image; the official one for real builds, a local stand-in
#            (scripts/build-base-image) when no registry is reachable.
#   VERSION  the version in the OCI labels; the default is the package's (pyproject.toml).
# Wheels: when build/wheels/ holds wheels (scripts/container-smoke puts the bot's and its
# dependencies' there for an offline build), the image is built from them and nothing is
# downloaded; otherwise (a fresh clone) they come from the package index.
# podman builds OCI images by default, and the OCI format has no HEALTHCHECK: compose.yaml
# repeats the check for that reason (or build with --format docker).
#
# Any uid: the image runs as uid 10001 in group 0, and /data belongs to 10001:0 with the
# group allowed to write, so an arbitrary uid in group 0 (OpenShift) can use it as well.
#
# PID 1 is tini: it reaps zombies and forwards SIGTERM to the bot (a bare PID 1 ignores every
# signal it has no handler for, so any `bot` command would otherwise wait for SIGKILL). The
# daemon handles SIGTERM (and SIGHUP) itself: it starts no new job and lets running ones finish
# for up to 25 s, so give it a longer stop timeout (`docker run --stop-timeout 30`, compose's
# stop_grace_period) than Docker's default 10 s.
ARG BASE=python:3.11-slim-bookworm
ARG VERSION=0.1.0

FROM ${BASE} AS base
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# -- wheels: prepared in build/wheels/ (offline), else from the package index ----------------
FROM base AS wheels
WORKDIR /src
COPY pyproject.toml ./
COPY bot/ bot/
# build/wheel[s]/ may match nothing (a fresh clone): the copy then brings only pyproject.toml.
COPY pyproject.toml build/wheel[s]/ /prepared/
# README.md is named by pyproject.toml; an empty stand-in keeps the build going without it.
RUN if ls /prepared/*.whl >/dev/null 2>&1; then \
        echo "using the wheels prepared in build/wheels/" && mv /prepared /wheels; \
    else \
        touch README.md \
        && python3 -m venv /opt/wheel-venv \
        && /opt/wheel-venv/bin/pip wheel --wheel-dir /wheels ".[postgres]"; \
    fi

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
    && useradd --no-log-init --uid 10001 --gid 0 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin bot \
    && install -d -o 10001 -g 0 -m 0770 /data
COPY --from=build /opt/venv /opt/venv
ARG BASE
ARG VERSION
LABEL org.opencontainers.image.title="pubbot" \
      org.opencontainers.image.description="Announces published articles on X, Facebook Pages and YouTube: once, on time." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE}"

# BOT_SECRETS_DIRS is a folder list, not a secret; the secrets themselves are mounted files.
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    BOT_DATA_DIR=/data \
    BOT_SECRETS_DIRS=/data/secrets \
    BOT_HEALTH__HOST=0.0.0.0 \
    BOT_HEALTH__PORT=8787
WORKDIR /data
VOLUME ["/data"]
# Numeric, so runtimes that enforce non-root (runAsNonRoot) can check it; group 0 for the
# arbitrary-uid case above.
USER 10001:0
EXPOSE 8787

# No curl in the image: bot.scheduler.probe asks /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.scheduler.probe"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["bot", "run"]
