"""How the server's log lines look: text for people, or one JSON object per line for a log
pipeline, and which call each line belongs to.

Dozens of calls log into one stream at once, so a line is only useful with its call id.
The session puts the id in a context variable when the call starts (`set_call_id`); asyncio
copies it into every task the call spawns, so each line logged on a call's behalf carries
it without being passed around. `CallIdFilter` copies it onto the record (`%(call_id)s`),
and `JsonFormatter` writes ts, level, logger, message, call_id (when set) and the exception
with its traceback. Chosen by `IVR_LOG_FORMAT` / `ivr serve --log-format`. No I/O of its own.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_CALL_ID: ContextVar[str | None] = ContextVar("call_id", default=None)


def set_call_id(call_id: str | None) -> None:
    """Name the call the current task (and the tasks it spawns from now on) works for."""
    _CALL_ID.set(call_id)


def current_call_id() -> str | None:
    return _CALL_ID.get()


class CallIdFilter(logging.Filter):
    """Puts the current call id (or None) on every record as `call_id`; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "call_id", None) is None:
            record.call_id = _CALL_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ms), level, logger, message, call_id when the line
    belongs to a call, exc_info (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None) or _CALL_ID.get()
        if call_id:
            line["call_id"] = call_id
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format not in FORMATS:
        raise ValueError(f"IVR_LOG_FORMAT={log_format!r}: expected one of {', '.join(FORMATS)}")
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: str = "text") -> None:
    """The root logger: one stderr handler in `log_format`, call ids on every record."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(CallIdFilter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def apply_to_uvicorn(config: dict[str, Any], log_format: str) -> dict[str, Any]:
    """uvicorn's logging configuration (`ivr.logredact.uvicorn_log_config`) writing JSON
    too when `log_format` is json, so every line of the process parses alike."""
    if log_format == "json":
        config.setdefault("formatters", {})["ivr_json"] = {"()": JsonFormatter}
        config.setdefault("filters", {})["call_id"] = {"()": CallIdFilter}
        for handler in config["handlers"].values():
            handler["formatter"] = "ivr_json"
            handler.setdefault("filters", []).append("call_id")
    return config
