"""Reading a media socket (ivr/web/media.py): a backlog is read one message per loop turn,
so one call's piled-up messages never starve the others, and a message that had to be
waited for costs no extra turn."""

from __future__ import annotations

import asyncio
from typing import Any

from ivr.web.media import _LoopTurn, _read_messages


class Piled:
    """A socket whose messages all arrived already: `receive` never suspends."""

    def __init__(self, count: int) -> None:
        self.left = count

    async def receive(self) -> dict[str, Any]:
        if self.left == 0:
            return {"type": "websocket.disconnect", "code": 1000}
        self.left -= 1
        return {"type": "websocket.receive", "text": "frame"}


def test_a_backlog_is_read_one_message_per_turn_of_the_loop() -> None:
    async def run() -> list[int]:
        got: list[str] = []
        seen: list[int] = []

        async def other_call() -> None:
            for _ in range(8):
                seen.append(len(got))
                await asyncio.sleep(0)

        writer = asyncio.create_task(asyncio.sleep(60))
        other = asyncio.create_task(other_call())
        await asyncio.sleep(0)
        async for message in _read_messages(Piled(5), writer, 1000,  # type: ignore[arg-type]
                                            asyncio.Queue(), lambda _reason: None):
            got.append(str(message))
        writer.cancel()
        await asyncio.gather(other, writer, return_exceptions=True)
        assert got == ["frame"] * 5
        return seen

    seen = asyncio.run(run())
    assert seen[:6] == [0, 1, 2, 3, 4, 5]  # the other call ran between every two messages


def test_a_turn_of_the_loop_is_noticed() -> None:
    async def run() -> tuple[bool, bool]:
        turn = _LoopTurn(asyncio.get_running_loop())
        before = turn.passed
        await asyncio.sleep(0)
        return before, turn.passed

    assert asyncio.run(run()) == (False, True)
