"""Structured logs (ivr.logformat): one JSON object per line in json mode, each line of a
call carrying its call id; the text format stays the default."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dialog.kbholder import KnowledgeBaseHolder
from ivr.config import ServerConfig
from ivr.logformat import CallIdFilter, apply_to_uvicorn, formatter_for, set_call_id
from ivr.logredact import uvicorn_log_config
from tests.fakes import ScriptedEngine
from tests.inprocess import TwilioCaller, app_with_fakes, caller_speech, shared_kb_holder


@contextmanager
def json_log() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, as `ivr serve --log-format json` writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter_for("json"))
    handler.addFilter(CallIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_every_line_of_an_in_process_call_is_json_with_its_call_id(tmp_path: Path) -> None:
    holder: KnowledgeBaseHolder = shared_kb_holder()
    engine = ScriptedEngine(["社保卡丢了怎么补办", ScriptedEngine.CRASH])
    with json_log() as out, app_with_fakes(tmp_path, holder, engine=engine) as (client, world):
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAjson")
            caller.dial()
            caller.speak(caller_speech(seconds=2.0))
            caller.hear(), caller.hear()  # the answer, "anything else?"
            caller.speak(caller_speech(seconds=2.0))  # the recognizer crashes on this one
            caller.hear(), caller.hear()  # the apology, the transfer
            caller.expect_hang_up()
    lines: list[dict[str, Any]] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines and all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    ours = [line for line in lines if "CAjson" in line["message"]]
    assert len(ours) >= 4  # started, heard, transfer, closed
    assert all(line.get("call_id") == "CAjson" for line in ours)
    # lines that do not name the call in their text still carry it: the recognizer's own,
    # logged from the call's recognition task, with its traceback
    crash = [line for line in lines if line["logger"] == "asr.stream"]
    assert crash and crash[0]["call_id"] == "CAjson" and "decoder exploded" in crash[0][
        "exc_info"]
    assert all(line["call_id"] == "CAjson" for line in lines
               if line["logger"].startswith(("ivr.session", "ivr.playback", "asr.")))


def test_the_json_formatter_writes_one_object_per_line() -> None:
    record = logging.LogRecord("ivr.x", logging.WARNING, __file__, 1, "a %s\nline", ("话",),
                               None)
    set_call_id(None)
    CallIdFilter().filter(record)
    line = formatter_for("json").format(record)
    assert "\n" not in line
    assert json.loads(line) | {"ts": None} == {"ts": None, "level": "WARNING",
                                               "logger": "ivr.x", "message": "a 话\nline"}
    assert formatter_for("text").format(record).endswith("WARNING ivr.x: a 话\nline")


def test_the_log_format_is_text_by_default_json_by_choice_and_checked() -> None:
    assert ServerConfig().log_format == "text"
    assert ServerConfig.from_env({"IVR_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ValueError, match="IVR_LOG_FORMAT='xml'"):
        ServerConfig.from_env({"IVR_LOG_FORMAT": "xml"})
    uvicorn = apply_to_uvicorn(uvicorn_log_config(), "json")
    assert {h["formatter"] for h in uvicorn["handlers"].values()} == {"ivr_json"}
    assert apply_to_uvicorn(uvicorn_log_config(), "text") == uvicorn_log_config()
