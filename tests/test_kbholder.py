"""Tests for dialog.kbholder: hot reload that keeps the previous version on a broken file."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml

from dialog.intents import REQUIRED_PROMPTS, KnowledgeBaseError
from dialog.kbholder import KnowledgeBaseHolder
from dialog.policy import PolicyConfig


def kb_data(answer: str = "发票请找税务局。") -> dict[str, object]:
    return {
        "default_department": "front",
        "departments": [{"id": "front", "name": "前台", "queue": "q0"},
                        {"id": "tax", "name": "税务局", "queue": "q1"}],
        "prompts": {k: k for k in REQUIRED_PROMPTS},
        "intents": [{"id": "invoice", "department": "tax", "answer": answer,
                     "examples": ["发票怎么开"], "keywords": ["发票"]}],
    }


def write(path: Path, data: object, mtime_ns: int) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))  # distinct stamps without waiting for the clock


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "intents.yaml"
    write(path, kb_data(), 1_000_000_000)
    return path


def test_loads_on_creation(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file, PolicyConfig(no_input_s=3.0))
    current = holder.current
    assert current.version == 1 and current.path == kb_file
    assert current.matcher.match("发票怎么开").intent == "invoice"
    assert current.policy.config.no_input_s == 3.0
    assert not holder.changed() and holder.check_once() is None


def test_a_broken_file_at_start_up_raises(tmp_path: Path) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text("intents: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError):
        KnowledgeBaseHolder(path)


def test_reload_swaps_in_a_valid_file(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file)
    old = holder.current
    write(kb_file, kb_data("新的回答。"), 2_000_000_000)
    assert holder.changed()
    ok, message = holder.reload()
    assert ok and "version 2" in message
    assert holder.current.kb.intents["invoice"].answer == "新的回答。"
    assert old.kb.intents["invoice"].answer == "发票请找税务局。"  # calls in progress keep it
    assert not holder.changed()


def test_a_broken_file_keeps_the_previous_version(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file)
    broken = kb_data()
    broken["intents"][0]["department"] = "irs"  # type: ignore[index]
    write(kb_file, broken, 2_000_000_000)
    ok, message = holder.reload()
    assert not ok
    assert "intent 'invoice'" in message and "irs" in message and "version 1 keeps" in message
    assert holder.current.version == 1
    assert holder.current.matcher.match("发票怎么开").intent == "invoice"
    assert not holder.changed()  # reported once, not on every poll
    write(kb_file, kb_data("修好了。"), 3_000_000_000)
    result = holder.check_once()
    assert result is not None and result[0] and "version 2" in result[1]
    assert holder.current.kb.intents["invoice"].answer == "修好了。"


def test_a_deleted_file_is_an_error_not_a_crash(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file)
    kb_file.unlink()
    ok, message = holder.reload()
    assert not ok and "not found" in message and holder.current.version == 1


def test_watch_reloads_on_change_and_reports(kb_file: Path) -> None:
    holder = KnowledgeBaseHolder(kb_file)
    reports: list[tuple[bool, str]] = []
    ticks = 0

    async def fake_sleep(seconds: float) -> None:
        nonlocal ticks
        assert seconds == 0.5
        ticks += 1
        if ticks == 2:
            write(kb_file, kb_data("第二版。"), 2_000_000_000)
        if ticks == 4:
            raise asyncio.CancelledError

    async def run() -> None:
        await holder.watch(0.5, on_reload=lambda ok, msg: reports.append((ok, msg)),
                           sleep=fake_sleep)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run())
    assert [ok for ok, _ in reports] == [True]
    assert holder.current.kb.intents["invoice"].answer == "第二版。"
