"""The image itself, where a container engine exists (the files alone are checked by
test_container_files.py everywhere).

* rootful **podman**: ``scripts/container-smoke`` end to end (offline build, dry run, daemon
  until healthy, kill -9 and restart with the same pid, SIGHUP, an arbitrary uid in group 0,
  a root-owned bind mount, the OCI format with compose.yaml's healthcheck, clean stop), then
  ``scripts/desk-container-smoke`` (the editor's desk inside that image);
* a **Docker** daemon: ``docker build`` from the package index, then ``bot --version``
  against the OCI label and a dry-run post inside the image.

Slow (minutes; the layer cache makes later runs quicker): marked ``slow``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def _docker_daemon() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=60,
                          check=False).returncode == 0


def _engine() -> str:
    if shutil.which("podman") and os.geteuid() == 0:
        return "podman"
    if _docker_daemon():
        return "docker"
    pytest.skip("no container engine here (rootful podman or a Docker daemon): only the "
                "container files are checked (test_container_files.py)")


def test_the_image_builds_and_runs(tmp_path: Path) -> None:
    engine = _engine()
    tag = "localhost/pubbot:test-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
    if engine == "podman":
        _smoke(tag)
        _desk_smoke(tag)
    else:
        _docker(tag, tmp_path)


def _smoke(tag: str) -> None:
    env = {**os.environ, "IMAGE": tag, "SMOKE_NO_INSTALL": "1"}
    env.pop("SMOKE_POSTGRES", None)
    proc = subprocess.run([str(ROOT / "scripts" / "container-smoke")], env=env,
                          capture_output=True, text=True, timeout=3500, check=False)
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert proc.stdout.rstrip().endswith("container-smoke: OK"), tail
    summary = proc.stdout[proc.stdout.index("== summary"):]
    for step in ("version", "healthy after", "restart after kill -9", "SIGHUP",
                 "uid 1000680000:0", "root-owned bind mount", "OCI + compose check",
                 "stopped after"):
        assert step in summary, summary
    assert not (ROOT / "build" / "wheels").exists()  # nothing left for a later docker build


def _desk_smoke(tag: str) -> None:
    """The editor's desk in that image: sign in, the sample articles awaiting review, approve
    one, a clean stop (``scripts/desk-container-smoke``)."""
    proc = subprocess.run([str(ROOT / "scripts" / "desk-container-smoke")],
                          env={**os.environ, "IMAGE": tag}, capture_output=True, text=True,
                          timeout=600, check=False)
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert "queue showed 4 awaiting review; delivery 1 approved" in proc.stdout, tail
    assert proc.stdout.rstrip().endswith("desk-container-smoke: ok"), tail


def _docker(tag: str, tmp_path: Path) -> None:
    def docker(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", *args], capture_output=True, text=True,
                              timeout=timeout, check=False)

    built = docker("build", "--tag", tag, str(ROOT))
    assert built.returncode == 0, built.stderr[-4000:]
    try:
        labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}",
                                   tag).stdout)
        version = docker("run", "--rm", tag, "bot", "--version")
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"pubbot {labels['org.opencontainers.image.version']}"
        article = tmp_path / "article.md"
        article.write_text("---\ntitle: The night train returns\nurl: https://example.org/a\n"
                           "---\nThe night train to the coast returns in June after a "
                           "five-year break. Tickets go on sale next week.\n")
        article.chmod(0o644)
        dry = docker("run", "--rm", "--network=none", "-v", f"{article}:/a.md:ro", tag,
                     "bot", "post", "--dry-run", "/a.md")
        assert dry.returncode == 0, dry.stderr
    finally:
        docker("image", "rm", "--force", tag, timeout=300)
