"""Property-based hostile input over every media adapter (issue 11 item 6): whatever a peer
sends — random text and bytes, JSON of the right shape with the wrong values, valid messages
cut short, oversized or deeply nested, in any order — `receive_text`/`receive_bytes` never
raise, return only inbound events, and keep what they carry bounded and well-typed.

Every registered dialect (`ivr.media.registry.PROVIDERS`) is covered, so a new adapter is
fuzzed by registering it."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ivr.events import (
    AudioIn,
    CallerHungUp,
    CallStarted,
    Connected,
    DtmfIn,
    InboundEvent,
    MarkPlayed,
    ProtocolError,
    UnknownEvent,
)
from ivr.media.base import MAX_RAW_CHARS, MediaProtocol
from ivr.media.registry import PROVIDERS
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = ("connected", "start", "media", "dtmf", "mark", "stop", "clear", "hangup", "ping", "")
KEYS = ("event", "streamSid", "start", "callSid", "call_id", "sample_rate", "mediaFormat",
        "encoding", "sampleRate", "channels", "customParameters", "parameters", "media",
        "payload", "track", "dtmf", "digit", "mark", "name", "from", "to", "reason")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from((*EVENTS, "8000", "16000", "audio/x-mulaw", "audio/x-alaw", "inbound",
                       "outbound", "1", "#", "AAAA", "////", "not base64!")),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    max_leaves=20)


@st.composite
def shaped_messages(draw: st.DrawFn) -> str:
    """A JSON object that looks like a platform message: a known or odd event, any fields."""
    message = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6))
    message["event"] = draw(st.sampled_from(EVENTS) | json_values)
    return json.dumps(message)


def valid_messages(name: str, call_id: str) -> list[str | bytes]:
    """One well-formed call in the dialect `name`, as the platform would send it."""
    if name == "twilio":
        payload = base64.b64encode(b"\xff" * 160).decode()
        sid = {"streamSid": "MZ1"}
        return [json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
                json.dumps({"event": "start", **sid, "start": {
                    "callSid": call_id, "streamSid": "MZ1", "customParameters": {"from": "1"},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                    "channels": 1}}}),
                json.dumps({"event": "media", **sid, "media": {"track": "inbound",
                                                               "payload": payload}}),
                json.dumps({"event": "dtmf", **sid, "dtmf": {"digit": "5"}}),
                json.dumps({"event": "mark", **sid, "mark": {"name": "u1-c0"}}),
                json.dumps({"event": "stop", **sid, "stop": {}})]
    return [json.dumps({"event": "start", "call_id": call_id, "sample_rate": 8000,
                        "from": "1", "to": "2", "parameters": {"a": 1}}),
            b"\0\1" * 160,
            json.dumps({"event": "dtmf", "digit": "#"}),
            json.dumps({"event": "mark", "name": "u1-c0"}),
            json.dumps({"event": "stop", "reason": "caller-hangup"})]


@st.composite
def sessions(draw: st.DrawFn, name: str) -> list[str | bytes]:
    """A valid call's messages shuffled, some cut short or repeated, mixed with junk."""
    valid = valid_messages(name, draw(st.text(min_size=1, max_size=20)))
    pool = st.sampled_from(valid)
    cut = pool.flatmap(lambda m: st.integers(0, max(0, len(m) - 1)).map(lambda n: m[:n]))
    junk = (st.text(max_size=200) | st.binary(max_size=700) | shaped_messages()
            | json_values.map(json.dumps))
    return draw(st.lists(pool | cut | junk, max_size=25))


def check(protocol: MediaProtocol, message: str | bytes) -> list[InboundEvent]:
    events = (protocol.receive_text(message) if isinstance(message, str)
              else protocol.receive_bytes(message))
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, InboundEvent)
        if isinstance(event, AudioIn):
            assert event.samples.dtype == np.int16 and event.samples.ndim == 1
            assert event.sample_rate > 0
        elif isinstance(event, ProtocolError):
            assert event.raw is None or len(event.raw) <= MAX_RAW_CHARS + 40
        elif isinstance(event, CallStarted):
            assert event.call_id and isinstance(event.call_id, str)
            assert all(isinstance(k, str) and isinstance(v, str)
                       for k, v in event.parameters.items())
        elif isinstance(event, DtmfIn):
            assert event.digit in "0123456789*#ABCD"
        elif isinstance(event, MarkPlayed):
            assert event.name
        elif isinstance(event, UnknownEvent | CallerHungUp | Connected):
            pass
    return events


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@FUZZ
@given(data=st.data())
def test_no_sequence_of_messages_makes_an_adapter_raise(name: str, data: st.DataObject) -> None:
    protocol = PROVIDERS[name].protocol()
    starts = 0
    for message in data.draw(sessions(name)):
        starts += sum(isinstance(e, CallStarted) for e in check(protocol, message))
    assert starts <= 1  # a stream starts once, whatever else arrives
    assert protocol.started == (starts == 1)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@FUZZ
@given(message=shaped_messages() | st.text() | st.binary())
def test_any_single_message_before_or_after_start(name: str, message: str | bytes) -> None:
    fresh = PROVIDERS[name].protocol()
    check(fresh, message)
    started = PROVIDERS[name].protocol()
    for opening in valid_messages(name, "CA1")[:2]:
        check(started, opening)
    check(started, message)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@pytest.mark.parametrize("message", [
    "[" * 200_000 + "]" * 200_000,                        # nested past the recursion limit
    '{"event":"' + "x" * 2_000_000 + '"}',                # an enormous event name
    '{"event":"media","media":{"payload":"' + "A" * 1_000_003 + '"}}',  # bad base64, huge
    "\ud800" * 1000,                                     # lone surrogates
    b"\x01" * 1_000_001,                                 # a huge odd binary frame
])
def test_oversized_and_pathological_messages(name: str, message: str | bytes) -> None:
    fresh = PROVIDERS[name].protocol()
    check(fresh, message)
    started = PROVIDERS[name].protocol()
    for opening in valid_messages(name, "CA1")[:2]:
        check(started, opening)
    assert started.started
    check(started, message)


# ---- the whole server: hostile streams never crash it nor leave a call behind ------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path_factory.mktemp("fuzz"), shared_kb_holder()) as running:
        yield running


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_streams_end_cleanly_on_the_real_app(
        name: str, served: tuple[TestClient, FakeWorld], data: st.DataObject) -> None:
    client, world = served
    messages = data.draw(sessions(name))
    with client.websocket_connect(PROVIDERS[name].path) as ws:
        with contextlib.suppress(Exception):  # the server may already have closed it
            for message in messages:
                if isinstance(message, str):
                    ws.send_text(message)
                else:
                    ws.send_bytes(message)
            ws.send_text(json.dumps({"event": "stop"}))
        while ws.receive()["type"] != "websocket.close":
            pass
        world.wait_until_calls_served()
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["active_calls"] == 0
