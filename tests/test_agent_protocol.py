"""The agent desk's websocket messages (ivr.contact.agent_protocol), without sockets."""

from __future__ import annotations

import json

import pytest

from ivr.contact import agent_protocol as p


@pytest.mark.parametrize(("message", "command"), [
    ({"type": "status", "status": "available"}, p.SetStatus("available")),
    ({"type": "accept", "call_id": "CA1"}, p.Accept("CA1")),
    ({"type": "reject", "call_id": "CA1"}, p.Reject("CA1")),
    ({"type": "hangup"}, p.HangUpCall()),
    ({"type": "transfer", "department": "tax", "note": "问发票"}, p.TransferTo("tax", "问发票")),
    ({"type": "wrapup", "note": "已解答"}, p.WrapUp("已解答")),
    ({"type": "ping"}, p.Ping()),
])
def test_commands(message: dict[str, object], command: p.AgentCommand) -> None:
    assert p.parse_text(json.dumps(message)) == command


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"no": "type"}', '{"type": 5}', '{"type": "status", "status": "busy"}',
    '{"type": "accept"}', '{"type": "transfer"}', '{"type": "dance"}', "[" * 100_000,
    json.dumps({"type": "wrapup", "note": "x" * 10_000}),
])
def test_bad_messages_are_errors_not_exceptions(text: str) -> None:
    assert isinstance(p.parse_text(text), p.AgentProtocolError)


def test_long_notes_are_cut_to_the_limit() -> None:
    command = p.parse_text(json.dumps({"type": "wrapup", "note": "好" * 2500},
                                       ensure_ascii=False))
    assert isinstance(command, p.WrapUp) and len(command.note) == p.MAX_NOTE


def test_audio_frames() -> None:
    assert p.parse_binary(b"\x01\x00" * 160) == p.AgentAudio(b"\x01\x00" * 160)
    assert isinstance(p.parse_binary(b"\x01"), p.AgentProtocolError)
    assert isinstance(p.parse_binary(b"\x00" * (p.MAX_AUDIO_BYTES + 2)), p.AgentProtocolError)
