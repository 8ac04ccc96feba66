"""Dialog context (issue 10): an utterance is first read as the answer to what the bot just
asked (dialog/answers.py), and the policy acts on that reply. Tables."""

from __future__ import annotations

import pytest

from dialog.answers import Reply, read_reply, understand
from dialog.policy import CallerSpoke, Event
from dialog.types import Candidate, MatchResult
from tests.test_policy import ANSWERED, BEGIN, CANCEL, ask, done, faq, last_actions

READ_CASES = [  # (question, caller, reply kind, rest)
    ("anything_else", "没有了，谢谢", "no", ""),
    ("anything_else", "就这些。", "no", ""),
    ("anything_else", "没别的了，你们挺好。", "no", ""),
    ("anything_else", "嗯，不用了", "no", ""),
    ("anything_else", "有，公积金怎么取", "yes", "公积金怎么取"),
    ("anything_else", "没有收到养老金", "no", "收到养老金"),  # understand() sees the request
    ("anything_else", "好的谢谢", None, "好的谢谢"),  # not a yes here: a closing
    ("anything_else", "我想问公积金", None, "我想问公积金"),
    ("confirm", "对对对", "yes", ""),
    ("confirm", "是的", "yes", ""),
    ("confirm", "不不不。", "no", ""),
    ("confirm", "不对，我是说他乱标价。", "no", "我是说他乱标价"),
    ("confirm", "也不完全是……算了，不是。", "no", ""),
    ("clarification", "哪个都不对。", "no", ""),
    ("clarification", "第二个", None, "第二个"),
    # regional, hedged and repeated replies; what only points back at the offer
    ("confirm", "对头，就是这个意思", "yes", ""),
    ("confirm", "嗯……应该是吧", "yes", ""),
    ("confirm", "得嘞", "yes", ""),
    ("confirm", "中，中", "yes", ""),
    ("confirm", "中午能办吗", None, "中午能办"),  # 中 begins a word here: no yes
    ("confirm", "是是是，说的就是它", "yes", ""),
    ("confirm", "你搞错了", "no", ""),
    ("confirm", "我没问这个", "no", ""),
    ("clarification", "不是社保的事儿", "no", ""),  # what it is not about
    ("anything_else", "没有没有，说得很清楚", "no", ""),
    ("anything_else", "就问这一个", "no", ""),
    ("anything_else", "莫得了", "no", ""),
    # the question's 其他 echoed before the no; a rest that only says there is nothing to ask
    ("anything_else", "其它的没了", "no", ""),
    ("anything_else", "别的问题就不用了，谢谢", "no", ""),
    ("anything_else", "没有别的想问的啦", "no", ""),
    ("anything_else", "没有了，我还想问公积金", "no", "我还想问公积金"),
    # more regional and colloquial replies (2026-12-06, a third blind answers set as dev)
    ("confirm", "系呀", "yes", ""),  # Cantonese yes; 系统 still begins a request
    ("confirm", "系统打不开", None, "系统打不开"),
    ("confirm", "嗯嗯嗯", "yes", ""),  # dropped as a filler by normalisation
    ("confirm", "中，就这个", "yes", ""),
    ("confirm", "不中不中", "no", ""),
    ("clarification", "这俩都不沾边", "no", ""),
    ("clarification", "两个都莫得", "no", ""),
    ("anything_else", "没啦", "no", ""),
    ("anything_else", "木有", "no", ""),
    ("anything_else", "冇啦", "no", ""),
    ("anything_else", "也没啥了", "no", ""),
    ("anything_else", "这个问完就行了", "no", ""),
    ("anything_else", "够了够了", "no", ""),
    ("anything_else", "中，没啥要问的", "no", ""),
    ("anything_else", "不用了，就这一件事", "no", ""),
    ("confirm", "不是，我问的不是那个", "no", ""),
    ("confirm", "不是那个事儿", "no", ""),
    ("clarification", "都不是，你没明白我的意思", "no", ""),
    ("confirm", "嗯哪", "yes", ""),
    ("anything_else", "我没别的了", "no", ""),
    # 不是A，是B的问题 is a correction, not what the caller says it is not about
    ("confirm", "不是公交，是出租车的事", "no", "公交是出租车的事"),
    # a fifth answers set (2026-12-07): Sichuan no, nothing to do with either, what the bot
    # named, agreeing words after a yes
    ("confirm", "不得行，不是这个", "no", ""),
    ("clarification", "都莫得关系", "no", ""),
    ("clarification", "两个都没啥关系", "no", ""),
    ("confirm", "嗯，就这个事", "yes", ""),
    ("confirm", "对对对，你说得对", "yes", ""),
    ("clarification", "就这个事", None, "就这个事"),  # which one? no yes to a choice
    (None, "没有", None, "没有"),  # no question asked: nothing is a reply
    ("no_match", "不是", None, "不是"),
]


@pytest.mark.parametrize(("question", "text", "kind", "rest"), READ_CASES)
def test_read_reply(question: str | None, text: str, kind: str | None, rest: str) -> None:
    assert read_reply(question, text) == Reply(kind, rest)  # type: ignore[arg-type]


def _matcher(table: dict[str, MatchResult]):  # type: ignore[no-untyped-def]
    return lambda text: table.get(text, MatchResult(None, 0.1, None, "none", text=text))


PENSION = MatchResult("pension", 0.8, "hrss", "answer", text="养老金")
HPF = MatchResult("hpf", 0.8, "housing", "answer", text="公积金怎么取")
INVOICE = MatchResult("invoice", 0.7, "tax", "answer", text="我说的不是发票")
HUKOU = MatchResult("hukou", 0.9, "police", "answer", text="给孩子上户口")
BOTH = MatchResult(None, 0.9, None, "clarify", text="出生证是给孩子上户口")
BYE = MatchResult("goodbye", 0.9, None, "none", text="有没有算了再见")
AGAIN = MatchResult("repeat", 0.7, None, "none", text="没有没有说得很清楚")
HOUSE = MatchResult(None, 0.8, "housing", "transfer", text="刚买的房子")
BOTH_DENIED = MatchResult(None, 0.9, None, "clarify", text="公积金怎么取",
                          candidates=(Candidate("invoice", 0.9), Candidate("hpf", 0.85)))
UNDERSTAND_CASES = [  # (question, text, offered, table, expected intent, expected reply)
    ("anything_else", "没有，谢谢", (), {}, None, "no"),
    ("anything_else", "有，公积金怎么取", (), {"公积金怎么取": HPF}, "hpf", None),
    ("anything_else", "没有收到养老金", (), {"没有收到养老金": PENSION}, "pension", None),
    ("anything_else", "有……有没有……算了再见", (), {"有……有没有……算了再见": BYE}, "goodbye",
     None),
    ("confirm", "不是，我说的不是发票", ("invoice",), {"我说的不是发票": INVOICE}, None, "no"),
    ("confirm", "不是，我问公积金怎么取", ("invoice",), {"我问公积金怎么取": HPF}, "hpf", None),
    # 不是A，是B: B alone is matched first (A and B together were a clarification of both)
    ("confirm", "不是出生证，是给孩子上户口。", ("birth",),
     {"给孩子上户口": HUKOU, "出生证是给孩子上户口": BOTH}, "hukou", None),
    ("confirm", "不对不对，我说的是公积金怎么取", ("invoice",), {"公积金怎么取": HPF}, "hpf", None),
    # after a yes, what follows elaborates on the offer, unless a new question is marked
    ("confirm", "是啊，刚买的房子", ("deed_tax",), {"刚买的房子": HOUSE}, None, "yes"),
    ("confirm", "对，另外我还想问公积金怎么取", ("invoice",),
     {"另外我还想问公积金怎么取": HPF}, "hpf", None),
    # the clause after the denied one is what they mean (its words alone: 预约 left out)
    ("confirm", "不是预约，我是想问公积金怎么取", ("appointment",),
     {"我是想问公积金怎么取": HPF}, "hpf", None),
    # a clear reading beats a question back between the denied offer and another
    ("confirm", "不是发票，我说的是公积金怎么取", ("invoice",),
     {"公积金怎么取": BOTH_DENIED, "我说的是公积金怎么取": HPF}, "hpf", None),
    # thanks after a yes to a confirmation: the yes stands (after 还有其他问题吗 it closes)
    ("confirm", "对的，谢谢", ("family",), {"对的，谢谢": BYE}, "goodbye", "yes"),
    ("anything_else", "好的，谢谢", (), {"好的，谢谢": BYE}, "goodbye", None),
    # thanks that sound like "say it again" do not undo the no
    ("anything_else", "没有没有，说得很清楚", (), {"没有没有，说得很清楚": AGAIN}, None, "no"),
]


@pytest.mark.parametrize(("question", "text", "offered", "table", "intent", "reply"),
                         UNDERSTAND_CASES)
def test_understand(question: str, text: str, offered: tuple[str, ...],
                    table: dict[str, MatchResult], intent: str | None, reply: str | None) -> None:
    match, got = understand(_matcher(table), question, text, offered)
    assert (match.intent, got) == (intent, reply)


def _reply(kind: str, text: str = "嗯") -> CallerSpoke:
    return CallerSpoke(MatchResult(None, 0.1, None, "none", text=text), kind)  # type: ignore[arg-type]


CONFIRMED: list[Event] = [*BEGIN, ask("social_card"), done("confirm")]
CLARIFIED: list[Event] = [*BEGIN, ask("social_card", "housing_complaint"), done("clarification")]
POLICY_CASES = [  # (after, reply, actions)
    (ANSWERED, _reply("no"), [CANCEL, ("say", "goodbye")]),
    (ANSWERED, _reply("yes"), [CANCEL, ("say", "ask_question")]),
    (CONFIRMED, _reply("yes"), [CANCEL, ("say", "answer:social_card"), ("say", "anything_else")]),
    (CONFIRMED, _reply("no"), [CANCEL, ("say", "ask_question")]),
    (CLARIFIED, _reply("no"), [CANCEL, ("say", "ask_question")]),
    (CLARIFIED, _reply("yes"), [CANCEL, ("say", "answer:social_card"), ("say", "anything_else")]),
    # the yes of a choice may say which one
    (CLARIFIED, _reply("yes", "对后面那个"), [CANCEL, ("say", "answer:housing_complaint"),
                                             ("say", "transfer")]),
    # a reply word to a question that was not asked is ignored: the utterance is handled as is
    ([*BEGIN], _reply("no"), [CANCEL, ("say", "no_match")]),
    # asking for a person beats the reply, however it is said
    (ANSWERED, _reply("no", "不用了转人工"), [CANCEL, ("say", "transfer")]),
    (CONFIRMED, _reply("no", "不是，你给我找个真人"), [CANCEL, ("say", "transfer")]),
    # an FAQ that transfers is no reason to ignore the reply (没 alone matched one)
    (ANSWERED, CallerSpoke(MatchResult("ticket_status", 0.67, "gov", "transfer", text="没啦"),
                           "no"), [CANCEL, ("say", "goodbye")]),
    # no reply: a new request after 还有其他问题吗 is answered
    (ANSWERED, faq("social_card"), [CANCEL, ("say", "answer:social_card"),
                                    ("say", "anything_else")]),
]


@pytest.mark.parametrize(("after", "event", "expected"), POLICY_CASES)
def test_policy_acts_on_the_reply(after: list[Event], event: CallerSpoke,
                                  expected: list[tuple[str, ...]]) -> None:
    assert last_actions([*after, event]) == expected
