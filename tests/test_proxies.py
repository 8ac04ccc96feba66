"""X-Forwarded-* are believed only from IVR_TRUSTED_PROXIES (issue 11, "ways in").

Without a configured proxy, a stranger's `X-Forwarded-Host` made `/twilio/voice` answer
TwiML pointing the media stream at another host. Pure checks of the rule first, then the real
app in-process with the direct peer chosen per request (Starlette's TestClient `client=`), and
the media socket's signature check, which must read the host by the same rule.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dialog.kbholder import KnowledgeBaseHolder
from ivr.cli import main as cli_main
from ivr.config import ServerConfig
from ivr.web.proxies import forwarded_client, is_trusted, parse_trusted_proxies
from ivr.wsauth import POLICY_VIOLATION
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder

EVIL = "evil.example.net"
PUBLIC = "ivr.example.gov.cn"
PROXY = ("10.1.2.3", 40000)
STRANGER = ("203.0.113.9", 40000)
TOKEN = "twilio-token-for-proxy-tests"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder, trusted_proxies="10.0.0.0/8, ::1",
                        twilio_auth_token=TOKEN) as running:
        yield running


def peer(app: tuple[TestClient, FakeWorld], address: tuple[str, int]) -> TestClient:
    """A client of the running app (its lifespan already ran) seen as coming from `address`."""
    _, world = app
    assert world.app is not None
    return TestClient(world.app, client=address)


def sign(url: str, params: dict[str, str] | None = None) -> str:
    data = url + "".join(k + v for k, v in sorted((params or {}).items()))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


# ---- the rule, pure ---------------------------------------------------------------------------


def test_trusted_proxies_parse_ips_and_networks() -> None:
    nets = parse_trusted_proxies(" 10.0.0.0/8, 192.168.1.7 ,::1,")
    assert is_trusted("10.200.0.1", nets) and is_trusted("192.168.1.7", nets)
    assert is_trusted("::1", nets)
    assert not is_trusted("192.168.1.8", nets) and not is_trusted("testclient", nets)
    assert not is_trusted("127.0.0.1", parse_trusted_proxies(""))  # none by default
    with pytest.raises(ValueError, match=r"'proxy\.lan'"):
        parse_trusted_proxies("10.0.0.1, proxy.lan")


def test_the_client_behind_a_chain_is_the_first_untrusted_hop() -> None:
    nets = parse_trusted_proxies("10.0.0.0/8")
    assert forwarded_client("198.51.100.7", "10.0.0.1", nets) == "198.51.100.7"
    # a client may put anything at the left; the right-most untrusted hop is what we saw
    assert forwarded_client("1.1.1.1, 198.51.100.7, 10.0.0.2", "10.0.0.1", nets) == \
        "198.51.100.7"
    assert forwarded_client("", "10.0.0.1", nets) == "10.0.0.1"
    assert forwarded_client("junk", "10.0.0.1", nets) == "10.0.0.1"


def test_a_bad_trusted_proxies_setting_stops_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--trusted-proxies", "10.0.0.1,nonsense"]) == 2
    assert "'nonsense' is not an IP address" in capsys.readouterr().err
    assert ServerConfig.from_env({"IVR_TRUSTED_PROXIES": "10.0.0.1"}).trusted_proxies == \
        "10.0.0.1"


# ---- the TwiML ---------------------------------------------------------------------------------


def _stream_url(client: TestClient, headers: dict[str, str]) -> str:
    form = {"CallSid": "CA1", "From": "+8613800000000", "To": "12345"}
    url = f"http://{headers.get('host', 'testserver')}/twilio/voice"
    if "x-forwarded-proto" in headers and "x-forwarded-host" in headers:
        url = f"{headers['x-forwarded-proto']}://{headers['x-forwarded-host']}/twilio/voice"
    response = client.post("/twilio/voice", data=form,
                           headers={**headers, "X-Twilio-Signature": sign(url, form)})
    assert response.status_code == 200, response.text
    body = response.text
    start = body.index('<Stream url="') + len('<Stream url="')
    return body[start:body.index('"', start)]


def test_a_stranger_cannot_point_the_stream_at_another_host(
        app: tuple[TestClient, FakeWorld]) -> None:
    stranger = peer(app, STRANGER)
    forged = {"host": "testserver", "x-forwarded-host": EVIL, "x-forwarded-proto": "https"}
    # the signature over the URL the stranger claims is no use either: the direct URL counts
    response = stranger.post("/twilio/voice", data={"CallSid": "CA1"}, headers={
        **forged, "X-Twilio-Signature": sign(f"https://{EVIL}/twilio/voice", {"CallSid": "CA1"})})
    assert response.status_code == 403
    url = _stream_url(stranger, {"host": "testserver", "x-forwarded-host": EVIL})
    assert url == "wss://testserver/twilio/media"
    assert EVIL not in url


def test_a_trusted_proxy_passes_on_the_public_host(app: tuple[TestClient, FakeWorld]) -> None:
    proxy = peer(app, PROXY)
    url = _stream_url(proxy, {"host": "10.0.0.5:8080", "x-forwarded-host": PUBLIC,
                              "x-forwarded-proto": "https"})
    assert url == f"wss://{PUBLIC}/twilio/media"


# ---- the media socket's signature: the same rule -----------------------------------------------


def _handshake(client: TestClient, headers: dict[str, str]) -> int:
    """The close code of a media socket that says `stop` at once: 1008 if it was refused at
    the handshake, else the normal close the bot answers a stop with."""
    with client.websocket_connect("/twilio/media", headers=headers) as ws:
        ws.send_text('{"event":"stop"}')
        try:
            while True:
                ws.receive_text()
        except WebSocketDisconnect as closed:
            return closed.code


def test_the_media_signature_is_checked_against_the_host_by_the_same_rule(
        app: tuple[TestClient, FakeWorld]) -> None:
    _, world = app
    evil_sig = sign(f"wss://{EVIL}/twilio/media")
    direct_sig = sign("wss://testserver/twilio/media")
    forged = {"x-forwarded-host": EVIL, "x-forwarded-proto": "https"}
    stranger, proxy = peer(app, STRANGER), peer(app, PROXY)
    assert _handshake(stranger, {**forged, "x-twilio-signature": evil_sig}) == POLICY_VIOLATION
    assert _handshake(stranger, {**forged, "x-twilio-signature": direct_sig}) == 1000
    world.wait_until_calls_served()
    public = {"x-forwarded-host": PUBLIC, "x-forwarded-proto": "https",
              "x-twilio-signature": sign(f"wss://{PUBLIC}/twilio/media")}
    assert _handshake(proxy, public) == 1000
    world.wait_until_calls_served()
    assert _handshake(stranger, public) == POLICY_VIOLATION
