"""What a route handler needs from the running app: its services, configuration, live calls.

`create_app` puts them on `app.state` at start-up; these accessors are the one place that
knows the attribute names, so routers stay free of app wiring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request, WebSocket

from ivr.config import ServerConfig
from ivr.contact.outbound import OutboundSettings
from ivr.services import Services

if TYPE_CHECKING:
    from ivr.session import CallSession


def services_of(conn: Request | WebSocket) -> Services:
    """The process-wide services (knowledge base, recognizer, TTS, store, clock)."""
    return conn.app.state.services  # type: ignore[no-any-return]


def config_of(conn: Request | WebSocket) -> ServerConfig:
    """The server configuration the app was created with."""
    return conn.app.state.config  # type: ignore[no-any-return]


def calls_of(conn: Request | WebSocket) -> dict[int, CallSession]:
    """The calls in progress on this server, by session id."""
    calls: dict[int, Any] = conn.app.state.calls
    return calls


def outbound_settings_of(conn: Request | WebSocket) -> OutboundSettings:
    """What outbound calling (an agent's call back through Twilio) needs from the config."""
    config = config_of(conn)
    return OutboundSettings(config.twilio_account_sid, config.twilio_auth_token,
                            config.twilio_from_number)
