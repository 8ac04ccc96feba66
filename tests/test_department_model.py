"""Tests for dialog.department_model: routing with a model of the city's routed messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dialog.department_model import (
    DepartmentModel,
    DepartmentModelError,
    LearnedRouter,
    features,
)
from dialog.intents import KnowledgeBase
from dialog.router_long import LongTextRouter
from dialog.routing import blend_scores
from dialog.tools.department_training import RoutedExample, train_model

FUMES = ("饭店油烟扰民", "临街的饭店油烟直接排到我们楼里，熏得人头疼")
DRIVING_SCHOOL = ("驾校不给排考", "交了学费四个月，驾校还不安排考试，说要再交加急费")


@pytest.fixture(scope="module")
def long_router(kb: KnowledgeBase) -> LongTextRouter:
    return LongTextRouter(kb)


def test_features_repeat_the_title_and_normalise() -> None:
    grams = features("噪音", title="油烟")
    assert grams["油烟"] == 2 and grams["噪音"] == 1
    assert features("ＡＢＣ")["abc"] == 1  # full width folded like the matcher does
    assert "油" not in grams  # single characters carry too little in a letter


def test_the_model_learns_the_citys_split(routed_examples: list[RoutedExample]) -> None:
    model = train_model(routed_examples)
    assert model.predict(FUMES[1], FUMES[0]) == "housing"
    assert model.predict(DRIVING_SCHOOL[1], DRIVING_SCHOOL[0]) == "public_security"
    probs = model.probabilities(FUMES[1], FUMES[0])
    assert abs(sum(probs.values()) - 1.0) < 1e-9
    assert set(probs) == {e.department for e in routed_examples}


def test_routed_messages_override_the_general_rule_where_the_city_differs(
    routed_examples: list[RoutedExample], long_router: LongTextRouter
) -> None:
    # The knowledge base alone follows the national split (fumes: environment or market;
    # driving schools: transport); with this city's messages the router follows the city.
    assert long_router.route(FUMES[1], FUMES[0]).department != "housing"
    assert long_router.route(DRIVING_SCHOOL[1], DRIVING_SCHOOL[0]).department != "public_security"
    router = LearnedRouter(long_router, train_model(routed_examples), blend=0.4)
    fumes = router.route(FUMES[1], FUMES[0])
    assert fumes.department == "housing" and fumes.learned > fumes.knowledge
    assert router.route(DRIVING_SCHOOL[1], DRIVING_SCHOOL[0]).department == "public_security"
    # …and a topic both agree on stays where it was.
    assert router.route("河边的工厂往河里排污水，水都黑了").department == "environment"


def test_blend_one_is_the_knowledge_base_alone(
    routed_examples: list[RoutedExample], long_router: LongTextRouter
) -> None:
    router = LearnedRouter(long_router, train_model(routed_examples), blend=1.0)
    for text, title in (FUMES[::-1], DRIVING_SCHOOL[::-1], ("公积金怎么提取", "")):
        assert router.route(text, title).department == long_router.route(text, title).department


def test_departments_the_model_never_saw_keep_their_share() -> None:
    ids = ["housing", "market", "tax"]
    scores = blend_scores(ids, np.asarray([1.0, 1.0, 2.0]), {"housing": 0.9, "market": 0.1},
                          blend=0.5)
    assert scores == pytest.approx([0.575, 0.175, 0.5])


def test_save_and_load_give_the_same_router(
    routed_examples: list[RoutedExample], tmp_path: Path
) -> None:
    model = train_model(routed_examples)
    model.blend = 0.3
    path = tmp_path / "var" / "router.json"
    model.save(path)
    loaded = DepartmentModel.load(path)
    assert loaded.blend == 0.3 and loaded.trained_on == len(routed_examples)
    assert loaded.fingerprint == model.fingerprint
    before, after = model.probabilities(*FUMES[::-1]), loaded.probabilities(*FUMES[::-1])
    assert before == pytest.approx(after, abs=1e-5)
    assert not list(tmp_path.glob("var/*.tmp"))


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "cannot read"),
    ('{"format": "something else"}', "not a hotline-ivr router model"),
    ('{"format": "hotline-ivr/ticket-model", "version": 99}', "version 99"),
    ('{"format": "hotline-ivr/ticket-model", "version": 1, "departments": ["a", "b"], '
     '"vocabulary": ["xy"], "idf": [1.0], "weights": [[1.0, 2.0]]}', "damaged"),
    ('{"format": "hotline-ivr/ticket-model", "version": 1, "departments": ["a", "b"]}',
     "damaged"),
])
def test_a_bad_model_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DepartmentModelError, match=message) as caught:
        DepartmentModel.load(path)
    assert str(path) in str(caught.value)


def test_a_model_naming_unknown_departments_is_refused(long_router: LongTextRouter) -> None:
    model = train_model([RoutedExample("路灯坏了很久", "housing"),
                         RoutedExample("路灯坏了", "parks")])
    with pytest.raises(DepartmentModelError, match="parks"):
        LearnedRouter(long_router, model, 0.5)


def test_model_file_is_json_without_code(
    routed_examples: list[RoutedExample], tmp_path: Path
) -> None:
    path = tmp_path / "m.json"
    train_model(routed_examples).save(path)
    data = json.loads(path.read_text("utf-8"))
    # the format tag of files trained before the rename: they must keep loading
    assert data["format"] == "hotline-ivr/ticket-model" and len(data["weights"]) == 6
