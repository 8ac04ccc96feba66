"""Tests for ivr.logredact: tokens in websocket URLs never reach the logs."""

from __future__ import annotations

import logging
import logging.config

import pytest

from ivr.logredact import RedactSecrets, redact, uvicorn_log_config


def test_redact_masks_token_parameters_only() -> None:
    line = '127.0.0.1:5 - "WebSocket /l16/media?token=s3cr3t&rate=8000" [accepted]'
    assert redact(line) == '127.0.0.1:5 - "WebSocket /l16/media?token=***&rate=8000" [accepted]'
    assert redact("GET /api/calls?limit=5") == "GET /api/calls?limit=5"
    assert "abc" not in redact("/x?access_token=abc")


def test_filter_rewrites_records_with_args() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1,
                               '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/l16/media?token=s3cr3t"), None)
    assert RedactSecrets().filter(record)
    assert "s3cr3t" not in record.getMessage() and "token=***" in record.getMessage()


def test_uvicorn_config_puts_the_filter_on_its_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = uvicorn_log_config()
    logging.config.dictConfig(config)
    logging.getLogger("uvicorn.error").info('"WebSocket /l16/media?token=s3cr3t" [accepted]')
    err = capsys.readouterr().err
    assert "token=***" in err and "s3cr3t" not in err
