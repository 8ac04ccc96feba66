"""Tests for dialog.tools.kblint: style warnings that name the intent, department or prompt."""

from __future__ import annotations

from pathlib import Path

from dialog.intents import Department, Intent, KnowledgeBase
from dialog.tools.kblint import lint

LONG = "这是一句非常长的回答" * 11 + "。"


def make_kb(tmp_path: Path) -> KnowledgeBase:
    departments = {"front": Department("front", "前台", "q"),
                   "tax": Department("tax", "税务局", "q2", description="税",
                                     examples=("开票被多收钱", "退税怎么办"))}
    intents = {
        "invoice": Intent("invoice", "faq", "tax", "answer", LONG, examples=("发票怎么开",),
                          keywords=("发票",)),
        "refund": Intent("refund", "faq", "tax", "answer", "请找税务局。", name="退税",
                         examples=("发票怎么开", "退税怎么办", "a", "b", "c", "d"),
                         prompt_audio=str(tmp_path / "missing.wav")),
        "yes": Intent("yes", "system", None, "answer", examples=("是的",)),
    }
    prompts = {"greeting": "你好", "menu": "菜单"}
    return KnowledgeBase(departments, intents, prompts, "front",
                         prompt_audio={"greeting": str(tmp_path / "greeting.wav")})


def test_warnings_name_what_and_where(tmp_path: Path) -> None:
    warnings = lint(make_kb(tmp_path))
    expected_parts = [
        "intent 'invoice': field 'name' is missing",
        "intent 'invoice': field 'examples' has 1, at least 5",
        "intent 'invoice': field 'answer' is 111 characters",
        "intent 'invoice': field 'answer' has a sentence of 111",
        "intent 'refund': field 'examples': '发票怎么开' is also an example of intent 'invoice'",
        "department 'tax': field 'examples': '退税怎么办' is also an example of intent 'refund'",
        "department 'front': field 'description' is missing",
        "department 'front': no intents and no 'keywords'",
        "prompts: recommended prompt 'confirm' is missing",
        "intents: system intent 'human_agent' is missing",
        "prompt_audio 'greeting': file",
        "intent 'refund': field 'prompt_audio': file",
    ]
    for part in expected_parts:
        assert any(part in w for w in warnings), part
    assert not any("field 'area'" in w for w in warnings)  # no department_choice prompt


def test_a_department_without_an_area_is_named_in_full(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    kb = KnowledgeBase(kb.departments, kb.intents, {**kb.prompts, "department_choice": "{options}"},
                       "front")
    warnings = lint(kb)
    assert ("department 'tax': field 'area' is missing (the department-choice question says "
            "the whole name, 税务局)") in warnings
    assert not any("'front': field 'area'" in w for w in warnings)  # the general desk
    assert not any("'department_choice' is missing" in w for w in warnings)
    assert not any("prompt 'menu'" in w for w in warnings)


def test_file_checks_can_be_skipped(tmp_path: Path) -> None:
    assert not any("does not exist" in w for w in lint(make_kb(tmp_path), check_files=False))
    (tmp_path / "greeting.wav").write_bytes(b"RIFF")
    assert not any("prompt_audio 'greeting'" in w for w in lint(make_kb(tmp_path)))


def test_an_intent_without_readings_is_named_when_the_others_have_them(tmp_path: Path) -> None:
    from dataclasses import replace

    kb = make_kb(tmp_path)
    assert not [w for w in lint(kb) if "heard" in w]  # no readings file: nothing to say
    warnings = lint(replace(kb, heard={"refund": ("退睡怎么办",)}))
    about = [w for w in warnings if "intents.heard.jsonl" in w]
    assert about == [w for w in about if w.startswith("intent 'invoice': no reading")]
    assert len(about) == 1 and "ivr kb hear" in about[0]


def test_an_office_under_two_departments_is_named(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    departments = {"front": Department("front", "前台", "q", offices=("政务大厅", "税务所")),
                   "tax": Department("tax", "税务局", "q2", offices=("税务局", "税务所"))}
    warnings = lint(KnowledgeBase(departments, kb.intents, kb.prompts, "front"))
    assert ("department 'tax': field 'offices': '税务所' is also an office of department "
            "'front'") in warnings
    assert not any("'政务大厅'" in w or "'税务局' is also" in w for w in warnings)
