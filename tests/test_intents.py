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

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "intents.yaml"
FAQ_IDS = {
    "sbk_reissue", "pension_payment", "unemployment_benefit", "medical_reimburse",
    "hpf_withdraw", "biz_license", "biz_address_change", "consumer_complaint", "food_safety",
    "tax_invoice", "hukou_transfer", "office_hours", "ticket_status",
}
SYSTEM_IDS = {"human_agent", "repeat", "yes", "no", "goodbye"}
SAMPLE_MARK = "（示例内容，请按本地情况修改）"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(SHIPPED)


# ---- the shipped knowledge base ----------------------------------------------------------


def test_shipped_kb_has_every_intent(kb: KnowledgeBase) -> None:
    assert {i for i, intent in kb.intents.items() if intent.kind == "faq"} == FAQ_IDS
    assert {i for i, intent in kb.intents.items() if intent.kind == "system"} == SYSTEM_IDS


def test_shipped_departments(kb: KnowledgeBase) -> None:
    hotlines = {d.id: d.hotline for d in kb.departments.values()}
    assert hotlines == {
        "gov_service": "12345", "hrss": "12333", "medical_insurance": "12393",
        "housing_fund": "12329", "market": "12315", "tax": "12366",
        "public_security": "12345",  # household registration is never a 110 matter
    }
    assert kb.default_department == "gov_service"
    assert kb.language == "zh"
    assert all(d.name and d.queue for d in kb.departments.values())


def test_faq_intents_have_examples_keywords_and_a_department(kb: KnowledgeBase) -> None:
    for intent_id in FAQ_IDS:
        intent = kb.intents[intent_id]
        assert len(intent.examples) >= 5, intent_id
        assert intent.keywords, intent_id
        assert intent.department in kb.departments, intent_id
        assert intent.answer, intent_id


def test_transfer_intents_still_explain_first(kb: KnowledgeBase) -> None:
    transfers = {i for i, intent in kb.intents.items() if intent.action == "transfer"}
    assert transfers == {"consumer_complaint", "food_safety", "ticket_status", "human_agent"}
    for intent_id in ("consumer_complaint", "food_safety", "ticket_status"):
        assert kb.intents[intent_id].answer


def test_answers_are_short_spoken_sentences(kb: KnowledgeBase) -> None:
    for intent in kb.intents.values():
        assert not re.search(r"\s", intent.answer), intent.id  # YAML folds joined cleanly
        for sentence in re.split(r"(?<=[。！？])", intent.answer):
            assert len(sentence) <= 80, (intent.id, sentence)


def test_answers_carry_the_national_facts(kb: KnowledgeBase) -> None:
    assert "12333" in kb.intents["sbk_reissue"].answer
    assert "国家社会保险公共服务平台" in kb.intents["sbk_reissue"].answer
    unemployment = kb.intents["unemployment_benefit"].answer
    for fact in ("满一年", "非因本人意愿", "失业登记", "户籍地或参保地"):
        assert fact in unemployment
    assert "12315" in kb.intents["consumer_complaint"].answer


def test_local_content_is_marked_as_sample() -> None:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    samples = {i["id"] for i in raw["intents"] if i.get("local_sample")}
    assert "office_hours" in samples
    assert SAMPLE_MARK in SHIPPED.read_text(encoding="utf-8")
    assert all(SAMPLE_MARK in d["hours"] for d in raw["departments"])


def test_prompts(kb: KnowledgeBase) -> None:
    assert set(REQUIRED_PROMPTS) <= set(kb.prompts)
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
    evaluation.discard("")
    long_examples = {
        normalize(e) for intent in kb.intents.values() if intent.kind == "faq"
        for e in intent.examples
    }
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
        ("synonyms", ["x"], "unknown field(s) synonyms"),
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
