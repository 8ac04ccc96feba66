"""Tests for dialog.intents: the shipped intents.yaml and the loader's validation."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialog.intents import (
    REQUIRED_PROMPTS,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
    parse_knowledge_base,
)
from dialog.normalize import normalize
from dialog.tools.evaluate import read_eval_file
from dialog.tools.kblint import lint

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "intents.yaml"
# The ids of the earlier call-path issue: setA, the e2e tests and call records use them.
ORIGINAL_FAQ_IDS = {
    "sbk_reissue", "pension_payment", "unemployment_benefit", "medical_reimburse",
    "hpf_withdraw", "biz_license", "biz_address_change", "consumer_complaint", "food_safety",
    "tax_invoice", "hukou_transfer", "office_hours", "ticket_status",
}
SYSTEM_IDS = {"human_agent", "repeat", "yes", "no", "goodbye", "menu"}
DEPARTMENTS = {
    "gov_service", "hrss", "medical_insurance", "housing_fund", "market", "tax",
    "public_security", "housing", "transport", "education", "health", "environment",
}
SAMPLE_MARK = "（示例内容，请按本地情况修改）"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(SHIPPED)


# ---- the shipped knowledge base ----------------------------------------------------------


def test_shipped_kb_has_every_intent(kb: KnowledgeBase) -> None:
    faq = {i for i, intent in kb.intents.items() if intent.kind == "faq"}
    assert ORIGINAL_FAQ_IDS <= faq
    assert len(faq) >= 60
    assert {i for i, intent in kb.intents.items() if intent.kind == "system"} == SYSTEM_IDS


def test_shipped_departments(kb: KnowledgeBase) -> None:
    assert set(kb.departments) == DEPARTMENTS
    hotlines = {d.id: d.hotline for d in kb.departments.values() if d.hotline}
    assert hotlines == {
        "gov_service": "12345", "hrss": "12333", "medical_insurance": "12393",
        "housing_fund": "12329", "market": "12315", "tax": "12366",
        "public_security": "12345",  # household registration is never a 110 matter
        "transport": "12328", "health": "12320", "environment": "12369",
    }
    assert kb.default_department == "gov_service"
    assert kb.language == "zh"
    for dept in kb.departments.values():
        assert dept.name and dept.queue and dept.description, dept.id
        assert len(dept.keywords) >= 3, dept.id
        # problems as callers describe them, for routing what no FAQ answers (issue 10)
        assert len(dept.examples) >= 30, dept.id
        assert dept.offices, dept.id  # the offices a caller may name (dialog.offices)
    named = [name for d in kb.departments.values() for name in d.offices]
    assert len(named) == len(set(named))  # one office, one department


def test_a_department_s_offices_must_be_a_list_of_text(tmp_path: Path) -> None:
    data = minimal()
    data["departments"][0]["offices"] = "税务局"
    with pytest.raises(KnowledgeBaseError, match="'offices'"):
        load_knowledge_base(write(tmp_path, data))
    data["departments"][0]["offices"] = ["税务局"]
    assert load_knowledge_base(write(tmp_path, data)).departments[
        data["departments"][0]["id"]].offices == ("税务局",)


def test_heard_forms_route_as_keywords_after_the_written_ones(tmp_path: Path) -> None:
    data = minimal()
    dept = data["departments"][0]
    dept["heard"] = "假校"
    with pytest.raises(KnowledgeBaseError, match="'heard'"):
        load_knowledge_base(write(tmp_path, data))
    dept["heard"] = ["假校"]
    loaded = load_knowledge_base(write(tmp_path, data)).departments[dept["id"]]
    assert loaded.heard == ("假校",)
    assert loaded.keywords == (*dept.get("keywords", []), "假校")


def test_heard_forms_are_heard_in_a_call(kb: KnowledgeBase) -> None:
    # 公积金 as Whisper wrote it on the phone band: 工资 alone would make it a wage matter
    from dialog.matcher import Matcher
    assert "工资金" in kb.departments["housing_fund"].heard
    result = Matcher(kb).match("工资条上扣了工资金可账户里没钱")
    assert (result.department, result.intent) == ("housing_fund", None)


def test_everyday_words_are_keywords_after_the_heard_forms(tmp_path: Path) -> None:
    data = minimal()
    dept = data["departments"][0]
    dept["everyday"] = "开车的本子"
    with pytest.raises(KnowledgeBaseError, match="'everyday'"):
        load_knowledge_base(write(tmp_path, data))
    dept["heard"], dept["everyday"] = ["假校"], ["开车的本子"]
    loaded = load_knowledge_base(write(tmp_path, data)).departments[dept["id"]]
    assert loaded.everyday == ("开车的本子",)
    assert loaded.keywords == (*dept.get("keywords", []), "假校", "开车的本子")


def test_everyday_words_route_but_do_not_widen_the_routing_document(kb: KnowledgeBase) -> None:
    # 开车的本子 is the caller's word for a driving licence; the words around the shipped
    # everyday phrases (黑了, 楼) are not a department's once they are out of its document:
    # a power cut is the power company's
    from dialog.matcher import Matcher
    assert "开车的本子" in kb.departments["public_security"].everyday
    matcher = Matcher(kb)
    result = matcher.match("我开车的本子十二分被扣光了，要去哪学习？")
    assert (result.action, result.department) == ("transfer", "public_security")
    assert matcher.match("我家停电了，一整栋楼都黑了，啥时候能来电").action == "none"


def test_every_department_has_faq_intents(kb: KnowledgeBase) -> None:
    owners = {i.department for i in kb.intents.values() if i.kind == "faq"}
    assert owners == DEPARTMENTS


def test_faq_intents_have_name_examples_keywords_and_a_department(kb: KnowledgeBase) -> None:
    for intent in kb.intents.values():
        if intent.kind != "faq":
            continue
        assert intent.name and len(intent.name) <= 12, intent.id
        assert len(intent.examples) >= 5, intent.id
        assert intent.keywords, intent.id
        assert intent.department in kb.departments, intent.id
        assert intent.answer, intent.id


def test_names_are_distinct(kb: KnowledgeBase) -> None:
    names = [i.name for i in kb.intents.values() if i.kind == "faq"]
    assert len(names) == len(set(names))


def test_transfer_intents_still_explain_first(kb: KnowledgeBase) -> None:
    transfers = {i for i, intent in kb.intents.items() if intent.action == "transfer"}
    assert {"consumer_complaint", "food_safety", "ticket_status", "human_agent"} <= transfers
    for intent_id in transfers - {"human_agent"}:
        assert kb.intents[intent_id].answer, intent_id


def test_answers_are_short_spoken_sentences(kb: KnowledgeBase) -> None:
    for intent in kb.intents.values():
        assert not re.search(r"\s", intent.answer), intent.id  # YAML folds joined cleanly
        assert len(intent.answer) <= 100, intent.id  # played in real time on the phone
        for sentence in re.split(r"(?<=[。！？])", intent.answer):
            assert len(sentence) <= 80, (intent.id, sentence)


def test_shipped_kb_has_no_style_warnings(kb: KnowledgeBase) -> None:
    assert lint(kb) == []


def test_answers_carry_the_national_facts(kb: KnowledgeBase) -> None:
    assert "12333" in kb.intents["sbk_reissue"].answer
    unemployment = kb.intents["unemployment_benefit"].answer
    for fact in ("满一年", "非因本人意愿", "失业登记"):
        assert fact in unemployment
    assert "12315" in kb.intents["consumer_complaint"].answer
    assert "三月一日到六月三十日" in kb.intents["iit_settlement"].answer
    assert "三十日" in kb.intents["work_injury"].answer
    assert "仲裁不收费" in kb.intents["labor_arbitration"].answer
    assert "12369" in kb.intents["pollution_report"].answer


def test_synonyms_fold_variants_to_one_word(kb: KnowledgeBase) -> None:
    assert "社会保障卡" in kb.synonyms["社保卡"]
    assert all(variant != canonical for canonical, variants in kb.synonyms.items()
               for variant in variants)


def test_local_content_is_marked_as_sample() -> None:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    samples = {i["id"] for i in raw["intents"] if i.get("local_sample")}
    assert "office_hours" in samples
    assert SAMPLE_MARK in SHIPPED.read_text(encoding="utf-8")
    assert all(SAMPLE_MARK in d["hours"] for d in raw["departments"])


def test_prompts(kb: KnowledgeBase) -> None:
    assert set(REQUIRED_PROMPTS) <= set(kb.prompts)
    assert {"clarification", "route", "queue", "callback", "survey", "confirm", "menu"} <= set(
        kb.prompts)
    assert kb.prompt("clarification", a="社保卡挂失补办", b="办理退休") == (
        "您是想咨询社保卡挂失补办，还是办理退休？")
    assert kb.prompt("route", department="交通运输局") == (
        "您反映的问题由交通运输局负责，正在为您转接，请稍候。")
    assert kb.prompt("greeting") == (
        "您好，这里是政务服务热线智能助手。请简单说出您要咨询的问题，转人工请按0。"
    )
    assert kb.prompt("transfer", department="税务局") == "正在为您转接税务局人工服务，请稍候。"
    assert kb.prompt("no_match") == "抱歉，我没有听明白，请换个说法再说一遍。"


def test_examples_are_not_the_evaluation_sentences(kb: KnowledgeBase) -> None:
    """Training on the test would make the accuracy tests meaningless."""
    evaluation = {
        normalize(line.split("\t")[1])
        for line in (REPO / "tests/data/setA_recognised.tsv").read_text("utf-8").splitlines()[2:]
    }
    evaluation |= {
        normalize(p.read_text("utf-8"))
        for p in (REPO / "audio_fixtures/hotline").glob("A??.txt")
    }
    for name in ("kb_eval.tsv", "kb_dev.tsv"):
        evaluation |= {normalize(line.text) for line in read_eval_file(REPO / "tests/data" / name)}
    evaluation.discard("")
    long_examples = {
        normalize(e) for intent in kb.intents.values() if intent.kind == "faq"
        for e in intent.examples
    } | {normalize(e) for dept in kb.departments.values() for e in dept.examples}
    assert not long_examples & evaluation


# ---- validation ----------------------------------------------------------------------------


def minimal() -> dict[str, Any]:
    return {
        "language": "zh",
        "default_department": "gov_service",
        "departments": [
            {"id": "gov_service", "name": "政务服务中心", "queue": "gov", "hotline": 12345},
            {"id": "tax", "name": "税务局", "queue": "tax"},
        ],
        "prompts": {key: f"{key}提示" for key in REQUIRED_PROMPTS}
        | {"transfer": "正在为您转接{department}。"},
        "intents": [
            {"id": "tax_invoice", "department": "tax", "answer": "发票请找税务局。",
             "examples": ["发票怎么开"], "keywords": ["发票"]},
            {"id": "yes", "kind": "system", "examples": ["是的"]},
        ],
    }


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken(tmp_path: Path, change: Any) -> str:
    """Load a minimal KB after `change(data)`; return the error message."""
    data = copy.deepcopy(minimal())
    change(data)
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(write(tmp_path, data))
    return str(info.value)


def test_minimal_kb_loads_with_defaults(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, minimal()))
    invoice = kb.intents["tax_invoice"]
    assert (invoice.kind, invoice.action, invoice.examples) == ("faq", "answer", ("发票怎么开",))
    assert kb.intents["yes"].department is None
    assert kb.departments["gov_service"].hotline == "12345"  # YAML number read as text
    assert kb.department_of("tax_invoice").id == "tax"
    assert kb.department_of("yes").id == "gov_service"


def test_human_agent_defaults_to_transfer(tmp_path: Path) -> None:
    data = minimal()
    data["intents"].append({"id": "human_agent", "kind": "system", "keywords": ["转人工"]})
    assert load_knowledge_base(write(tmp_path, data)).intents["human_agent"].action == "transfer"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not found"):
        load_knowledge_base(tmp_path / "nope.yaml")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text("language: zh\nintents:\n  - id: a\n    examples: [x\n  - id: b\n", "utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"invalid YAML at line [45]\b"):
        load_knowledge_base(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="must be a mapping"):
        load_knowledge_base(write(tmp_path, ["a", "b"]))


def test_unknown_department(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["intents"][0].update(department="police"))
    assert "intent 'tax_invoice'" in message and "department" in message and "police" in message


def test_unknown_default_department(tmp_path: Path) -> None:
    assert "default_department" in broken(
        tmp_path, lambda d: d.update(default_department="nowhere")
    )


def test_missing_answer(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["intents"][0].pop("answer"))
    assert "intent 'tax_invoice'" in message and "'answer'" in message


def test_faq_needs_a_department(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["intents"][0].pop("department"))
    assert "intent 'tax_invoice'" in message and "'department'" in message


def test_duplicate_intent_id(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["intents"].append(dict(d["intents"][0])))
    assert "intent 'tax_invoice'" in message and "duplicate" in message


def test_duplicate_department_id(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["departments"].append(dict(d["departments"][1])))
    assert "department 'tax'" in message and "duplicate" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("examples", "发票怎么开", "'examples' must be a list"),
        ("examples", ["ok", 3.5, None], "'examples'[2] is missing"),
        ("keywords", {"a": 1}, "'keywords' must be a list"),
        ("kind", "faqs", "'kind' must be one of faq, system"),
        ("action", "hangup", "'action' must be one of answer, transfer"),
        ("answer", ["a", "b"], "'answer' must be text"),
        ("prompt_audio", 7.5, None),  # numbers read as text are fine: a file named 7.5
        ("prompt_audio", ["a.wav"], "'prompt_audio' must be text"),
        ("local_sample", "yes", "'local_sample' must be true or false"),
        ("aliases", ["x"], "unknown field(s) aliases"),
        ("name", ["a"], "'name' must be text"),
        ("sms", "www.example.com", "'sms' must be an http(s):// link"),
        ("sms", 12, "'sms' must be an http(s):// link"),
    ],
)
def test_wrong_types_name_intent_and_field(
    tmp_path: Path, field: str, value: object, expected: str | None
) -> None:
    data = minimal()
    data["intents"][0][field] = value
    if expected is None:
        load_knowledge_base(write(tmp_path, data))
        return
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(write(tmp_path, data))
    assert "intent 'tax_invoice'" in str(info.value)
    assert expected in str(info.value)


def test_unquoted_yes_id_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    text = yaml.safe_dump(minimal(), allow_unicode=True).replace("id: 'yes'", "id: yes")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="quote the id"):
        load_knowledge_base(path)


def test_intent_without_examples_or_keywords(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["intents"][1].pop("examples"))
    assert "intent 'yes'" in message and "examples" in message


def test_missing_prompt(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["prompts"].pop("no_input"))
    assert "prompt 'no_input' is missing" in message


def test_transfer_prompt_with_unknown_placeholder(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["prompts"].update(transfer="转接{queue}"))
    assert "prompt 'transfer'" in message and "queue" in message


@pytest.mark.parametrize(("key", "template"), [("clarification", "您是想问{a}还是{c}？"),
                                               ("route", "由{dept}负责"), ("confirm", "{b}吗")])
def test_filled_prompts_only_take_their_placeholders(
    tmp_path: Path, key: str, template: str
) -> None:
    message = broken(tmp_path, lambda d: d["prompts"].update({key: template}))
    assert f"prompt {key!r}" in message and "placeholder" in message


def test_new_optional_fields(tmp_path: Path) -> None:
    data = minimal()
    data["intents"][0] |= {"name": "开发票", "sms": "https://example.gov.cn/fapiao",
                           "local_sample": True}
    data["departments"][1] |= {"description": "税费和发票", "keywords": ["发票", "纳税"]}
    data["synonyms"] = {"发票": ["发漂"]}
    kb = load_knowledge_base(write(tmp_path, data))
    invoice = kb.intents["tax_invoice"]
    assert (invoice.name, invoice.sms, invoice.local_sample) == (
        "开发票", "https://example.gov.cn/fapiao", True)
    assert kb.departments["tax"].keywords == ("发票", "纳税")
    assert kb.departments["tax"].description == "税费和发票"
    assert kb.synonyms == {"发票": ("发漂",)}
    assert kb.intent_name("tax_invoice") == "开发票"
    assert kb.intent_name("yes") == "是的"  # no name: its first example
    assert kb.intent_name("ghost") == "ghost"


def test_department_keywords_must_be_a_list(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["departments"][1].update(keywords="发票"))
    assert "department 'tax'" in message and "'keywords'" in message


def test_department_examples_must_be_a_list_of_text(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["departments"][1].update(examples="发票开不出来"))
    assert "department 'tax'" in message and "'examples'" in message
    message = broken(tmp_path, lambda d: d["departments"][1].update(examples=["", "x"]))
    assert "department 'tax'" in message and "examples" in message


def test_synonyms_must_map_to_lists(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d.update(synonyms={"发票": "发漂"}))
    assert "synonyms '发票'" in message


def test_prompt_with_malformed_placeholder(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["prompts"].update(goodbye="再见{"))
    assert "prompt 'goodbye'" in message and "placeholder" in message


def test_other_prompts_may_carry_their_own_placeholders(tmp_path: Path) -> None:
    data = minimal()
    data["prompts"]["queue_position"] = "您前面还有{position}位。"
    kb = load_knowledge_base(write(tmp_path, data))
    assert kb.prompt("queue_position", position="3") == "您前面还有3位。"


def test_department_missing_queue(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["departments"][1].pop("queue"))
    assert "department 'tax'" in message and "'queue'" in message


def test_prompt_audio_paths_resolve_beside_the_yaml(tmp_path: Path) -> None:
    data = minimal()
    data["prompt_audio"] = {"greeting": "audio/greeting.wav", "goodbye": "/abs/bye.wav"}
    data["intents"][0]["prompt_audio"] = "audio/invoice.wav"
    kb = load_knowledge_base(write(tmp_path, data))
    assert kb.prompt_audio == {
        "greeting": str(tmp_path.resolve() / "audio/greeting.wav"),
        "goodbye": "/abs/bye.wav",
    }
    assert kb.intents["tax_invoice"].prompt_audio == str(tmp_path.resolve() / "audio/invoice.wav")


def test_prompt_audio_must_be_a_mapping(tmp_path: Path) -> None:
    assert "prompt_audio" in broken(tmp_path, lambda d: d.update(prompt_audio=["a.wav"]))


def test_parse_without_a_file_keeps_relative_audio_paths() -> None:
    data = minimal()
    data["prompt_audio"] = {"greeting": "greeting.wav"}
    assert parse_knowledge_base(data).prompt_audio == {"greeting": "greeting.wav"}
