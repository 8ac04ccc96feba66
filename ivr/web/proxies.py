"""Whom to believe about the original request: `X-Forwarded-*` only from configured proxies.

A TLS proxy in front of the server tells it the host and scheme the platform dialled
(`X-Forwarded-Host`, `X-Forwarded-Proto`) and the client's address (`X-Forwarded-For`). Anyone
can send those headers, and `/twilio/voice` builds the media-stream URL it hands out from them,
so a stranger could make it answer TwiML that points the stream at another host. They are
therefore believed only when the direct peer is in `IVR_TRUSTED_PROXIES` (IPs or CIDRs); from
anyone else they are removed before any route sees them, so every route (the TwiML, the
webhook and media-socket signature checks, the per-address connection caps) reads the request
by one rule. uvicorn's own proxy-header handling, which trusts 127.0.0.1 by default, is
switched off in `ivr serve` for the same reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = tuple[Network, ...]
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]

_FORWARDED_PREFIX = b"x-forwarded-"
# X-Forwarded-Proto names the http scheme; a websocket scope carries its ws twin.
_WS_SCHEMES = {"https": "wss", "wss": "wss", "http": "ws", "ws": "ws"}
_HTTP_SCHEMES = {"https": "https", "wss": "https", "http": "http", "ws": "http"}


@lru_cache(maxsize=16)
def parse_trusted_proxies(text: str) -> Networks:
    """`"10.0.0.1, 192.168.0.0/16, ::1"` → networks; ValueError naming a bad entry."""
    networks: list[Network] = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"IVR_TRUSTED_PROXIES: {entry!r} is not an IP address or "
                             "CIDR network") from exc
    return tuple(networks)


def is_trusted(peer: str | None, networks: Networks) -> bool:
    """True if the direct peer `peer` (an address string) is one of the trusted proxies."""
    if not peer or not networks:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_client(x_forwarded_for: str, peer: str, networks: Networks) -> str:
    """The client's address behind a trusted proxy chain: the right-most `X-Forwarded-For`
    entry that is not itself a trusted proxy (entries left of it could be made up by the
    client); the peer itself when the header is absent or names no address."""
    hops = [h.strip() for h in x_forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_address(hop):
            return peer
        if not is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def forwarded_view(scope: Scope, networks: Networks) -> Scope:
    """The scope as the routes should see it: from a trusted proxy, the client address and
    scheme it forwarded (its headers kept); from anyone else, without `X-Forwarded-*`."""
    client = scope.get("client")
    peer = client[0] if client else None
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
    if not is_trusted(peer, networks):
        kept = [(k, v) for k, v in headers if not k.lower().startswith(_FORWARDED_PREFIX)]
        if len(kept) == len(headers):
            return scope
        return {**scope, "headers": kept}
    view = dict(scope)
    found = {k.lower(): v.decode("latin-1") for k, v in headers}
    xff = found.get(b"x-forwarded-for")
    if xff is not None and client is not None:
        view["client"] = (forwarded_client(xff, str(peer), networks), client[1])
    proto = found.get(b"x-forwarded-proto", "").split(",")[0].strip().lower()
    schemes = _WS_SCHEMES if scope.get("type") == "websocket" else _HTTP_SCHEMES
    if proto in schemes:
        view["scheme"] = schemes[proto]
    return view


class ForwardedHeaders:
    """ASGI middleware applying `forwarded_view` to every HTTP request and websocket."""

    def __init__(self, app: ASGIApp, trusted: str = "") -> None:
        self.app = app
        self.networks = parse_trusted_proxies(trusted)

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = forwarded_view(scope, self.networks)
        await self.app(scope, receive, send)
