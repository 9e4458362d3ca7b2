"""`bot accounts check` through the real command, against the fake platforms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_live_post import Live, live_platforms

DAY = 86400


@pytest.fixture
def expires_at() -> int:
    """When the fake Page token expires: far enough that the default 7 days do not warn."""
    return int(time.time()) + 40 * DAY


@pytest.fixture
def live(tmp_path: Path, expires_at: int) -> Iterator[Live]:
    with live_platforms(tmp_path, fb={"token_expires_at": expires_at}) as platforms:
        # an account with no credentials: a dry run, shown as such and not checked
        platforms.accounts.append(
            {"name": "draft", "platform": "facebook", "api_base": platforms.fb.url}
        )
        yield platforms


def checks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["account"]: c for c in doc["accounts"]}


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows by account (first line of each row; cells stripped)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0]:
            rows[cells[0]] = cells
    return rows


def test_all_accounts_ok(live: Live, expires_at: int) -> None:
    doc = live.run_json("accounts", "check")
    got = checks(doc)
    assert list(got) == ["x", "fb", "yt", "ytc", "draft"]
    assert all(c["ok"] and c["error"] is None and c["warning"] is None for c in got.values())
    assert {n: c["mode"] for n, c in got.items()} == {
        "x": "live",
        "fb": "live",
        "yt": "live",
        "ytc": "live",
        "draft": "dry run",
    }
    assert got["x"]["identity"] == f"@{live.x.user['username']} ({live.x.user['id']})"
    assert got["fb"]["identity"] == f"{live.fb.page_name} ({live.fb.page_id})"
    assert got["ytc"]["identity"] == f"{live.yt.channel_title} ({live.yt.channel_id})"
    assert "hand-off" in got["yt"]["identity"]  # no Data API credentials: nothing to ask
    assert "dry run" in got["draft"]["identity"]
    # the Page token's expiry is what debug_token said
    assert datetime.fromisoformat(got["fb"]["expires_at"]) == datetime.fromtimestamp(
        expires_at, UTC
    )
    assert all(got[n]["expires_at"] is None for n in ("x", "yt", "ytc", "draft"))
    # the platforms were really asked, with the app's credentials for debug_token
    assert live.x.calls("GET", "/2/users/me")
    debug = live.fb.calls("GET", r"/debug_token$")
    assert debug and debug[0].q("access_token") == (
        f"{live.creds['fb']['app_id']}|{live.creds['fb']['app_secret']}"
    )
    assert live.yt.calls("GET", "/youtube/v3/channels")
    assert len(live.fb.calls("GET")) == 2  # the dry-run account was not checked

    res = live.run("accounts", "check", env={"COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    rows = table_rows(res.stdout)
    assert rows["x"][2:5] == ["live", "ok", "@pubbot (1001)"]
    assert rows["fb"][4] == f"{live.fb.page_name} ({live.fb.page_id})"
    assert rows["fb"][5] == datetime.fromtimestamp(expires_at, UTC).date().isoformat()
    assert rows["ytc"][4] == f"{live.yt.channel_title} ({live.yt.channel_id})"
    assert rows["draft"][2:4] == ["dry run", "ok"]


def test_one_failing_account_fails_the_check(live: Live) -> None:
    live.creds["x"]["access_token"] = "1001-an-access-token-X-never-issued"
    doc = live.run_json("accounts", "check", code=1)
    got = checks(doc)
    assert not got["x"]["ok"]
    assert "HTTP 401" in got["x"]["error"] and "x account 'x'" in got["x"]["error"]
    assert all(got[n]["ok"] for n in ("fb", "yt", "ytc", "draft"))

    res = live.run("accounts", "check", env={"COLUMNS": "80"})
    assert res.returncode == 1
    assert table_rows(res.stdout)["x"][3] == "FAILED"
    # the error is in the table, folded over lines but whole
    cells = "".join(
        line.split("│")[-2].strip() for line in res.stdout.splitlines() if line.count("│") > 2
    )
    assert got["x"]["error"].replace(" ", "") in cells.replace(" ", "")


@pytest.mark.parametrize("expires_at", [int(time.time()) + 8 * DAY + 3600])
def test_token_expiring_soon_warns(live: Live, expires_at: int) -> None:
    # 8 days left: quiet with the default (7 days) ...
    assert checks(live.run_json("accounts", "check", "--account", "fb"))["fb"]["warning"] is None
    # ... but a warning once scheduler.token_expiry_warn_days reaches it
    live.settings["scheduler"] = {"token_expiry_warn_days": 10}
    doc = live.run_json("accounts", "check", "--account", "fb")
    assert list(checks(doc)) == ["fb"]
    fb = checks(doc)["fb"]
    assert fb["ok"]
    day = datetime.fromtimestamp(expires_at, UTC).date().isoformat()
    assert fb["warning"] == f"token expires in 8 days ({day})"
    res = live.run("accounts", "check", "--account", "fb", env={"COLUMNS": "200"})
    assert res.returncode == 0  # a warning is not a failure
    assert table_rows(res.stdout)["fb"][6] == fb["warning"]
    assert "renew it with `bot auth facebook --account fb`" in res.stderr
