"""The telephony dialects the server speaks: one registry entry per media adapter.

Adding a dialect is its adapter module (a sans-I/O `MediaProtocol`) plus one `MediaProvider`
here; the web layer derives the websocket route (`/<name>/media`), the handshake check and the
health report from the entry, so no other file changes. The handshake checks are pure
functions of what the opening request carried (`Handshake`) and the server configuration.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ivr.config import ServerConfig
from ivr.media.base import MediaProtocol
from ivr.media.l16 import L16MediaProtocol
from ivr.media.twilio import TwilioMediaProtocol
from ivr.wsauth import l16_refusal, twilio_stream_refusal


@dataclass(frozen=True)
class Handshake:
    """The opening request of a media websocket, as the handshake checks need it."""

    headers: Mapping[str, str]  # names in lower case
    query: str = ""
    scheme: str = "ws"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def host(self) -> str:
        """The host the client dialled, as `/twilio/voice` read it to build the stream URL."""
        return self.headers.get("x-forwarded-host", self.headers.get("host", "localhost"))

    @property
    def scheme_hint(self) -> str:
        return self.headers.get("x-forwarded-proto", self.scheme)

    def query_param(self, name: str) -> str | None:
        """The value of `name` in the query string (the last one if repeated, as Starlette)."""
        values = [v for k, v in parse_qsl(self.query, keep_blank_values=True) if k == name]
        return values[-1] if values else None


Refusal = Callable[[Handshake, ServerConfig], str | None]


@dataclass(frozen=True)
class MediaProvider:
    """One telephony dialect: its name, a factory of per-call adapters, its handshake check."""

    name: str
    protocol: Callable[[], MediaProtocol]
    refusal: Refusal
    description: str = ""

    @property
    def path(self) -> str:
        """The websocket route the platform connects to."""
        return f"/{self.name}/media"


def _twilio_refusal(handshake: Handshake, config: ServerConfig) -> str | None:
    return twilio_stream_refusal(
        handshake.header("x-twilio-signature"), handshake.host, handshake.scheme_hint,
        handshake.query, config.public_url, config.twilio_auth_token)


def _l16_refusal(handshake: Handshake, config: ServerConfig) -> str | None:
    return l16_refusal(handshake.header("authorization"), handshake.query_param("token"),
                       config.l16_token)


PROVIDERS: dict[str, MediaProvider] = {}


def register(provider: MediaProvider) -> MediaProvider:
    """Add a dialect; names are unique, since each one owns the route `/<name>/media`."""
    if provider.name in PROVIDERS:
        raise ValueError(f"media provider {provider.name!r} is already registered")
    if not provider.name.isidentifier():
        raise ValueError(f"media provider name {provider.name!r} must be an identifier")
    PROVIDERS[provider.name] = provider
    return provider


register(MediaProvider(
    "twilio", TwilioMediaProtocol, _twilio_refusal,
    "Twilio Media Streams, base64 G.711 at 8 kHz; signed with IVR_TWILIO_AUTH_TOKEN"))
register(MediaProvider(
    "l16", L16MediaProtocol, _l16_refusal,
    "plain 16-bit linear PCM, 8 or 16 kHz; bearer token IVR_L16_TOKEN"))
