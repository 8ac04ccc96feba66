"""Tests for dialog.router_long: routing long written messages sentence by sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialog import router_long
from dialog.intents import load_knowledge_base, parse_knowledge_base
from dialog.router_long import LongTextRouter, sentences

KB = parse_knowledge_base({
    "default_department": "front",
    "departments": [
        {"id": "front", "name": "前台", "queue": "q0", "keywords": ["建议", "反映"]},
        {"id": "env", "name": "环保局", "queue": "q1", "description": "污染和排污",
         "keywords": ["污染", "排污", "废气", "收费"]},
        {"id": "traffic", "name": "交通局", "queue": "q2", "description": "公交和公路",
         "keywords": ["公交", "公路", "站点", "收费"]},
    ],
    "prompts": {k: k for k in ("greeting", "anything_else", "ask_question", "no_match",
                               "no_input", "clarification", "transfer", "route", "queue",
                               "callback", "survey", "goodbye", "error")},
    "intents": [{"id": "bus", "department": "traffic", "answer": "查公交APP。",
                 "examples": ["末班车几点"], "keywords": ["末班车"]}],
})
ROUTER = LongTextRouter(KB)


def test_sentences_split_at_stops_and_cut_long_ones_at_commas() -> None:
    assert sentences("第一句。第二句！\n第三句？") == ["第一句", "第二句", "第三句"]
    long = "，".join(["一二三四五六七八九十"] * 20)
    parts = sentences(long)
    assert len(parts) > 1 and all(len(p) <= 120 for p in parts)
    assert "，".join(parts) == long  # cut only at commas, nothing lost


def test_evidence_adds_up_over_sentences() -> None:
    text = "我们村旁边的工厂天天排污。晚上还排废气。另外公交也不方便。"
    result = ROUTER.route(text)
    assert result.department == "env"
    assert result.evidence["env"] > result.evidence["traffic"] > 0


def test_title_outweighs_one_body_sentence() -> None:
    body = "工厂排污。我们坐公交去上班。"
    assert ROUTER.route(body, title="公交站点设置不合理").department == "traffic"
    assert ROUTER.route(body, title="工厂污染严重").department == "env"


def test_faq_vocabulary_counts_for_its_department() -> None:
    assert ROUTER.route("末班车太早了，下班回不了家。").department == "traffic"


def test_a_shared_keyword_is_split_between_its_departments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(router_long, "SEMANTIC_SHARE", 0.0)  # keywords alone
    scores = ROUTER.sentence_scores("收费")
    env, traffic = ROUTER.ids.index("env"), ROUTER.ids.index("traffic")
    assert scores[env] > 0 and scores[env] == pytest.approx(scores[traffic])
    assert scores[env] == pytest.approx(ROUTER.sentence_scores("排污")[env] / 2)


def test_the_general_queue_is_the_fallback_not_a_competitor() -> None:
    result = ROUTER.route("我想提个建议，反映一下情况。")
    assert result.department == "front" and not result.confident
    assert result.evidence == {}


def test_an_empty_message_goes_to_the_general_queue() -> None:
    result = ROUTER.route("")
    assert (result.department, result.confident, result.share) == ("front", False, 0.0)


def test_margin_and_confidence() -> None:
    clear = ROUTER.route("工厂排污，河水污染，废气熏人。")
    assert clear.confident and clear.share == pytest.approx(1.0)
    mixed = ROUTER.route("工厂排污。公交不通。")
    assert mixed.margin < clear.margin


def test_shipped_knowledge_base_routes_typical_letters() -> None:
    kb = load_knowledge_base(Path(__file__).resolve().parents[1] / "intents.yaml")
    router = LongTextRouter(kb)
    # Written for this test (not from any dataset): one letter per department.
    letters = {
        "housing": "小区物业不作为，电梯间垃圾没人清运。业委会也不管，请求相关部门督促物业整改。",
        "public_security": "我家附近的十字路口没有红绿灯，车流量大，经常发生交通事故。"
                           "希望交警加强管理。",
        "education": "孩子今年该上小学了，我们是外地户籍，想问划片入学需要什么材料。",
        "environment": "工业园里的化工厂晚上偷排废气，刺激性气味很重，河水也被污染了。",
        "hrss": "公司拖欠我们三个月工资，也不签劳动合同，不交社会保险，请求劳动监察处理。",
        "transport": "我们村到镇上没有通公交，村道也坑坑洼洼，希望修建道路并开通班车。",
    }
    for dept, letter in letters.items():
        assert router.route(letter).department == dept, dept
