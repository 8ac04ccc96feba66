"""Tests for dialog.routing_models: the server's routing of written messages and calls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dialog.intents import load_knowledge_base
from dialog.routing_models import MAX_MESSAGE_CHARS, RoutingModels
from dialog.tools.department_training import read_examples, train_model

REPO = Path(__file__).resolve().parents[1]
FUMES = ("临街的饭店油烟直接排到我们楼里，熏得人头疼", "饭店油烟扰民")


def test_without_a_model_file_the_knowledge_base_routes(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    router = RoutingModels(tmp_path / "absent.json")
    result = router.route(kb, "想问一下公积金怎么提取")
    assert result["department"] == "housing_fund" and result["via"] == "knowledge base"
    assert "model_error" not in result


def test_a_new_model_file_and_a_new_kb_are_picked_up(tmp_path: Path) -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    path = tmp_path / "router.json"
    router = RoutingModels(path)
    assert router.route(kb, *FUMES)["department"] != "housing"
    model = train_model(read_examples(REPO / "tests/data/routed_sample.tsv", kb)[0])
    model.blend = 0.4
    model.save(path)
    assert router.route(kb, *FUMES)["department"] == "housing"
    # A reloaded knowledge base (a new object) is used from the next message on.
    reloaded = load_knowledge_base(REPO / "intents.yaml")
    assert router.route(reloaded, *FUMES)["via"] == "knowledge base + tickets"
    path.write_text("{}", encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stat even within the same clock tick
    result = router.route(reloaded, *FUMES)
    assert result["via"] == "knowledge base" and "not a hotline-ivr router model" in \
        result["model_error"]


def test_overlong_messages_are_refused() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    with pytest.raises(ValueError, match="longer than"):
        RoutingModels(None).route(kb, "路" * (MAX_MESSAGE_CHARS + 1))
