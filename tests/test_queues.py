"""Per-department queue modes (ivr.contact.queues) and the platform side of `dial` mode:
TwiML `<Dial>` and the L16 `transfer` with a target."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ivr.config import ServerConfig
from ivr.contact.queues import mode_for, parse_queue_modes
from ivr.events import TransferCall
from ivr.media.l16 import L16MediaProtocol
from ivr.twiml import dial_twiml


def test_modes_per_department_over_a_default() -> None:
    modes = parse_queue_modes("desk", "hrss=dial, tax=platform")
    assert mode_for("hrss", "desk", modes) == "dial"
    assert mode_for("tax", "desk", modes) == "platform"
    assert mode_for("housing_fund", "desk", modes) == "desk"


@pytest.mark.parametrize(("default", "spec"), [("desk", "hrss"), ("desk", "hrss=phone"),
                                               ("queue", ""), ("desk", "=dial")])
def test_bad_modes_are_refused_at_start(default: str, spec: str) -> None:
    with pytest.raises(ValueError, match="IVR_QUEUE_MODE"):
        ServerConfig(queue_mode=default, queue_modes=spec)


@pytest.mark.parametrize(("target", "noun"), [("sip:li@pbx.example.gov.cn", "Sip"),
                                              ("+8613912345678", "Number")])
def test_dial_twiml_uses_the_noun_for_the_target(target: str, noun: str) -> None:
    root = ET.fromstring(dial_twiml(target, "人社局"))
    dial = root.find("Dial")
    assert dial is not None and dial.get("timeout") == "30"
    assert [(c.tag, c.text) for c in dial] == [(noun, target)]


def test_dial_twiml_escapes_and_refuses_an_empty_target() -> None:
    assert "&lt;" in dial_twiml("sip:a<b@x", "")
    with pytest.raises(ValueError):
        dial_twiml(" ", "")


def test_l16_transfer_names_the_target_only_when_there_is_one() -> None:
    proto = L16MediaProtocol()
    list(proto.receive_text(json.dumps({"event": "start", "call_id": "c1",
                                        "sample_rate": 8000})))
    plain = json.loads(proto.send(TransferCall("hrss", "hrss", "intent"))[0])
    assert "target" not in plain
    dial = json.loads(proto.send(TransferCall("hrss", "hrss", "agent", "sip:li@pbx"))[0])
    assert dial["target"] == "sip:li@pbx" and dial["event"] == "transfer"
