"""Settings: YAML, environment, .env, secrets directory, validation messages, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, masked_dump
from bot.errors import ConfigError


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_embedded_defaults_are_three_dry_run_accounts_and_the_sample_feed() -> None:
    s = load_settings()
    assert [(a.name, a.platform) for a in s.accounts] == [
        ("x", "twitter"),
        ("facebook", "facebook"),
        ("youtube", "youtube"),
    ]
    assert all(s.is_dry_run(a) for a in s.accounts)
    assert len(s.feeds) == 1 and Path(s.feeds[0].url).is_file()


def test_yaml_then_env_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "bot.yaml", "site_name: From YAML\nhealth: {port: 9001}\n")
    assert load_settings(cfg).site_name == "From YAML"
    monkeypatch.setenv("BOT_SITE_NAME", "From env")
    monkeypatch.setenv("BOT_HEALTH__PORT", "9100")
    s = load_settings(cfg)
    assert s.site_name == "From env"
    assert s.health.port == 9100


def test_bot_config_env_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "other.yaml", "site_name: Via BOT_CONFIG\n")
    monkeypatch.setenv("BOT_CONFIG", str(cfg))
    assert load_settings().site_name == "Via BOT_CONFIG"


def test_dotenv_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / ".env", "BOT_SITE_NAME=From dotenv\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().site_name == "From dotenv"


def test_nested_secrets_directory_feeds_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sec = tmp_path / "secrets"
    write(sec / "credentials" / "x" / "access_token", "tok-123456")
    write(sec / "credentials" / "x" / "consumer_key", "ck-abcdef")
    monkeypatch.setenv("BOT_SECRETS_DIRS", str(sec))
    s = load_settings(feeds=[])  # x is live: its feeds must be said (here: none)
    creds = s.creds("x")
    assert creds.access_token is not None
    assert creds.access_token.get_secret_value() == "tok-123456"
    assert not s.is_dry_run(s.account("x"))  # credentials present: live by default
    assert s.is_dry_run(s.account("facebook"))


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CREDENTIALS__FACEBOOK__PAGE_TOKEN", "EAAG-secret-value")
    s = load_settings(accounts=[{"name": "facebook", "platform": "facebook", "page_id": "42"}],
                      feeds=[])
    assert s.creds("facebook").page_token is not None


def test_masked_dump_never_contains_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CREDENTIALS__X__ACCESS_TOKEN", "sentinel-token-987")
    monkeypatch.setenv("BOT_DATABASE_URL", "postgresql+psycopg://bot:pw-sentinel@db/bot")
    dumped = str(masked_dump(load_settings(feeds=[])))
    assert "sentinel-token-987" not in dumped
    assert "pw-sentinel" not in dumped
    assert "postgresql+psycopg://bot:********@db/bot" in dumped


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("accounts: [{name: x, platform: myspace}]", "accounts.0.platform"),
        ("accounts: [{name: x, platform: twitter, timezone: Mars/Base}]", "unknown time zone"),
        ("accounts: [{name: 'Bad Name', platform: twitter}]", "accounts.0.name"),
        ("nonsense_key: 1", "nonsense_key: unknown setting"),
        ("health: {port: 99999}", "health.port"),
        ("feeds: [{name: a, url: 'x', accounts: [nobody]}]", "no account named 'nobody'"),
        ("accounts: [{name: a, platform: twitter}, {name: a, platform: facebook}]", "used twice"),
        ("accounts: [{name: fb, platform: facebook, dry_run: false}]", "needs its Page id"),
    ],
)
def test_invalid_config_names_each_problem(tmp_path: Path, yaml_text: str, expected: str) -> None:
    cfg = write(tmp_path / "bad.yaml", yaml_text + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert any(expected in line for line in info.value.problems), info.value.problems
    assert all("\n" not in line for line in info.value.problems)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "broken.yaml", "site_name: ok\naccounts: [\n  {name: x\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert "line" in str(info.value) and "not valid YAML" in str(info.value)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "bad.yaml", "health: {port: -1}\nscheduler: {max_attempts: 0}\nlog_level: LOUD\n"
    )
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert len(info.value.problems) == 3


def test_example_config_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    s = load_settings(root / "config" / "bot.example.yaml")
    assert {a.platform for a in s.accounts} == {"twitter", "facebook", "youtube"}


def test_tokens_written_by_bot_auth_are_read_back(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.auth import write_secret

    write_secret(tmp_path / "data" / "secrets", "x", "access_token", "stored-by-auth-123")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    creds = load_settings(feeds=[]).creds("x")
    assert creds.access_token is not None
    assert creds.access_token.get_secret_value() == "stored-by-auth-123"


def test_yaml_whose_top_level_is_not_a_mapping(tmp_path: Path) -> None:
    cfg = write(tmp_path / "list.yaml", "- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings(cfg)
