"""Keep secrets that arrive in URLs out of the server's logs.

Gateways that cannot set headers pass the L16 token as `?token=…`, and uvicorn logs every
websocket path with its query string; a log file is read by more people than the secret should
be. The filter rewrites the rendered message (`token=***`) on uvicorn's handlers.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_SECRET = re.compile(r"(?i)\b(token|access_token|auth)=([^&\s\"']+)")


def redact(text: str) -> str:
    """`text` with the values of token-like query parameters replaced by ***."""
    return _SECRET.sub(r"\1=***", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message with its secrets masked (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config
