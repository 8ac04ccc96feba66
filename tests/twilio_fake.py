"""A local fake of Twilio's REST Calls resource on 127.0.0.1, for tests of outbound calls.

It checks what Twilio checks and answers as Twilio answers (the shapes of
https://www.twilio.com/docs/voice/api/call-resource and docs/usage/twilios-response): the path
`/2010-04-01/Accounts/{AccountSid}/Calls.json`, HTTP Basic auth AccountSid:AuthToken (else 401
with error 20003 "Authenticate"), a form-encoded body with `To`, `From` and `Url` or `Twiml`
(else 400 with error 21201 / 21205), `To` in E.164 (else 400 with error 21211); a good request
gets 201 and the Call resource with a fresh `CA…` sid. Every request is kept in `requests`;
`refuse` makes it answer any request with a given error (say, 21215 for a number the account
may not call).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123"
FROM_NUMBER = "+8657112345000"
UNREACHABLE = "+8613000000000"  # the fake answers 400 / 21211 for this number


@dataclass
class SeenRequest:
    method: str
    path: str
    authorization: str
    content_type: str
    form: dict[str, str]


@dataclass
class FakeTwilio:
    url: str
    requests: list[SeenRequest] = field(default_factory=list)
    placed: list[dict[str, Any]] = field(default_factory=list)
    # when set, every request is refused with this (HTTP status, Twilio code, message)
    refuse: tuple[int, int, str] | None = None

    def settings(self) -> dict[str, str]:
        """The `ServerConfig` fields that point outbound calls at this fake."""
        return {"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
                "twilio_from_number": FROM_NUMBER, "twilio_api_base": self.url}

    def env(self) -> dict[str, str]:
        """The same as a server's environment (`IVR_TWILIO_…`)."""
        return {f"IVR_{name.upper()}": value for name, value in self.settings().items()}


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}


def answer(req: SeenRequest) -> tuple[int, dict[str, Any]]:
    """What Twilio would answer `req`."""
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    basic = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    if req.authorization != basic:
        return _error(401, 20003, "Authenticate")
    if req.method != "POST" or req.path != path:
        return _error(404, 20404, f"The requested resource {req.path} was not found")
    if not req.content_type.startswith("application/x-www-form-urlencoded"):
        return _error(400, 21200, "Calls resource: expected a form-encoded body")
    form = req.form
    if not form.get("To") or not form.get("From"):
        return _error(400, 21201, "No 'To' or 'From' number is specified")
    if not (form.get("Url") or form.get("Twiml")):
        return _error(400, 21205, "Url or Twiml parameter is required")
    if not form["To"].startswith(("+", "sip:")) or form["To"] == UNREACHABLE:
        return _error(400, 21211, f"Invalid 'To' Phone Number: {form['To']}")
    sid = "CA" + uuid.uuid4().hex
    return 201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": form["To"],
                 "from": form["From"], "status": "queued", "direction": "outbound-api",
                 "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"}


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """The fake on a free port of 127.0.0.1 for the duration of the block."""
    fake: FakeTwilio | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            assert fake is not None
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
            seen = SeenRequest(self.command, self.path, self.headers.get("Authorization", ""),
                               self.headers.get("Content-Type", ""), form)
            fake.requests.append(seen)
            status, reply = _error(*fake.refuse) if fake.refuse else answer(seen)
            if status == 201:
                fake.placed.append(reply)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeTwilio(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
