"""Permission and path problems are configuration errors: one line naming the path and the
fix, exit 2, never ``internal error`` - as root without its override, as the image's user
10001, and as an arbitrary uid in group 0 (OpenShift)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.privileges import as_user, run_bot, without_dac

FEED = "feeds: [{name: f, url: 'https://example.org/feed'}]\n"
IMAGE_UID = 10001
OPENSHIFT_UID = 1000680000


def one_config_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("config error: "), lines[0]
    return lines[0]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder anyone may enter, as a bind-mounted volume would be."""
    tmp_path.chmod(0o755)
    return tmp_path


def test_an_unreadable_secret_file_names_the_file_and_the_fix(site: Path) -> None:
    secrets = site / "secrets"
    token = secrets / "credentials" / "x" / "access_token"
    token.parent.mkdir(parents=True)
    token.write_text("t0ken\n")
    token.chmod(0)
    other = secrets / "postgres_password"  # another service's secret: not ours to read
    other.write_text("pw\n")
    other.chmod(0)
    # a live X account (it has credentials) needs feeds of its own
    (site / "config").mkdir()
    (site / "config" / "bot.yaml").write_text(FEED)
    res = run_bot(without_dac(), "config", "check", cwd=site,
                  env={"BOT_SECRETS_DIRS": str(secrets)})
    line = one_config_error(res)
    assert f"secret file {token}: cannot read it as uid {os.geteuid()}" in line
    assert line.endswith(f"fix: chmod u+r {token}")
    assert "t0ken" not in res.stderr and "postgres_password" not in res.stderr

    token.chmod(0o600)  # fixed: the unrelated unreadable file does not get in the way
    ok = run_bot(without_dac(), "config", "show", "--json", cwd=site,
                 env={"BOT_SECRETS_DIRS": str(secrets)})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["credentials"]["x"]["access_token"] == "**********"


def test_an_unreadable_secrets_folder_is_not_silently_skipped(site: Path) -> None:
    secrets = site / "secrets"
    folder = secrets / "credentials" / "x"
    folder.mkdir(parents=True)
    (folder / "access_token").write_text("t0ken\n")
    folder.chmod(0)
    try:
        res = run_bot(without_dac(), "config", "check", cwd=site,
                      env={"BOT_SECRETS_DIRS": str(secrets)})
    finally:
        folder.chmod(0o700)
    line = one_config_error(res)
    assert f"secrets folder {folder}: cannot read it" in line
    assert line.endswith(f"fix: chmod u+rx {folder}")


def test_an_unreadable_config_file(site: Path) -> None:
    cfg = site / "bot.yaml"
    cfg.write_text(FEED)
    cfg.chmod(0)
    line = one_config_error(run_bot(without_dac(), "--config", str(cfg), "status", cwd=site))
    assert f"config file {cfg}: cannot read it" in line and f"chmod u+r {cfg}" in line


def test_an_unreadable_dotenv_file(site: Path) -> None:
    env_file = site / ".env"
    env_file.write_text("BOT_CREDENTIALS__X__ACCESS_TOKEN=t0ken\n")
    env_file.chmod(0)
    res = run_bot(without_dac(), "config", "check", cwd=site)
    line = one_config_error(res)
    assert line == ("config error: settings file .env: cannot read it as uid "
                    f"{os.geteuid()} (gid {os.getegid()}); fix: chmod u+r .env")
    assert "t0ken" not in res.stderr


@pytest.mark.parametrize("command", [["status"], ["run"], ["db", "upgrade"]])
def test_a_data_dir_owned_by_root_for_the_images_user(site: Path, command: list[str]) -> None:
    """A bind mount made by root (``docker run -v ./data:/data``) and the image's uid."""
    data = site / "data"
    data.mkdir(mode=0o755)
    res = run_bot(as_user(IMAGE_UID, IMAGE_UID), *command, cwd=site,
                  env={"BOT_DATA_DIR": str(data)})
    line = one_config_error(res)
    assert f"data_dir {data}: cannot write there as uid {IMAGE_UID} (gid {IMAGE_UID})" in line
    assert f"fix: chown {IMAGE_UID} {data}" in line
    assert not (data / "bot.db").exists()


def test_a_data_dir_that_cannot_be_created_names_the_parent(site: Path) -> None:
    parent = site / "volume"
    parent.mkdir(mode=0o755)
    data = parent / "pubbot" / "data"
    line = one_config_error(run_bot(as_user(IMAGE_UID, IMAGE_UID), "status", cwd=site,
                                    env={"BOT_DATA_DIR": str(data)}))
    assert f"data_dir {data}: cannot create it: {parent} is not writable" in line
    assert f"chown {IMAGE_UID} {parent}" in line


def test_a_ledger_file_of_another_user(site: Path) -> None:
    data = site / "data"
    data.mkdir()
    made = run_bot([], "db", "upgrade", cwd=site, env={"BOT_DATA_DIR": str(data)})
    assert made.returncode == 0, made.stderr  # bot.db now belongs to this (root) process
    data.chmod(0o777)
    line = one_config_error(run_bot(as_user(IMAGE_UID, IMAGE_UID), "status", cwd=site,
                                    env={"BOT_DATA_DIR": str(data)}))
    db = data / "bot.db"
    assert f"data_dir {db}: cannot write the ledger as uid {IMAGE_UID}" in line
    assert f"chown {IMAGE_UID} {db}" in line


def test_an_arbitrary_uid_in_group_0_needs_a_group_writable_volume(site: Path) -> None:
    """OpenShift runs the image as a random uid whose group is 0: a volume owned by root
    and writable by its group works, as the image's /data (10001:0, mode 0770) does."""
    data = site / "data"
    data.mkdir(mode=0o755)
    os.chown(data, 0, 0)
    user = as_user(OPENSHIFT_UID, 0)
    env = {"BOT_DATA_DIR": str(data)}
    line = one_config_error(run_bot(user, "status", cwd=site, env=env))
    assert f"cannot write there as uid {OPENSHIFT_UID} (gid 0)" in line
    assert line.endswith(f"fix: chmod g+rwx {data}, or chown {OPENSHIFT_UID} {data}")

    data.chmod(0o770)  # what the message says (and what the image does for /data)
    res = run_bot(user, "db", "upgrade", cwd=site, env=env)
    assert res.returncode == 0, res.stderr
    assert (data / "bot.db").stat().st_uid == OPENSHIFT_UID
    status = run_bot(user, "status", cwd=site, env=env)
    assert status.returncode == 0, status.stderr


def test_a_file_where_the_data_dir_should_be(site: Path) -> None:
    blocker = site / "data"
    blocker.write_text("not a folder\n")
    line = one_config_error(run_bot([], "status", cwd=site, env={"BOT_DATA_DIR": str(blocker)}))
    assert f"data_dir {blocker}: is a file, not a folder" in line
    inside = blocker / "sub"
    line = one_config_error(run_bot([], "status", cwd=site, env={"BOT_DATA_DIR": str(inside)}))
    assert f"data_dir {inside}" in line and "a file is in the way" in line


def test_a_secrets_dir_bot_auth_cannot_write(site: Path) -> None:
    from bot.adapters.auth import write_secret
    from bot.errors import ConfigError

    blocker = site / "tokens"
    blocker.write_text("a file, not a folder\n")
    with pytest.raises(ConfigError) as info:
        write_secret(blocker, "x", "access_token", "t0ken")
    assert str(info.value).startswith(f"secrets_dir {blocker}")
    assert "a file is in the way" in str(info.value) and "t0ken" not in str(info.value)
