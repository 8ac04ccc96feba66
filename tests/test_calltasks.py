"""A call's tasks and timers: a failing task is logged and the others go on; timers restart."""

from __future__ import annotations

import asyncio

import pytest

from ivr.calltasks import CallTasks, CallTimers
from tests.fakes import FakeClock


def test_a_failing_task_does_not_cancel_the_call_and_cancel_stops_the_rest(
        caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> list[str]:
        done: list[str] = []
        tasks = CallTasks(lambda: "CA1")

        async def fail() -> None:
            raise ValueError("one bad prompt")

        async def finish() -> None:
            await asyncio.sleep(0)
            done.append("finished")

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                done.append("cancelled")

        async with asyncio.TaskGroup() as group:
            tasks.bind(group)
            tasks.spawn(fail(), "failing")
            tasks.spawn(finish(), "finishing")
            tasks.spawn(forever(), "waiting")
            for _ in range(5):
                await asyncio.sleep(0)
            tasks.cancel()
            assert tasks.spawn(finish(), "late") is None  # closed: new work is dropped
        return done

    assert asyncio.run(run()) == ["finished", "cancelled"]
    assert "call CA1: failing failed" in caplog.text and "one bad prompt" in caplog.text


def test_timers_fire_once_and_restart_on_the_same_name() -> None:
    async def run() -> list[str]:
        clock, fired = FakeClock(), []
        timers = CallTimers(clock)
        timers.start("no_input", 8.0, fired.append)
        clock.advance(5.0)
        timers.start("no_input", 8.0, fired.append)  # restarted: 8 s from now
        clock.advance(5.0)
        await asyncio.sleep(0)
        assert fired == []
        clock.advance(3.0)
        await asyncio.sleep(0)
        timers.start("other", 1.0, fired.append)
        timers.cancel_all()
        clock.advance(10.0)
        await asyncio.sleep(0)
        return fired

    assert asyncio.run(run()) == ["no_input"]
