"""`bot run` on the embedded defaults: the sample feed is "posted" in dry run, once each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import ROOT, bot

SAMPLE_ITEMS = 4  # items in bot/data/sample-feed.xml
ACCOUNTS = 3  # the embedded default accounts


def start_daemon(data_dir: Path, port: int = 0) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "BOT_DATA_DIR": str(data_dir),
            "BOT_SECRETS_DIRS": "/nonexistent",
            "BOT_HEALTH__PORT": str(port),
            "BOT_LOG_FORMAT": "json",
            "BOT_SCHEDULER__DISPATCH_INTERVAL_SECONDS": "0.2",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=data_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def status(data_dir: Path) -> dict:
    res = bot("status", "--json", env={"BOT_DATA_DIR": str(data_dir)}, cwd=data_dir)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def wait_for_previewed(data_dir: Path, n: int, timeout: float = 60) -> dict:
    """Dry-run accounts: each delivery ends previewed (nothing was sent)."""
    deadline = time.monotonic() + timeout
    doc: dict = {}
    while time.monotonic() < deadline:
        doc = status(data_dir)
        done = sum(a["counts"].get("previewed", 0) for a in doc["accounts"])
        if done >= n:
            return doc
        time.sleep(0.5)
    raise AssertionError(f"only {doc} after {timeout}s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError("daemon did not stop within 15 s of SIGTERM") from None
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.mark.slow
def test_sample_feed_is_posted_once_and_restart_posts_nothing(tmp_path: Path) -> None:
    proc = start_daemon(tmp_path)
    try:
        doc = wait_for_previewed(tmp_path, SAMPLE_ITEMS * ACCOUNTS)
    finally:
        code, err = stop(proc)
    assert code == 0, err[-2000:]
    for a in doc["accounts"]:
        assert a["counts"] == {"previewed": SAMPLE_ITEMS}, a  # never "sent": nothing left
        assert a["mode"] == "dry run" and a["waiting_for_decision"] == 0
    # the dry-run text was logged: JSON lines, one per post
    lines = [json.loads(ln) for ln in err.splitlines() if ln.startswith("{")]
    would = [ln for ln in lines if "would send" in ln.get("msg", "")]
    assert len(would) == SAMPLE_ITEMS * ACCOUNTS
    assert not any("Published By" in ln["msg"] for ln in would)

    proc = start_daemon(tmp_path)
    try:
        time.sleep(4)
        again = status(tmp_path)
    finally:
        code, _ = stop(proc)
    assert code == 0
    assert [a["counts"] for a in again["accounts"]] == [a["counts"] for a in doc["accounts"]]
