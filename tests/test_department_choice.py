"""Reading the answer to the department-choice question (dialog/department_choice.py), and the
guesses a declined match carries (dialog.routing, dialog.matcher)."""

from __future__ import annotations

import pytest

from dialog.answers import understand
from dialog.department_choice import (
    NONE_OF_THEM,
    Answer,
    ChoiceReader,
    offered,
    options_text,
)
from dialog.intents import Department, KnowledgeBase, load_knowledge_base
from dialog.matcher import Matcher
from dialog.types import Guess, MatchResult
from tests.test_policy import KB as POLICY_KB

DEPARTMENTS = {
    "hotline": Department("hotline", "市民热线", "q-hotline", area="政务服务"),
    "hrss": Department("hrss", "人力资源和社会保障局", "q-hrss", area="社保和劳动就业",
                       keywords=("社保", "工资", "劳动仲裁")),
    "housing": Department("housing", "住房和城乡建设局", "q-housing", area="住房建设",
                          keywords=("物业", "路灯"), offices=("住建局", "城管局")),
    "transport": Department("transport", "交通运输局", "q-transport", area="交通运输",
                            keywords=("公交", "出租车")),
    "tax": Department("tax", "税务局", "q-tax", keywords=("发票",)),
}
KB = KnowledgeBase(DEPARTMENTS, POLICY_KB.intents, {}, default_department="hotline",
                   synonyms={"社保卡": ("社会保障卡",)})
READER = ChoiceReader(KB)
OFFERED = ("hrss", "housing", "transport")


@pytest.mark.parametrize(("text", "expected"), [
    # a department's name, its name without 局, a part of it, its area, a part of the area
    ("人力资源和社会保障局", "hrss"),
    ("住房和城乡建设", "housing"),
    ("社会保障", "hrss"),
    ("住房建设", "housing"),
    ("是社保的", "hrss"),
    ("应该是住房建设那块吧", "housing"),
    # a department not offered, named: callers may know better
    ("税务局", "tax"),
    # duty words and area halves of offered departments only
    ("物业的问题", "housing"),
    ("交通", "transport"),
    ("公交", "transport"),
    ("发票", None),  # a duty word of a department not offered
    # ordinals
    ("第一个", "hrss"),
    ("第二个", "housing"),
    ("第3个", "transport"),
    ("前面那个", "hrss"),
    ("中间那个", "housing"),
    ("后面那个", "transport"),
    ("最后一个", "transport"),
    ("最末了那个", "transport"),
    ("城管局的事", "housing"),  # an office of the department, named
    ("住建的", "housing"),
    ("第一次打电话", None),  # 第一 without a measure word is no ordinal
    # none of them
    ("都不是", NONE_OF_THEM),
    ("我也不知道", NONE_OF_THEM),
    ("别的", NONE_OF_THEM),
    ("不晓得嘛", NONE_OF_THEM),
    ("说不好", NONE_OF_THEM),
    ("莫得一个对的", NONE_OF_THEM),  # a fifth answers set: Sichuan, hedged
    ("呃好像都不太对", NONE_OF_THEM),
    ("没有我这个", NONE_OF_THEM),
    ("都不沾边", NONE_OF_THEM),
    ("都不是，是交通的", "transport"),  # a name wins over "none of them"
    # corrections: the last name counts, a denied one not at all
    ("不是社保，是交通运输", "transport"),
    ("不是住房建设", None),
    ("不是，住建的", "housing"),  # a no of its own ("no: housing"), then the answer
    ("前头那个", "hrss"),
    # heard wrong by the recogniser: a homophone (设保), a syllable off in a long name
    ("设保的问题", "hrss"),
    ("住房建社", "housing"),
    ("税误的事", "tax"),  # 误 sounds as 务, tone and all
    ("水务", None),  # two characters need the same tones: shui3 is not shui4
    # nothing the question can use
    ("嗯", None),
    ("", None),
])
def test_choose_reads_names_duty_words_ordinals_and_none(text: str, expected: str | None) -> None:
    assert READER.choose(OFFERED, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # through the phone band (speech kit audio, Whisper base): the offered names by sound
    # without their tones, and 个 heard as another ge/ke syllable
    ("是水雾的问题", "tax"),      # 税务 shui4 wu4
    ("水温", None),               # wen is not wu
    ("不是水雾", None),           # denied
    ("社保", "hrss"),
    ("第一课", "hrss"),
    ("第二哥", "housing"),
    ("第一次", None),             # ci: not a measure word
])
def test_offered_names_and_ordinals_heard_wrong_on_the_phone(text: str,
                                                             expected: str | None) -> None:
    assert READER.choose(("hrss", "housing", "tax"), text) == expected


def test_a_sound_alone_does_not_pick_between_two_offered_names() -> None:
    kb = KnowledgeBase({**DEPARTMENTS, "water": Department("water", "水务局", "q-water")},
                       POLICY_KB.intents, {}, default_department="hotline")
    reader = ChoiceReader(kb)
    # 水屋 shui3 wu1: the tones of neither 税务 (shui4 wu4) nor 水务 (shui3 wu4)
    assert reader.choose(("tax", "water"), "水屋") is None
    assert reader.choose(("tax", "housing"), "水屋") == "tax"


def test_an_ordinal_past_the_options_is_no_choice() -> None:
    assert READER.choose(("hrss", "housing"), "第三个") is None
    assert READER.choose(("hrss", "housing"), "后面那个") == "housing"
    assert READER.choose(("hrss", "housing"), "中间那个") is None


def _spoken(text: str, intent: str | None = None, action: str = "none",
            department: str | None = None) -> MatchResult:
    return MatchResult(intent, 0.9 if intent or department else 0.1, department,
                       action, text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize(("match", "reply", "expected"), [
    (_spoken("社会保障", "pension", "answer", "hrss"), None, Answer("department", "hrss")),
    (_spoken("我的社会保障卡丢了怎么补办", "card", "answer", "hrss"), None, Answer("request")),
    (_spoken("不知道找谁，我家门口的路灯坏了", None, "transfer", "housing"), None,
     Answer("request")),
    (_spoken("都不是", "no"), "no", Answer("none")),
    (_spoken("不对"), "no", Answer("none")),
    (_spoken("对", "yes"), "yes", Answer("unclear")),  # which of three?
    (_spoken("嗯嗯"), None, Answer("unclear")),
])
def test_answer_tells_a_choice_from_a_new_request(match: MatchResult, reply: str | None,
                                                  expected: Answer) -> None:
    assert READER.answer(OFFERED, match, reply) == expected


def test_a_yes_takes_the_only_option() -> None:
    assert READER.answer(("tax",), _spoken("是的", "yes"), "yes") == Answer("department", "tax")


@pytest.mark.parametrize(("names", "expected"), [
    (["社会保障", "市场监管", "住房建设"], "社会保障、市场监管，还是住房建设"),
    (["社会保障", "市场监管"], "社会保障，还是市场监管"),
    (["税务"], "税务，还是别的方面"),
    ([], ""),
])
def test_options_text(names: list[str], expected: str) -> None:
    assert options_text(names) == expected


def test_offered_skips_the_general_desk_unknown_departments_and_repeats() -> None:
    guesses = tuple(Guess(d, 0.1) for d in ("hotline", "tax", "ghost", "tax", "hrss", "housing"))
    match = MatchResult(None, 0.1, None, "none", guesses=guesses)
    assert offered(match, KB, 2) == ("tax", "hrss")
    assert offered(match, KB, 0) == ()


# ---- the guesses a declined match carries (shipped knowledge base) -------------------------

@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base("intents.yaml"))


def test_a_declined_problem_carries_three_department_guesses(matcher: Matcher) -> None:
    # (was 请求书记取缔通泰街的黑网吧, declined while 黑网吧 was read 黑网: it now routes to market)
    result = matcher.match("请求整顿步行街的商户")
    assert (result.intent, result.action, result.department) == (None, "none", None)
    assert [g.department for g in result.guesses][:1] == ["market"]
    assert len(result.guesses) == 3
    assert all(g.department != matcher.kb.default_department for g in result.guesses)
    assert [g.score for g in result.guesses] == sorted((g.score for g in result.guesses),
                                                       reverse=True)
    assert result.to_json()["guesses"][0]["department"] == "market"  # type: ignore[index]


@pytest.mark.parametrize("text", ["今天天气怎么样", "喂喂喂", "社保卡丢了怎么补办", "路灯坏了"])
def test_chatter_answers_and_routed_problems_carry_no_guesses(matcher: Matcher,
                                                              text: str) -> None:
    result = matcher.match(text)
    assert result.guesses == ()
    assert "guesses" not in result.to_json()


@pytest.mark.parametrize("how", ["area", "name", "sentence"])
def test_every_shipped_department_can_be_chosen_by_its_spoken_words(matcher: Matcher,
                                                                    how: str) -> None:
    """Whatever the question names, saying it back (after dialog.answers reads it, as a
    call does) chooses that department, even where the words also match an FAQ."""
    kb = matcher.kb
    reader = ChoiceReader(kb)
    ids = [d for d in kb.departments if d != kb.default_department]
    for i, dept_id in enumerate(ids):
        offered_ids = (ids[i - 1], dept_id, ids[(i + 1) % len(ids)])
        dept = kb.departments[dept_id]
        text = {"area": dept.spoken_area, "name": dept.name,
                "sentence": f"应该是{dept.spoken_area}方面的吧"}[how]
        match, reply = understand(matcher.match, "department_choice", text)
        assert reader.answer(offered_ids, match, reply) == Answer("department", dept_id), text


@pytest.mark.parametrize(("text", "expected"), [
    ("不是公安", Answer("none")),  # a denial is not a choice, even read by dialog.answers
    ("不是，是交通的问题", Answer("department", "transport")),  # named, though not offered
    ("不对不对，生态环境", Answer("department", "environment")),
    ("对", Answer("unclear")),
])
def test_corrections_are_read_whole(matcher: Matcher, text: str, expected: Answer) -> None:
    reader = ChoiceReader(matcher.kb)
    match, reply = understand(matcher.match, "department_choice", text)
    assert reader.answer(("market", "environment", "housing"), match, reply) == expected


@pytest.mark.parametrize(("text", "offered_ids", "expected"), [
    # duty words of two offered departments (物业 / 乱收费, 学校 / 乱收费): whose matter it
    # is, as the matcher reads the whole utterance, not the last word
    ("就是物业乱收费", ("housing", "market", "tax"), "housing"),
    ("是学校乱收费", ("education", "market"), "education"),
    # a department named outright still wins, whatever the matcher reads
    ("物业乱收费，找市场监管", ("housing", "market", "tax"), "market"),
])
def test_duty_words_of_two_departments_are_settled_by_the_whole_utterance(
    matcher: Matcher, text: str, offered_ids: tuple[str, ...], expected: str
) -> None:
    reader = ChoiceReader(matcher.kb)
    match, reply = understand(matcher.match, "department_choice", text)
    assert reader.answer(offered_ids, match, reply) == Answer("department", expected)
    assert reader.choose(offered_ids, text, None) == offered_ids[1]  # without it: the last


@pytest.mark.parametrize(("text", "expected"), [
    # the matter described (an hrss FAQ on its own), then the answer in the last clause
    ("单位交的养老保险扣了两遍，税务", Answer("department", "tax")),
    ("报销的事儿。医保吧", Answer("department", "medical_insurance")),
    # the last clause is more than an answer: the request stands
    ("税务，我想问个人所得税怎么退", Answer("request")),
])
def test_an_answer_after_the_matter_described(matcher: Matcher, text: str,
                                              expected: Answer) -> None:
    reader = ChoiceReader(matcher.kb)
    match, reply = understand(matcher.match, "department_choice", text)
    assert reader.answer(("hrss", "tax", "medical_insurance"), match, reply) == expected
