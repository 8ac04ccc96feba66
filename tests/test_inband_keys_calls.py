"""In-band keys in whole calls (in-process): a clean tone acts, a tone in speech does not, and
the caller's words are never thrown away for a tone. Per platform: Twilio reports keys as
events, so in-band detection is off there unless configured.

Real: the app, the Twilio adapter, VAD, the DTMF receiver on the audio, matcher, policy and
record. Scripted: the recognizer's words; fake: the clock and the voice (tests/fakes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from ivr.dtmf import generate_dtmf
from pcm.files import read_audio
from tests.conftest import FIXTURES
from tests.inprocess import FakeWorld, TwilioCaller, app_with_fakes, caller_speech, silence
from tests.inprocess import shared_kb_holder as _holder

BUY_HOUSE = "买房子可以提取公积金吗"
KEY_ZERO = generate_dtmf("0", tone_s=0.12, gap_s=0.0)


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return _holder()


@pytest.fixture
def inband(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder, inband_dtmf="on") as running:
        yield running


def _record(client: TestClient, sid: str) -> dict[str, Any]:
    record: dict[str, Any] = client.get(f"/api/calls/{sid}").json()
    return record


def _kinds(record: dict[str, Any], kind: str) -> list[str]:
    return [e["detail"] for e in record["events"] if e["kind"] == kind]


def test_a_clean_key_tone_transfers(inband: tuple[TestClient, FakeWorld],
                                    holder: KnowledgeBaseHolder) -> None:
    client, world = inband
    kb = holder.current.kb
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAtone")
        caller.dial()
        caller.speak(np.concatenate([silence(0.3), KEY_ZERO]), then_silence_s=1.0)
        default = kb.departments[kb.default_department]
        assert caller.hear() == kb.prompts["transfer"].format(department=default.name)
        caller.expect_hang_up()
    record = _record(client, "CAtone")
    assert (record["outcome"], record["transfer_reason"]) == ("transferred", "dtmf")
    assert _kinds(record, "dtmf") == ["0 (in-band)"]


def test_the_question_that_fired_a_false_key_is_answered(
        inband: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = inband
    speech, _ = read_audio(FIXTURES / "talk_off" / "buy_house_hpf_tel8k.wav")
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAhouse")
        caller.dial()
        world.engine.say(BUY_HOUSE)
        caller.speak(speech)
        assert caller.hear() == holder.current.kb.intents["hpf_withdraw"].answer
        caller.hang_up()
    record = _record(client, "CAhouse")
    assert [t["intent"] for t in record["turns"] if t["caller_text"]] == ["hpf_withdraw"]
    assert not _kinds(record, "dtmf") and not _kinds(record, "dtmf_ignored")
    assert not _kinds(record, "asr_dropped")


def test_a_tone_inside_speech_is_ignored_and_the_words_kept(
        inband: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = inband
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAmixed")
        caller.dial()
        world.engine.say(BUY_HOUSE)
        words = caller_speech(seconds=1.5)
        caller.speak(np.concatenate([words, KEY_ZERO, words]))  # no pause around the tone
        assert caller.hear() == holder.current.kb.intents["hpf_withdraw"].answer
        caller.hang_up()
    record = _record(client, "CAmixed")
    ignored = _kinds(record, "dtmf_ignored")
    assert len(ignored) == 1 and ignored[0].startswith("0 (in-band, not clean")
    assert not _kinds(record, "dtmf")
    assert [t["caller_text"] for t in record["turns"] if t["caller_text"]] == [BUY_HOUSE]
    assert record["outcome"] != "transferred"


def test_twilio_keys_come_as_events_so_tones_are_not_listened_for(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder) as (client, world):  # inband_dtmf: auto
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAauto")
            caller.dial()
            caller.speak(np.concatenate([silence(0.3), KEY_ZERO]), then_silence_s=1.0)
            caller.press("0")  # the platform's own report of the key
            assert caller.hear().startswith("正在为您转接")
            caller.expect_hang_up()
        record = _record(client, "CAauto")
    assert _kinds(record, "dtmf") == ["0 (out-of-band)"]  # once, not twice


def test_a_key_both_in_the_audio_and_reported_counts_once(
        inband: tuple[TestClient, FakeWorld]) -> None:
    client, world = inband
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAtwice")
        caller.dial()
        caller.speak(np.concatenate([silence(0.3), generate_dtmf("5", tone_s=0.12)]))
        caller.press("5")  # the gateway's own report of the same press
        caller.hang_up()
    record = _record(client, "CAtwice")
    pressed, duplicate = _kinds(record, "dtmf"), _kinds(record, "dtmf_duplicate")
    assert len(pressed) == 1 and pressed[0].startswith("5 (")  # whichever arrived first
    assert len(duplicate) == 1 and duplicate[0].startswith("5 (")
