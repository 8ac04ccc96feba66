"""TwiML documents, stream URLs and X-Twilio-Signature validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET

import pytest

from ivr.twiml import (
    AFTER_STREAM_PATH,
    hangup_twiml,
    http_url_for,
    stream_url_for,
    transfer_twiml,
    twilio_signature,
    validate_twilio_signature,
    voice_twiml,
)

DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def parse(document: str) -> ET.Element:
    assert document.startswith(DECL)
    return ET.fromstring(document.encode("utf-8"))


# ---- documents ------------------------------------------------------------------------------


def test_voice_twiml_exact_text() -> None:
    document = voice_twiml(
        "wss://ivr.example.org/twilio/media",
        {"from": "+8613800138000", "to": "12345"},
        "https://ivr.example.org/twilio/after-stream",
    )
    assert document == (
        DECL + '<Response><Connect action="https://ivr.example.org/twilio/after-stream">'
        '<Stream url="wss://ivr.example.org/twilio/media">'
        '<Parameter name="from" value="+8613800138000"/>'
        '<Parameter name="to" value="12345"/>'
        "</Stream></Connect></Response>"
    )


def test_voice_twiml_escapes_hostile_values() -> None:
    nasty = 'a&b<c>"d\'e\nf\tg'
    document = voice_twiml("wss://h/twilio/media?x=1&y=2", {"from": nasty, nasty: "v"}, None)
    root = parse(document)
    assert root.tag == "Response"
    connect = root.find("Connect")
    assert connect is not None and "action" not in connect.attrib
    stream = connect.find("Stream")
    assert stream is not None and stream.get("url") == "wss://h/twilio/media?x=1&y=2"
    params = [(p.get("name"), p.get("value")) for p in stream.findall("Parameter")]
    assert params == [("from", nasty), (nasty, "v")]  # order kept, values exact after parsing


def test_voice_twiml_drops_characters_xml_cannot_carry() -> None:
    stream = parse(voice_twiml("wss://h/m", {"from": "1\x002\x1b3"}, None)).find("Connect/Stream")
    assert stream is not None
    parameter = stream.find("Parameter")
    assert parameter is not None and parameter.get("value") == "123"


def test_transfer_twiml() -> None:
    document = transfer_twiml("q-sbk", "社保卡服务", None)
    root = parse(document)
    assert [child.tag for child in root] == ["Enqueue"]
    assert root.findtext("Enqueue") == "q-sbk"
    assert "<!-- transfer to 社保卡服务 -->" in document
    assert document.endswith("<Enqueue>q-sbk</Enqueue></Response>")


def test_transfer_twiml_with_say_and_escaping() -> None:
    root = parse(transfer_twiml("a&b<q>", "x--y-", "正在为您转接，请稍候 & 谢谢"))
    assert [child.tag for child in root] == ["Say", "Enqueue"]
    say = root.find("Say")
    assert say is not None and say.text == "正在为您转接，请稍候 & 谢谢"
    assert say.get("language") == "zh-CN"
    assert root.findtext("Enqueue") == "a&b<q>"


def test_transfer_twiml_needs_a_queue() -> None:
    with pytest.raises(ValueError):
        transfer_twiml(" ", "dept", None)


def test_hangup_twiml_exact() -> None:
    assert hangup_twiml() == DECL + "<Response><Hangup/></Response>"
    assert [child.tag for child in parse(hangup_twiml())] == ["Hangup"]


# ---- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "public_url", "hint", "expected"),
    [
        ("ivr.example.org", None, "https", "wss://ivr.example.org/twilio/media"),
        # behind a TLS-terminating proxy requests look like plain http: still wss
        ("ivr.example.org", None, "http", "wss://ivr.example.org/twilio/media"),
        ("localhost:8000", None, "http", "ws://localhost:8000/twilio/media"),
        ("127.0.0.1:8000", None, "http", "ws://127.0.0.1:8000/twilio/media"),
        ("[::1]:8000", None, "http", "ws://[::1]:8000/twilio/media"),
        ("localhost:8000", None, "https", "wss://localhost:8000/twilio/media"),
        ("localhost:8000", "https://abc.ngrok.app", "http", "wss://abc.ngrok.app/twilio/media"),
        ("internal:8000", "https://x.org/ivr/", "http", "wss://x.org/ivr/twilio/media"),
        ("internal:8000", "x.org", "http", "wss://x.org/twilio/media"),
        ("internal:8000", "http://10.0.0.5:8000", "https", "ws://10.0.0.5:8000/twilio/media"),
    ],
)
def test_stream_url_for(host: str, public_url: str | None, hint: str, expected: str) -> None:
    assert stream_url_for(host, public_url, hint) == expected


def test_http_url_for_after_stream() -> None:
    assert (http_url_for("ivr.example.org", None, "http", AFTER_STREAM_PATH)
            == "https://ivr.example.org/twilio/after-stream")
    assert (http_url_for("localhost:8000", None, "http", AFTER_STREAM_PATH)
            == "http://localhost:8000/twilio/after-stream")


@pytest.mark.parametrize("host", ["", "evil.org/path", "a b", "user@evil.org", 'h"><x'])
def test_bad_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError):
        stream_url_for(host, None, "https")


def test_public_url_with_odd_scheme_is_refused() -> None:
    with pytest.raises(ValueError):
        stream_url_for("h", "ftp://x.org", "https")


# ---- signature --------------------------------------------------------------------------------

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
TOKEN = "12345"


def reference_signature(data: str, token: str) -> str:
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# The signed string written out by hand: URL, then name+value pairs sorted by name.
SIGNED = (
    "https://mycompany.com/myapp.php?foo=1&bar=2"
    "CallSidCA1234567890ABCDE"
    "Caller+12349013030"
    "Digits1234"
    "From+12349013030"
    "To+18005551212"
)


def test_signature_matches_independent_computation_and_twilio_docs_example() -> None:
    expected = reference_signature(SIGNED, TOKEN)
    # the value Twilio's webhook-security documentation gives for this very example
    assert expected == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature(URL, PARAMS, TOKEN) == expected
    assert validate_twilio_signature(URL, PARAMS, expected, TOKEN)


def test_signature_rejects_tampering() -> None:
    good = reference_signature(SIGNED, TOKEN)
    assert not validate_twilio_signature(URL, {**PARAMS, "Digits": "1235"}, good, TOKEN)
    assert not validate_twilio_signature(URL, {**PARAMS, "Extra": ""}, good, TOKEN)
    assert not validate_twilio_signature(URL + "&baz=3", PARAMS, good, TOKEN)
    assert not validate_twilio_signature(URL, PARAMS, good, "54321")
    assert not validate_twilio_signature(URL, PARAMS, good[:-2] + "A=", TOKEN)
    assert not validate_twilio_signature(URL, PARAMS, None, TOKEN)
    assert not validate_twilio_signature(URL, PARAMS, "", TOKEN)
    assert not validate_twilio_signature(URL, PARAMS, good, "")
    assert not validate_twilio_signature(URL, PARAMS, "非ASCII签名", TOKEN)


def test_websocket_handshake_signs_url_alone() -> None:
    url = "wss://ivr.example.org/twilio/media"
    assert validate_twilio_signature(url, {}, reference_signature(url, TOKEN), TOKEN)


def test_signature_tolerates_default_port_differences() -> None:
    with_port = reference_signature("https://mycompany.com:443/myapp.php?foo=1&bar=2", TOKEN)
    assert validate_twilio_signature(URL, {}, with_port, TOKEN)
    without = reference_signature(URL, TOKEN)
    assert validate_twilio_signature("https://mycompany.com:443/myapp.php?foo=1&bar=2", {},
                                     without, TOKEN)


def test_repeated_parameters_sign_each_value_sorted() -> None:
    signed = "https://h/xAa1Aa2Bb"
    params = {"B": "b", "Aa": ["2", "1"]}
    assert validate_twilio_signature("https://h/x", params, reference_signature(signed, TOKEN),
                                     TOKEN)


def test_a_dial_reports_its_end_to_the_action_url() -> None:
    from ivr.twiml import dial_twiml

    root = ET.fromstring(dial_twiml("sip:li@pbx.example", "人社局",
                                    "https://ivr.example/twilio/dial-ended"))
    dial = root.find("Dial")
    assert dial is not None and dial.get("action") == "https://ivr.example/twilio/dial-ended"
    assert dial.get("method") == "POST" and dial.findtext("Sip") == "sip:li@pbx.example"
