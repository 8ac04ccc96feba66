"""Playback: a mark after each chunk, heard when the last mark returns, clear on barge-in."""

from __future__ import annotations

import asyncio

import numpy as np

from ivr.events import ClearAudio, OutboundCommand, SendAudio, SendMark
from ivr.playback import Playback


class Recorder:
    def __init__(self) -> None:
        self.sent: list[OutboundCommand] = []
        self.heard: list[tuple[str, bool]] = []
        self.started: list[str] = []

    async def send(self, command: OutboundCommand) -> None:
        self.sent.append(command)

    def on_heard(self, key: str, interrupted: bool) -> None:
        self.heard.append((key, interrupted))

    def on_started(self, key: str, at: float) -> None:
        self.started.append(key)

    def marks(self) -> list[str]:
        return [c.name for c in self.sent if isinstance(c, SendMark)]


def _playback(rec: Recorder, **kw: float) -> Playback:
    # lead_s is large so nothing waits for the real-time pacing in these tests
    return Playback(rec.send, rec.on_heard, rec.on_started, sample_rate=8000, chunk_ms=100,
                    lead_s=kw.get("lead_s", 100.0), mark_grace_s=kw.get("grace", 100.0))


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_each_chunk_is_followed_by_a_mark_and_heard_on_the_last() -> None:
    async def run() -> Recorder:
        rec = Recorder()
        pb = _playback(rec)
        pb.start()
        pb.enqueue("greeting", np.arange(2000, dtype=np.int16))  # 250 ms → 3 chunks
        await _settle()
        kinds = [type(c) for c in rec.sent]
        assert kinds == [SendAudio, SendMark] * 3
        audio = [c for c in rec.sent if isinstance(c, SendAudio)]
        assert [len(a.samples) for a in audio] == [800, 800, 400]
        assert np.array_equal(np.concatenate([a.samples for a in audio]), np.arange(2000))
        assert pb.speaking and rec.started == ["greeting"]
        marks = rec.marks()
        pb.mark_played(marks[0])
        pb.mark_played(marks[1])
        assert rec.heard == []  # intermediate marks do not finish the utterance
        pb.mark_played(marks[2])
        assert rec.heard == [("greeting", False)]
        assert not pb.speaking
        await pb.close()
        return rec

    asyncio.run(run())


def test_utterances_play_in_order() -> None:
    async def run() -> None:
        rec = Recorder()
        pb = _playback(rec)
        pb.start()
        pb.enqueue("answer", np.ones(800, np.int16))
        pb.enqueue("anything_else", np.full(800, 2, np.int16))
        await _settle()
        audio = [c.samples[0] for c in rec.sent if isinstance(c, SendAudio)]
        assert audio == [1, 2]
        for m in rec.marks():
            pb.mark_played(m)
        assert rec.heard == [("answer", False), ("anything_else", False)]
        await pb.close()

    asyncio.run(run())


def test_interrupt_sends_clear_and_reports_cut_utterances() -> None:
    async def run() -> None:
        rec = Recorder()
        pb = _playback(rec)
        pb.start()
        pb.enqueue("answer", np.ones(1600, np.int16))
        await _settle()
        cut = await pb.interrupt()
        assert cut == ["answer"]
        assert isinstance(rec.sent[-1], ClearAudio)
        assert rec.heard == [("answer", True)]
        late = rec.marks()[-1]
        pb.mark_played(late)  # the platform echoes marks dropped by clear: ignored
        assert rec.heard == [("answer", True)]
        assert not pb.speaking
        assert await pb.interrupt() == []  # nothing to cut: no second clear
        assert sum(isinstance(c, ClearAudio) for c in rec.sent) == 1
        await pb.close()

    asyncio.run(run())


def test_lost_marks_do_not_hang_the_call() -> None:
    async def run() -> None:
        rec = Recorder()
        pb = _playback(rec, grace=0.01)
        pb.start()
        pb.enqueue("prompt", np.ones(80, np.int16))  # 10 ms of audio
        for _ in range(50):
            await asyncio.sleep(0.01)
            if rec.heard:
                break
        assert rec.heard == [("prompt", False)]
        await pb.close()

    asyncio.run(run())


def test_pacing_never_runs_ahead_of_the_lead() -> None:
    async def run() -> None:
        rec = Recorder()
        now = [0.0]
        pb = Playback(rec.send, rec.on_heard, sample_rate=8000, chunk_ms=100, lead_s=0.25,
                      mark_grace_s=100.0, clock=lambda: now[0])
        pb.start()
        pb.enqueue("long", np.ones(8000, np.int16))  # 1 s
        await asyncio.sleep(0.05)
        sent = [c for c in rec.sent if isinstance(c, SendAudio)]
        # with the clock frozen at 0, only 0.3 s (≤ lead + one chunk) may leave
        assert len(sent) == 3
        await pb.close()

    asyncio.run(run())
