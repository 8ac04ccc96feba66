"""Playback: paced messages, sparse marks, heard when the last mark returns, clear on barge-in.

Most tests run 100 ms chunks with a mark after each (the simplest to count); the tests at the
end check the defaults: 20 ms messages, a mark every 200 ms and at each utterance's end, and
the wait between two messages under a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ivr.events import ClearAudio, OutboundCommand, SendAudio, SendMark
from ivr.playback import Playback
from tests.fakes import FakeClock


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


def _playback(rec: Recorder, clock: FakeClock | None = None, **kw: float) -> Playback:
    # lead_s is large so nothing waits for the pacing unless a test asks for it
    return Playback(rec.send, rec.on_heard, rec.on_started, sample_rate=8000, chunk_ms=100,
                    mark_every_ms=100,
                    lead_s=kw.get("lead_s", 100.0), mark_grace_s=kw.get("grace", 100.0),
                    clock=clock or FakeClock())


def _start(pb: Playback) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(pb.run())


async def _stop(pb: Playback, task: asyncio.Task[None]) -> None:
    pb.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_each_chunk_is_followed_by_a_mark_and_heard_on_the_last() -> None:
    async def run() -> Recorder:
        rec = Recorder()
        pb = _playback(rec)
        task = _start(pb)
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
        await _stop(pb, task)
        return rec

    asyncio.run(run())


def test_utterances_play_in_order() -> None:
    async def run() -> None:
        rec = Recorder()
        pb = _playback(rec)
        task = _start(pb)
        pb.enqueue("answer", np.ones(800, np.int16))
        pb.enqueue("anything_else", np.full(800, 2, np.int16))
        await _settle()
        audio = [c.samples[0] for c in rec.sent if isinstance(c, SendAudio)]
        assert audio == [1, 2]
        for m in rec.marks():
            pb.mark_played(m)
        assert rec.heard == [("answer", False), ("anything_else", False)]
        await _stop(pb, task)

    asyncio.run(run())


def test_interrupt_sends_clear_and_reports_cut_utterances() -> None:
    async def run() -> None:
        rec = Recorder()
        pb = _playback(rec)
        task = _start(pb)
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
        await _stop(pb, task)

    asyncio.run(run())


def test_lost_marks_do_not_hang_the_call() -> None:
    async def run() -> None:
        rec, clock = Recorder(), FakeClock()
        pb = _playback(rec, clock, grace=3.0)
        task = _start(pb)
        pb.enqueue("prompt", np.ones(80, np.int16))  # 10 ms of audio
        await _settle()
        clock.advance(3.0)  # the audio's 10 ms plus most of the grace: still waiting
        await _settle()
        assert rec.heard == []
        clock.advance(0.02)
        await _settle()
        assert rec.heard == [("prompt", False)]
        await _stop(pb, task)

    asyncio.run(run())


def test_pacing_never_runs_ahead_of_the_lead() -> None:
    async def run() -> None:
        rec, clock = Recorder(), FakeClock()
        pb = _playback(rec, clock, lead_s=0.25)
        task = _start(pb)
        pb.enqueue("long", np.ones(8000, np.int16))  # 1 s
        await _settle()
        sent = [c for c in rec.sent if isinstance(c, SendAudio)]
        # with the clock frozen, only 0.3 s (≤ lead + one chunk) may leave
        assert len(sent) == 3
        for step in range(7):  # then one 100 ms chunk per 100 ms that passes
            clock.advance(0.1)
            await _settle()
            assert len([c for c in rec.sent if isinstance(c, SendAudio)]) == 4 + step
        await _stop(pb, task)

    asyncio.run(run())


def test_drain_waits_for_the_last_mark_or_the_timeout() -> None:
    async def run() -> None:
        rec, clock = Recorder(), FakeClock()
        pb = _playback(rec, clock)
        task = _start(pb)
        pb.enqueue("goodbye", np.ones(800, np.int16))
        drained = asyncio.ensure_future(pb.drain(5.0))
        await _settle()
        marks = rec.marks()
        assert len(marks) == 2 and not drained.done()  # the prompt's mark, then the marker's
        pb.mark_played(marks[0])
        await _settle()
        assert rec.heard == [("goodbye", False)] and not drained.done()
        pb.mark_played(marks[1])
        assert await drained is True
        assert not pb.speaking
        # a platform that never echoes: drain gives up after its timeout, on the clock
        late = asyncio.ensure_future(pb.drain(1.0))
        await _settle()
        clock.advance(0.9)
        await _settle()
        assert not late.done()
        clock.advance(0.2)
        assert await late is False
        await _stop(pb, task)

    asyncio.run(run())


def test_a_streamed_utterance_plays_its_first_piece_before_the_rest_exists() -> None:
    async def run() -> tuple[Recorder, list[str], list[str]]:
        rec = Recorder()
        pb = _playback(rec)
        task = _start(pb)
        stream = pb.open_stream("answer", np.ones(2000, dtype=np.int16))  # 3 chunks
        await _settle()
        before_rest = rec.marks()
        stream.append(np.ones(800, dtype=np.int16))
        await _settle()
        stream.finish()
        await _settle()
        marks = rec.marks()
        pb.mark_played(marks[-1])
        await _stop(pb, task)
        return rec, before_rest, marks

    rec, before_rest, marks = asyncio.run(run())
    # the last chunk of what exists is held back: it may have to carry the final mark
    assert before_rest == ["u1.0", "u1.1"]
    assert marks == ["u1.0", "u1.1", "u1.2", "u1.3"]
    audio = [c for c in rec.sent if isinstance(c, SendAudio)]
    assert sum(len(c.samples) for c in audio) == 2800
    assert rec.heard == [("answer", False)]


def test_a_streamed_utterance_cut_by_barge_in_takes_no_more_audio() -> None:
    async def run() -> tuple[Recorder, bool]:
        rec = Recorder()
        pb = _playback(rec)
        task = _start(pb)
        stream = pb.open_stream("answer", np.ones(2000, dtype=np.int16))
        await _settle()
        await pb.interrupt()
        stream.append(np.ones(800, dtype=np.int16))
        stream.finish()
        await _settle()
        dropped = stream.dropped
        await _stop(pb, task)
        return rec, dropped

    rec, dropped = asyncio.run(run())
    assert dropped
    assert rec.heard == [("answer", True)]
    assert sum(len(c.samples) for c in rec.sent if isinstance(c, SendAudio)) == 1600


class TimedRecorder(Recorder):
    """Notes the fake clock's time of every message."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.at: list[float] = []

    async def send(self, command: OutboundCommand) -> None:
        await super().send(command)
        self.at.append(self.clock.monotonic())


def test_default_messages_are_20_ms_with_a_mark_every_200_ms_and_at_the_end() -> None:
    async def run() -> tuple[Recorder, list[tuple[str, bool]]]:
        rec = Recorder()
        pb = Playback(rec.send, rec.on_heard, lead_s=100.0, clock=FakeClock())
        task = _start(pb)
        pb.enqueue("answer", np.arange(4100, dtype=np.int16))  # 512.5 ms → 26 messages
        await _settle()
        marks = rec.marks()
        for mark in marks[:-1]:
            pb.mark_played(mark)
        heard_before_last = list(rec.heard)
        pb.mark_played(marks[-1])
        await _stop(pb, task)
        return rec, heard_before_last

    rec, heard_before_last = asyncio.run(run())
    audio = [c for c in rec.sent if isinstance(c, SendAudio)]
    assert [len(a.samples) for a in audio] == [160] * 25 + [100]
    assert np.array_equal(np.concatenate([a.samples for a in audio]), np.arange(4100))
    assert rec.marks() == ["u1.9", "u1.19", "u1.25"]  # after 200 ms, 400 ms and the end
    # each mark follows the audio it stands for
    kinds = ["m" if isinstance(c, SendMark) else "a" for c in rec.sent]
    assert kinds == ["a"] * 10 + ["m"] + ["a"] * 10 + ["m"] + ["a"] * 6 + ["m"]
    assert heard_before_last == [] and rec.heard == [("answer", False)]


async def _paced(clock: FakeClock, seconds: float, steps: list[float]) -> TimedRecorder:
    """`seconds` of audio through a 20 ms, 0.3 s-lead playback, the clock moved by `steps`."""
    rec = TimedRecorder(clock)
    pb = Playback(rec.send, rec.on_heard, lead_s=0.3, clock=clock)
    task = _start(pb)
    pb.enqueue("long", np.ones(int(8000 * seconds), np.int16))
    await _settle()
    for step in steps:
        clock.advance(step)
        await _settle()
    await _stop(pb, task)
    return rec


def test_paced_messages_never_wait_longer_than_one_message_apart() -> None:
    """Against the clock, 20 ms messages leave 20 ms apart once the lead is queued, without
    drift, even when the sender is woken late: it then catches up at once."""
    steps = [0.045 if step == 100 else 0.01 for step in range(300)]  # one late wake-up
    rec = asyncio.run(_paced(FakeClock(), 3.0, steps))  # 3 s: 150 messages
    times = [t for c, t in zip(rec.sent, rec.at, strict=True) if isinstance(c, SendAudio)]
    assert len(times) == 150
    start = times[0]
    assert times[:16] == [start] * 16  # the lead (0.3 s) and the message that crosses it
    gaps = np.diff(times[16:])
    assert gaps.max() <= 0.045 + 1e-9  # the one late wake-up, then it catches up
    assert np.median(gaps) == pytest.approx(0.02)
    # no drift: message n leaves when the audio before it is within the lead of playing out
    for n, t in enumerate(times[16:], start=16):
        assert t <= start + n * 0.02 - 0.3 + 0.045 + 1e-9


class EarlyTimers(FakeClock):
    """A clock whose timers fire a millisecond early, as uvloop's do (whole milliseconds on
    a clock read once per loop turn); counts the timers the sender sets."""

    def __init__(self) -> None:
        super().__init__()
        self.timers = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        self.timers += 1
        return super().call_later(max(0.0, delay - 0.001), callback)


def test_a_timer_that_fires_early_costs_no_second_wake_up() -> None:
    """A message due within 2 ms is sent when the timer fires: one timer per message, not a
    second and third to wait out the last millisecond (most of the sender's wake-ups)."""
    clock = EarlyTimers()
    rec = asyncio.run(_paced(clock, 2.0, [0.001] * 2000))  # 100 messages, 1 ms steps
    timers = clock.timers
    audio = [t for c, t in zip(rec.sent, rec.at, strict=True) if isinstance(c, SendAudio)]
    assert len(audio) == 100
    paced = len(audio) - 16  # the first 16 go out at once (the lead)
    assert timers <= paced + 2  # one wait per paced message (and the utterance's watchdog)


def _run_with_a_stall(stall_s: float, second_after: int | None = None) -> list[float]:
    """3 s of audio paced at 20 ms with a 0.3 s lead; the sender is not woken for `stall_s`
    once (a stalled loop); returns the underruns reported."""
    async def run() -> list[float]:
        clock = FakeClock()
        rec = TimedRecorder(clock)
        underruns: list[float] = []
        pb = Playback(rec.send, rec.on_heard, lead_s=0.3, clock=clock,
                      on_underrun=underruns.append)
        task = _start(pb)
        pb.enqueue("long", np.ones(8000 * 3, np.int16))
        await _settle()
        for step in range(400):
            clock.advance(stall_s if step == 50 else 0.01)
            await _settle()
            if step == second_after:
                pb.enqueue("next", np.ones(800, np.int16))  # after a natural pause
        await _stop(pb, task)
        return underruns

    return asyncio.run(run())


def test_a_stall_longer_than_the_lead_is_reported_as_the_silence_heard() -> None:
    """Only when the platform's queued audio ran out mid-utterance did the caller hear a gap:
    a 0.5 s stall against a 0.3 s lead is about 0.2 s of silence, reported once."""
    underruns = _run_with_a_stall(0.5)
    assert len(underruns) == 1
    assert underruns[0] == pytest.approx(0.2, abs=0.021)


def test_late_sends_within_the_lead_and_pauses_between_utterances_are_not_gaps() -> None:
    """A 0.2 s stall is covered by the queued 0.3 s; the silence before the next utterance
    (enqueued long after the first finished) is a pause, not an underrun."""
    assert _run_with_a_stall(0.2, second_after=380) == []
