"""Whisper's runners-up (asr/whisper_nbest.py) with a stand-in for CTranslate2's model: a
beam search asks for several hypotheses and keeps the others for its own thread; sampled
(temperature fallback) or multi-window decodes give none. The real engine's readings are
tested in tests/test_whisper_engine.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from asr.whisper_nbest import NBestModel


@dataclass
class Result:
    sequences_ids: list[list[int]]
    scores: list[float] = field(default_factory=list)


class FakeWhisper:
    """Returns `hypotheses` token lists per call: as many as asked (num_hypotheses)."""

    is_multilingual = True

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def generate(self, features: object, prompts: list[list[int]], **kwargs: Any) -> list[Result]:
        self.calls.append(kwargs)
        n = int(kwargs.get("num_hypotheses", 1))
        return [Result([[len(self.calls), k] for k in range(n)])]


def test_a_beam_search_keeps_its_runners_up() -> None:
    model = NBestModel(FakeWhisper(), readings=5)
    model.begin()
    best = model.generate("enc", [[1]], beam_size=5, patience=1)[0]
    assert best.sequences_ids[0] == [1, 0]  # faster-whisper reads the first: unchanged
    assert model.calls[0]["num_hypotheses"] == 5
    assert model.others() == [[1, 1], [1, 2], [1, 3], [1, 4]]
    assert model.is_multilingual  # everything else is the wrapped model's


def test_never_more_readings_than_the_beam_holds() -> None:
    model = NBestModel(FakeWhisper(), readings=5)
    model.begin()
    model.generate("enc", [[1]], beam_size=3)
    assert model.calls[0]["num_hypotheses"] == 3 and len(model.others()) == 2
    model.begin()
    model.generate("enc", [[1]], beam_size=1)  # greedy: nothing to keep
    assert "num_hypotheses" not in model.calls[1] and model.others() == []


def test_sampled_or_repeated_decodes_give_no_readings() -> None:
    """The temperature fallback samples after a beam search: the beam's runners-up belong to
    a transcript that was thrown away. Two windows: whose readings would they be?"""
    model = NBestModel(FakeWhisper(), readings=5)
    model.begin()
    model.generate("enc", [[1]], beam_size=5)
    model.generate("enc", [[1]], beam_size=1, num_hypotheses=5, sampling_temperature=0.2)
    assert model.calls[1]["num_hypotheses"] == 5  # the fallback's own request untouched
    assert model.others() == []
    model.begin()
    model.generate("enc", [[1]], beam_size=5)
    model.generate("enc", [[1]], beam_size=5)
    assert model.others() == []


def test_each_thread_keeps_its_own_utterance() -> None:
    model = NBestModel(FakeWhisper(), readings=2)
    seen: dict[str, list[list[int]]] = {}
    started = threading.Barrier(2)

    def decode(name: str) -> None:
        model.begin()
        started.wait()
        model.generate("enc", [[1]], beam_size=5)
        started.wait()
        seen[name] = model.others()

    threads = [threading.Thread(target=decode, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen["a"] + seen["b"]) == [[1, 1], [2, 1]]
    assert len(seen["a"]) == len(seen["b"]) == 1


def test_a_thread_that_never_began_records_nothing() -> None:
    model = NBestModel(FakeWhisper(), readings=3)
    model.generate("enc", [[1]], beam_size=5)
    assert model.others() == []


@pytest.mark.parametrize("readings", [0, 11])
def test_readings_are_bounded(readings: int) -> None:
    with pytest.raises(ValueError, match="readings"):
        NBestModel(FakeWhisper(), readings)
