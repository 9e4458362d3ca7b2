"""Logging set-up: JSON lines with extras, readable lines on terminals, quiet libraries."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys

import pytest

from bot.logs import setup_logging


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


pytestmark = pytest.mark.usefixtures("restore_logging")


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_pubbot_handler", False)]


def lines(stream: io.StringIO) -> list[str]:
    return [ln for ln in stream.getvalue().splitlines() if ln.strip()]


def test_json_lines_parse_and_carry_extras() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log = logging.getLogger("bot.test")
    log.info("sent %s", "post", extra={"account": "x", "feed": "news", "delivery": 12,
                                        "article": "https://example.org/a"})
    log.debug("hidden at INFO")
    [line] = lines(out)
    data = json.loads(line)
    assert data["msg"] == "sent post"
    assert data["level"] == "INFO"
    assert data["logger"] == "bot.test"
    assert data["ts"].endswith("+00:00")
    assert (data["account"], data["feed"], data["delivery"], data["article"]) == (
        "x", "news", 12, "https://example.org/a")


def test_exception_is_one_string_field() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot.test").exception("job failed", extra={"job": "dispatch"})
    [line] = lines(out)  # the traceback does not spill over several lines
    data = json.loads(line)
    assert isinstance(data["exc"], str)
    assert "Traceback" in data["exc"] and "RuntimeError: boom" in data["exc"]
    assert data["job"] == "dispatch"


def test_odd_extra_values_do_not_break_a_line() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    logging.getLogger("bot.test").warning("odd", extra={"obj": object(), "when": {1, 2}})
    data = json.loads(lines(out)[0])
    assert "object" in data["obj"]


def test_auto_is_json_when_not_a_terminal() -> None:
    out = io.StringIO()
    setup_logging("INFO", "auto", stream=out)
    logging.getLogger("bot.test").info("hello")
    assert json.loads(lines(out)[0])["msg"] == "hello"


def test_auto_is_readable_on_a_terminal() -> None:
    term = FakeTerminal()
    setup_logging("INFO", "auto", stream=term)
    logging.getLogger("bot.test").info("hello there", extra={"account": "x"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", term.getvalue())  # Rich colours
    assert "bot.test: hello there" in text and "account=x" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines(term)[0])


def test_text_format_off_a_terminal() -> None:
    out = io.StringIO()
    setup_logging("WARNING", "text", stream=out)
    log = logging.getLogger("bot.test")
    log.info("not shown")
    log.warning("careful", extra={"feed": "news"})
    [line] = lines(out)
    assert "WARNING" in line and "bot.test: careful" in line and "feed=news" in line


def test_noisy_libraries_are_quiet_at_info_but_not_at_debug() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    logging.getLogger("httpx").info("HTTP Request: GET ...")
    logging.getLogger("apscheduler.executors.default").info("Running job")
    logging.getLogger("httpx").warning("httpx warns")
    assert [json.loads(ln)["msg"] for ln in lines(out)] == ["httpx warns"]
    out2 = io.StringIO()
    setup_logging("DEBUG", "json", stream=out2)
    logging.getLogger("httpx").info("now visible")
    assert [json.loads(ln)["msg"] for ln in lines(out2)] == ["now visible"]


def test_setup_again_replaces_its_handler_and_keeps_filters() -> None:
    first = io.StringIO()
    setup_logging("INFO", "json", stream=first)
    ours = our_handlers()
    assert len(ours) == 1

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = str(record.msg).replace("s3cr3t", "***")
            return True

    ours[0].addFilter(Redact())
    second = io.StringIO()
    setup_logging("INFO", "json", stream=second)
    assert len(our_handlers()) == 1
    logging.getLogger("bot.test").info("token s3cr3t")
    assert first.getvalue() == ""
    assert json.loads(lines(second)[0])["msg"] == "token ***"


def test_bad_level_or_format() -> None:
    with pytest.raises(ValueError, match="log level"):
        setup_logging("LOUD", "json", stream=io.StringIO())
    with pytest.raises(ValueError, match="log format"):
        setup_logging("INFO", "xml", stream=io.StringIO())  # type: ignore[arg-type]


def test_import_is_cheap() -> None:
    code = "import sys, bot.logs; print('rich' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
