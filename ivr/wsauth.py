"""Who may open a media websocket: Twilio's handshake signature and the L16 shared token.

Both checks are off until configured (`IVR_TWILIO_AUTH_TOKEN`, `IVR_L16_TOKEN`), so a fresh
`make run` takes calls with no set-up. Each check answers None ("let it in") or a short reason
for refusing, which the server logs and sends as the close reason; a reason never contains
what the client presented, so tokens stay out of logs. Pure functions, no I/O.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl

from ivr.twiml import stream_url_for, validate_twilio_signature

# RFC 6455 close code "policy violation": the peer broke a rule the server enforces.
POLICY_VIOLATION = 1008


def twilio_stream_refusal(
    signature: str | None, host: str, scheme_hint: str, query: str, public_url: str,
    auth_token: str,
) -> str | None:
    """Why a `/twilio/media` handshake must be refused, or None to accept it.

    Twilio signs the handshake of a Media Stream like a webhook with no POST parameters: the
    signed string is the wss URL it dialled. That URL is the one `/twilio/voice` handed out,
    so it is rebuilt with the very function that made it (`stream_url_for`: `IVR_PUBLIC_URL`,
    else the forwarded or direct Host) rather than from what the proxy passed on to us.
    `<Stream url>` takes no query string, but should one arrive, it is accepted signed either
    inside the URL (the webhook rule) or as parameters (as Twilio's agent-connect SDK checks
    websocket upgrades).
    """
    if not auth_token:
        return None
    if not signature:
        return "missing X-Twilio-Signature"
    try:
        url = stream_url_for(host, public_url or None, scheme_hint)
    except ValueError:
        return "bad Host header"
    if not query:
        ok = validate_twilio_signature(url, {}, signature, auth_token)
    else:
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        ok = (validate_twilio_signature(f"{url}?{query}", {}, signature, auth_token)
              or validate_twilio_signature(url, params, signature, auth_token))
    return None if ok else "invalid X-Twilio-Signature"


def l16_refusal(authorization: str | None, query_token: str | None, expected: str) -> str | None:
    """Why an `/l16/media` handshake must be refused, or None to accept it.

    The token may come as `Authorization: Bearer <token>` or, for gateways that cannot set
    headers, as `?token=<token>`; either one matching is enough. Compared in constant time
    on UTF-8 bytes (`compare_digest` rejects non-ASCII str, and a client chooses the bytes).
    """
    if not expected:
        return None
    presented = [t for t in (_bearer(authorization), query_token) if t]
    if not presented:
        return "missing L16 token"
    want = expected.encode("utf-8")
    # Check every candidate, not stopping early, so timing does not say which one was tried.
    matches = [hmac.compare_digest(t.encode("utf-8", "surrogatepass"), want) for t in presented]
    return None if any(matches) else "invalid L16 token"


def _bearer(authorization: str | None) -> str | None:
    """The credentials of a `Bearer` Authorization header (scheme is case-insensitive)."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None
