"""The Twilio REST client (ivr/twilio_rest.py) against a local fake of the Calls resource, the
call back's TwiML and the pure outbound rules (ivr/contact/outbound.py)."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest

from ivr.config import ServerConfig
from ivr.contact.outbound import OutboundSettings, e164, refusal, too_soon
from ivr.twilio_rest import (
    CallRefused,
    PlacedCall,
    TwilioAccount,
    call_request,
    place_call,
    read_answer,
)
from ivr.twiml import callback_twiml
from tests.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    UNREACHABLE,
    FakeTwilio,
    fake_twilio,
)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as running:
        yield running


def _place(account: TwilioAccount, to: str) -> PlacedCall | CallRefused:
    twiml = callback_twiml("+8613912345678", FROM_NUMBER)
    return asyncio.run(place_call(account, call_request(account, to=to, from_=FROM_NUMBER,
                                                        twiml=twiml)))


def test_a_call_is_posted_as_twilio_documents_it_and_its_sid_comes_back(
        fake: FakeTwilio) -> None:
    placed = _place(TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, fake.url), "sip:li@desk.example")
    assert isinstance(placed, PlacedCall) and placed.sid.startswith("CA")
    assert placed.status == "queued" and placed.sid == fake.placed[0]["sid"]
    seen = fake.requests[0]
    assert (seen.method, seen.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json")
    assert seen.authorization == "Basic " + base64.b64encode(
        f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert seen.content_type.startswith("application/x-www-form-urlencoded")
    assert (seen.form["To"], seen.form["From"], seen.form["Timeout"]) == (
        "sip:li@desk.example", FROM_NUMBER, "30")
    assert "<Number>+8613912345678</Number>" in seen.form["Twiml"]


def test_twilio_errors_reach_the_agent_with_twilios_code_and_message(
        fake: FakeTwilio) -> None:
    wrong_token = _place(TwilioAccount(ACCOUNT_SID, "not-the-token", fake.url), "+8613800000001")
    assert wrong_token == CallRefused(401, "Authenticate", 20003,
                                      "https://www.twilio.com/docs/errors/20003")
    assert wrong_token.describe() == "Twilio 20003: Authenticate (HTTP 401)"
    bad_number = _place(TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, fake.url), UNREACHABLE)
    assert isinstance(bad_number, CallRefused) and bad_number.code == 21211
    assert "Invalid 'To' Phone Number" in bad_number.describe()


def test_an_unreachable_api_is_a_refusal_not_an_exception() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = _place(TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, f"http://127.0.0.1:{port}",
                                   timeout_s=2), "+8613800000001")
    assert isinstance(refused, CallRefused) and refused.http_status == 0
    assert "cannot reach Twilio at 127.0.0.1" in refused.describe()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (201, b'{"sid": "CA1", "status": "queued"}', PlacedCall("CA1", "queued")),
    (201, b"{}", CallRefused(201, "Twilio's answer carried no call sid")),
    (503, b"<html>busy</html>", CallRefused(503, "<html>busy</html>")),
    (400, b'{"code": 21205, "message": "Url or Twiml parameter is required"}',
     CallRefused(400, "Url or Twiml parameter is required", 21205)),
])
def test_reading_twilios_answer(status: int, body: bytes,
                                expected: PlacedCall | CallRefused) -> None:
    assert read_answer(status, body) == expected


def test_the_call_backs_twiml_rings_the_citizen_from_the_hotlines_number() -> None:
    doc = ElementTree.fromstring(callback_twiml("+8613912345678", FROM_NUMBER, "hrss"))
    say, dial, after = list(doc)
    assert say.tag == "Say" and "回拨" in (say.text or "")
    assert dial.attrib == {"callerId": FROM_NUMBER, "timeout": "30"}
    assert [(n.tag, n.text) for n in dial] == [("Number", "+8613912345678")]
    assert after.tag == "Say" and "记录" in (after.text or "")
    with pytest.raises(ValueError, match="4000"):
        call_request(TwilioAccount(ACCOUNT_SID, AUTH_TOKEN), to="+1", from_="+2",
                     twiml="x" * 4001)


@pytest.mark.parametrize(("stored", "dialled"), [
    ("13912345678", "+8613912345678"), ("01062345678", "+861062345678"),
    ("+8613912345678", "+8613912345678"), ("0085212345678", "+85212345678"),
    (" 139-1234-5678 ", "+8613912345678")])
def test_callback_numbers_are_dialled_in_e164(stored: str, dialled: str) -> None:
    assert e164(stored) == dialled


def test_outbound_calling_says_what_it_is_missing() -> None:
    assert refusal(OutboundSettings(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER), "+861062345678") is None
    none_set = refusal(OutboundSettings("", "", ""), "+861062345678")
    assert none_set is not None and "IVR_TWILIO_ACCOUNT_SID, IVR_TWILIO_AUTH_TOKEN, " \
        "IVR_TWILIO_FROM_NUMBER" in none_set and "手动拨打" in none_set
    no_phone = refusal(OutboundSettings(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER), None)
    assert no_phone is not None and "dial_target" in no_phone


def test_a_call_back_is_not_placed_twice_within_half_a_minute() -> None:
    placed = {"at": 100.0, "sid": "CA1"}
    refused = {"at": 120.0, "error": "Twilio 21215: …"}
    assert too_soon([], 100.0) is None
    assert too_soon([placed], 129.0) is not None and "CA1" in str(too_soon([placed], 129.0))
    assert too_soon([placed], 131.0) is None
    assert too_soon([refused], 121.0) is None  # a refused call may be tried again at once


def test_the_api_base_setting_must_be_a_url() -> None:
    env = {"IVR_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "IVR_TWILIO_FROM_NUMBER": FROM_NUMBER,
           "IVR_TWILIO_API_BASE": "http://127.0.0.1:9", "IVR_TWILIO_API_TIMEOUT_S": "2.5"}
    config = ServerConfig.from_env(env)
    assert (config.twilio_account_sid, config.twilio_from_number, config.twilio_api_base,
            config.twilio_api_timeout_s) == (ACCOUNT_SID, FROM_NUMBER, "http://127.0.0.1:9", 2.5)
    assert ServerConfig().twilio_api_base == "https://api.twilio.com"
    with pytest.raises(ValueError, match="IVR_TWILIO_API_BASE"):
        ServerConfig(twilio_api_base="api.twilio.com")
