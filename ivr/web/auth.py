"""Who is calling the API: API keys with roles, checked before any private data is served.

Roles:
- `admin`: everything (call records, knowledge-base reload, agent accounts);
- `supervisor`: reads call records, queues, agents and callbacks;
- `agent`: the desk (`/agent`, `WS /agent/ws`), queues and callbacks of their skills.

Admin and supervisor keys come from the configuration (`IVR_API_KEYS=admin:KEY,supervisor:KEY`);
agent keys are made per account (`ivr agents add`) and only their hashes are stored. With no
key configured, private endpoints refuse everyone and say how to set one: a fresh server
holds no caller's data open to the network.

A key is presented as `Authorization: Bearer KEY`, `X-API-Key: KEY`, or the `ivr_key` cookie
the desk's sign-in sets (a browser cannot put headers on a websocket).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request, WebSocket

from ivr.apikeys import key_digest, parse_api_keys
from ivr.contact.agent_store import AgentAccount
from ivr.web.deps import config_of, services_of

ROLES = ("admin", "supervisor", "agent")
COOKIE = "ivr_key"


@dataclass(frozen=True)
class Principal:
    role: str
    agent: AgentAccount | None = None

    @property
    def agent_id(self) -> str | None:
        return self.agent.agent_id if self.agent else None


def presented_key(conn: Request | WebSocket) -> str | None:
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return conn.headers.get("x-api-key") or conn.cookies.get(COOKIE) or None


def _config_role(digest: str, keys: dict[str, str]) -> str | None:
    role = None
    for known, known_role in keys.items():  # every entry compared: no early exit on a match
        if hmac.compare_digest(known, digest):
            role = known_role
    return role


async def authenticate(conn: Request | WebSocket) -> Principal | None:
    """The principal behind the presented key, or None (no key, or an unknown one)."""
    key = presented_key(conn)
    if key is None:
        return None
    digest = key_digest(key)
    role = _config_role(digest, parse_api_keys(config_of(conn).api_keys))
    if role is not None:
        return Principal(role)
    account = await asyncio.to_thread(services_of(conn).agents.by_key, key)
    return Principal("agent", account) if account is not None else None


def require(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A route dependency admitting the given roles (admin is always admitted)."""
    allowed = set(roles) | {"admin"}

    async def check(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal is None:
            hint = ("" if config_of(request).api_keys
                    else " (no key is configured: set IVR_API_KEYS=admin:<key>)")
            raise HTTPException(401, f"an API key is required{hint}",
                                headers={"WWW-Authenticate": "Bearer"})
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role!r} may not do this")
        return principal

    return check
