"""Placing an outbound call with Twilio's REST API: the one module that talks to it.

`POST {api_base}/2010-04-01/Accounts/{AccountSid}/Calls.json`, form-encoded `To`, `From`,
`Twiml` (the call's instructions inline, at most 4000 characters, so Twilio needs no webhook
of ours to fetch them) and `Timeout` (seconds the called phone rings), with HTTP Basic auth
AccountSid:AuthToken. Twilio answers 201 with the Call resource as JSON (its `sid`, `status`
queued) or an error status with `{"code", "message", "more_info", "status"}`.

Building the request and reading the answer are pure (`call_request`, `read_answer`); only
`place_call` does I/O, with a timeout, and it never raises for Twilio's or the network's
failures: they come back as a `CallRefused` the agent can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

API_VERSION = "2010-04-01"
MAX_TWIML_CHARS = 4000  # Twilio refuses longer inline TwiML (error 32018)


@dataclass(frozen=True)
class TwilioAccount:
    account_sid: str
    auth_token: str
    api_base: str = "https://api.twilio.com"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class CallRequest:
    url: str
    auth: tuple[str, str]
    form: dict[str, str]


@dataclass(frozen=True)
class PlacedCall:
    """Twilio accepted the call; it rings from now on (`status` is usually "queued")."""

    sid: str
    status: str


@dataclass(frozen=True)
class CallRefused:
    """Twilio (or the way to it) refused the call. `http_status` 0: no answer at all."""

    http_status: int
    message: str
    code: int | None = None
    more_info: str | None = None

    def describe(self) -> str:
        """One line for the agent: Twilio's own code and message when it sent them."""
        if self.http_status == 0:
            return self.message
        code = f" {self.code}" if self.code is not None else ""
        return f"Twilio{code}: {self.message} (HTTP {self.http_status})"


def calls_url(account: TwilioAccount) -> str:
    sid = quote(account.account_sid, safe="")
    return f"{account.api_base.rstrip('/')}/{API_VERSION}/Accounts/{sid}/Calls.json"


def call_request(account: TwilioAccount, *, to: str, from_: str, twiml: str,
                 ring_timeout_s: int = 30) -> CallRequest:
    """The POST that places a call to `to`, showing `from_`, running `twiml` once answered."""
    if len(twiml) > MAX_TWIML_CHARS:
        raise ValueError(f"TwiML of {len(twiml)} characters: Twilio takes at most "
                         f"{MAX_TWIML_CHARS}")
    return CallRequest(calls_url(account), (account.account_sid, account.auth_token),
                       {"To": to, "From": from_, "Twiml": twiml,
                        "Timeout": str(ring_timeout_s)})


def read_answer(status: int, body: bytes) -> PlacedCall | CallRefused:
    """Twilio's answer to the POST, as a placed call or the refusal with Twilio's reason."""
    data = _json_object(body)
    if status == 201 and isinstance(data.get("sid"), str):
        return PlacedCall(data["sid"], str(data.get("status", "queued")))
    if status == 201:
        return CallRefused(status, "Twilio's answer carried no call sid")
    code = data.get("code")
    message = data.get("message") or body[:200].decode("utf-8", "replace") or "no reason given"
    return CallRefused(status, str(message), code if isinstance(code, int) else None,
                       data.get("more_info") if isinstance(data.get("more_info"), str) else None)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def place_call(account: TwilioAccount, request: CallRequest) -> PlacedCall | CallRefused:
    """Send `request`; a timeout or a connection failure is a `CallRefused` with status 0."""
    try:
        async with httpx.AsyncClient(timeout=account.timeout_s) as client:
            response = await client.post(request.url, data=request.form, auth=request.auth,
                                         headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        host = httpx.URL(request.url).host
        return CallRefused(0, f"cannot reach Twilio at {host}: {type(exc).__name__} {exc}")
    return read_answer(response.status_code, response.content)
