"""The learned department model on the phone path (dialog.phone_prior, Matcher(prior=...))."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialog.department_model import DepartmentModel, DepartmentModelError
from dialog.intents import KnowledgeBase
from dialog.matcher import Matcher
from dialog.phone_prior import PhonePrior, phone_prior
from dialog.routing_models import RoutingModels
from dialog.tools.department_training import read_examples, train_model

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "routed_sample.tsv"
FUMES = "楼下饭店的油烟太呛了"  # this made-up city sends restaurant fumes to urban management


@pytest.fixture(scope="module")
def model(kb: KnowledgeBase) -> DepartmentModel:
    return train_model(read_examples(SAMPLE, kb)[0])


def test_the_city_s_routing_chooses_among_departments(
    matcher: Matcher, model: DepartmentModel
) -> None:
    plain = matcher.match(FUMES)  # the knowledge base's FAQ: fumes are environment's
    assert plain.intent == "pollution_report" and plain.action == "transfer"
    assert plain.department == "environment" and "route_learned" not in plain.signals
    learned = matcher.match(FUMES, PhonePrior(model, 0.4))
    assert learned.intent is None and learned.action == "transfer"
    assert learned.department == "housing" and learned.signals["route_learned"] > 0.5
    # the record says which FAQ gave way, and the score is the knowledge base's routing
    assert learned.signals["faq_overruled"] == plain.score
    assert learned.score == learned.signals["route"]


def test_the_city_s_routing_leaves_answers_and_agreeing_faqs_alone(
    matcher: Matcher, model: DepartmentModel
) -> None:
    prior = PhonePrior(model, 0.4)
    for text in ("社保卡丢了怎么补办", "公积金怎么提取"):  # answered, whatever the city routes
        plain, learned = matcher.match(text), matcher.match(text, prior)
        assert learned.intent == plain.intent and learned.action == plain.action == "answer"


@pytest.mark.parametrize("text", [
    "今天天气怎么样",
    "你吃饭了吗",  # the classifier alone said food_safety 0.84; it now needs lexical support
    "嗯嗯"])
def test_chatter_is_not_routed_because_of_the_model(
    matcher: Matcher, model: DepartmentModel, text: str
) -> None:
    for blend in (0.0, 0.4):
        result = matcher.match(text, PhonePrior(model, blend))
        assert result.action == "none" and result.department is None, result


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("社保卡丢了怎么补办", "sbk_reissue"),
        ("公积金怎么提取", "hpf_withdraw"),
        ("转人工", "human_agent"),
    ],
)
def test_answers_are_unchanged_by_the_model(
    matcher: Matcher, model: DepartmentModel, text: str, intent: str
) -> None:
    plain, learned = matcher.match(text), matcher.match(text, PhonePrior(model, 0.0))
    assert plain.intent == learned.intent == intent
    assert (plain.action, plain.score) == (learned.action, learned.score)


def test_model_files_keep_the_phone_weight_and_old_files_stay_off_the_phone(
    tmp_path: Path, model: DepartmentModel
) -> None:
    path = tmp_path / "router.json"
    model.blend, model.phone_blend = 0.4, 0.6
    model.save(path)
    loaded = DepartmentModel.load(path)
    assert (loaded.blend, loaded.phone_blend) == (0.4, 0.6)
    prior = phone_prior(loaded)
    assert prior is not None and prior.blend == 0.6
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["phone_blend"]  # a file from before calls used the model
    path.write_text(json.dumps(data), encoding="utf-8")
    old = DepartmentModel.load(path)
    assert old.phone_blend is None and phone_prior(old) is None
    data["phone_blend"] = 1.5
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DepartmentModelError, match="blend weights"):
        DepartmentModel.load(path)


def test_the_server_s_router_serves_the_phone_prior(
    tmp_path: Path, kb: KnowledgeBase, model: DepartmentModel
) -> None:
    path = tmp_path / "router.json"
    router = RoutingModels(path)
    assert router.phone_prior(kb) is None  # no model: the knowledge base alone
    model.blend, model.phone_blend = 0.4, 0.4
    model.save(path)
    prior = router.phone_prior(kb)
    assert prior is not None and prior.blend == 0.4
    path.write_text("{broken", encoding="utf-8")
    assert router.phone_prior(kb) is None and "cannot read" in router.model_error
