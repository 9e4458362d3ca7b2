"""Run the real `bot` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def bot(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.setdefault("BOT_SECRETS_DIRS", "/nonexistent-secrets")
    full_env["COLUMNS"] = "120"
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def bot_json(*args: str, **kw: Any) -> dict[str, Any]:
    res = bot(*args, "--json", **kw)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict)
    return doc


def assert_clean_failure(res: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """One clear line on stderr, the expected exit code, no traceback."""
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def terminate(proc: subprocess.Popen[bytes], timeout: float = 20) -> int | None:
    """SIGTERM a `bot run`, wait up to ``timeout`` s; its exit code, or None when it had to
    be killed."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
