"""Reading an utterance first as the answer to what the bot just asked (issue 10).

After "还有其他问题吗？" a caller says 没有 / 没了 / 就这些 / 不用了 (no), or 有 and a new
question; after "您是想咨询X吗？" 对 / 是的 (yes) or 不是 / 不对 (no), often followed by what they
did mean. Out of context these words match nothing, or the wrong thing. `read_reply` finds the
yes/no that leads the utterance and what follows it; `understand` decides whether the words are
a reply or a (new) request, matching the full text and the rest after the reply word. Pure, but
for the `match` function it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from dialog.normalize import normalize
from dialog.types import MatchResult

ReplyKind = Literal["yes", "no"]
QUESTIONS = frozenset({"anything_else", "confirm", "clarification"})
# Intents that steer the dialog rather than ask something: a reply's rest matching one of
# them (谢谢 → goodbye) does not make the utterance a new request.
_STEERING = frozenset({"yes", "no", "goodbye", "repeat", "menu"})

# 其他的没有 / 别的问题没了: the question's own 其他 echoed before the no.
_NO = (r"(?:这两个|两个|这俩|俩)?(?:都|全)?(?:没|莫得|没有)(?:啥)?(?:关系|关联)|"  # 都莫得关系
       r"(?:其他|其它|别的)的?(?:问题|事情|事)?就?(?:没有|没了|不用了|不问了)|"
       r"哪个都不是|哪个都不对|(?:这两个|两个|这俩|俩)?都(?:不是|不对|不要|不问|莫得|没有|不中|"
       r"不沾边|不搭边|不沾|不搭)|不沾边|不搭边|不中|冇有|冇|木有|没得|没(?=$|没)|"
       r"问完就行|问完就好|问完就可以|够了|(?:俺|我)(?:没啥|没什么|没别的|没其他|没了|没有了)|"
       r"没有别的问题|没有其他问题|没有别的|没有其他|没其他的|没其它的|没其他|没其它|没别的|"
       r"没什么|没啥|没有|没了|没事|没问题|莫得|莫有|就这些|就这样|就这么多|问完了|"
       r"就问这一个|就问这个|就这一个|就一个问题|就这个问题|"
       r"你搞错了|你弄错了|你听错了|搞错了|弄错了|听错了|"
       r"不得行|要不得|不行|"
       r"不用|不需要|不要|不了|不是|不对|算了|错了|不+")
# Regional and hedged yeses (对头, 是嘞, 得嘞, 中, 嗯呐, Cantonese 系; 应该是, 差不多) as callers
# say them; 中 and 系 alone or with a particle only (中午, 中介, 系统 begin requests).
_YES = (r"是的|是啊|是呀|是嘞|是滴|对的|对啊|对呀|对头|没错|正是|可不是|就是|应该是|差不多|"
        r"得嘞|嗯呐|嗯哪|是|对|好的|好|可以|行|中(?=$|中|啊|呀|吧|嘞|的|哈|这|那|就)|嗯|恩|"
        r"系(?=$|系|啊|呀|嘅|咯)")
# After 还有其他问题吗 only 有 is a yes: 好的 / 行 / 嗯 there close the call (好的，谢谢).
_HAVE = r"还有|有的|有"
_FILLER = r"(?:嗯|啊|哦|呃|唉|哎|喂|那个|这个|就是说|我想想|也(?=没))*"  # 也没啥了
_TAIL = re.compile(r"^(?:了|啊|呀|吧|呢|的|哈|嘛)+|"
                   r"(?:谢谢你们|谢谢你|谢谢|谢了|多谢|辛苦了|麻烦了|你们挺好|挺好的|挺好|"
                   r"你说得挺清楚|说得挺清楚|说得很清楚|讲得很清楚|很清楚|清楚了|明白了|知道了|懂了|"
                   r"你说得对|你说的对|说得对|说的对|"
                   r"再见|拜拜|了|啊|呀|吧|呢|的|哈|嘛)+$")
# What a yes may add that only points back at what the bot named: 对，就是这个意思.
_SAME = re.compile(r"^(?:我?(?:说的|问的|要问的|想问的)?(?:就是|就问|就|是|问)?"
                   r"(?:(?:这|那)个?(?:事情|事|意思)?|它)(?:儿|了|啊|呀|吧|嘛)?)+$")
# 不对，我说的不是这个 / 都不是，你没听懂我说的: after a no, words that only deny again or say
# the bot misunderstood (nothing to match: the plain no).
_DENIED_AGAIN = re.compile(
    r"^我?(?:说的|问的|要问的|想问的|要的)?(?:不是|没说|没问)(?:这|那)个?(?:事儿?|意思)?$|"
    r"^你?(?:没听懂|没听明白|没明白|没懂|理解错|听错|搞错|弄错)了?我?(?:的意思|说的|说|的话)?$")
# 不用了，就这一个事: after a no, that the one question asked was all.
_ONLY_THIS = re.compile(r"^就?(?:这一个|这一件|这个|这)(?:事儿?|事情|问题)?$")
# 对，还有一个…: a yes followed by another question.
_NEW_QUESTION = re.compile(r"^(?:那|就是|我)?(?:还有|另外|还想|还要|再问|顺便|再咨询|还得问)")
# 不是噪音的事儿: after a no, what the caller says it is not about (出租车是驾校的问题 is a
# correction: 是 names what it is about).
_NOT_ABOUT = re.compile(r"^[^是]{1,8}?(?:的事儿|的事|的问题|这事儿|这事)$")
# 没有别的要问的了: after a no, what is left only says there is nothing more to ask.
_NOTHING_MORE = re.compile(r"^(?:要|想|可|需要|还要|还想)?(?:问|办|咨询|说)的?$")
_ANYWHERE_NO = re.compile(r"算了|都不是|都不对|哪个都不|不是|不对|就这些|没了|不问|没问|搞错|弄错|"
                          r"不沾边|不搭边|没啥要问|没什么要问|没啥问|没有要问|够了")
# 不是A，(而)是B / 我说的是B / 我要问B: after a no, B is what the caller means.
_CORRECTION = re.compile(
    r"^.{1,12}?(?:而是|我说的是|我问的是|我是说|我是问|我要问|我想问|是)(.{2,})$")
_MURMUR = re.compile(r"[嗯恩]+[哪呐呢]?[\W嗯恩]*")  # 嗯嗯, 嗯哪, 嗯呐
_CLAUSE = re.compile(r"[，,。；;！!？?]+")
_SHORT = 10  # a reply this short with a no anywhere in it is a no (也不完全是……算了，不是)


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind | None
    rest: str  # what followed the reply word, normalised, politeness removed
    word: str = field(default="", compare=False)  # the reply word(s), fillers included
    # what the caller said after the first clause (不是预约，我想问大厅在哪儿)
    after: str = field(default="", compare=False)


def read_reply(question: str | None, text: str) -> Reply:
    """The yes/no leading `text` as an answer to `question` (a prompt key), and the rest."""
    norm = normalize(text)
    if question not in QUESTIONS:
        return Reply(None, norm)
    if question == "confirm" and _MURMUR.fullmatch(text.strip()):
        return Reply("yes", "", text.strip())  # 嗯嗯, 嗯哪: normalisation drops 嗯 as a filler
    if question == "confirm" and _SAME.match(norm):
        return Reply("yes", "", norm)  # 就这个事, 就是这个: what the bot named
    yes = _HAVE if question == "anything_else" else _YES
    for kind, words in (("no", _NO), ("yes", yes)):
        found = re.match(f"{_FILLER}(?:{words})+", norm)  # 对对对, 没有没有: said twice or more
        if found:
            rest = _strip_tail(norm[found.end():])
            if _SAME.match(rest) or (kind == "no" and any(
                    p.match(rest) for p in (_NOT_ABOUT, _NOTHING_MORE, _DENIED_AGAIN, _ONLY_THIS))):
                rest = ""
            return Reply(kind, rest, found.group(), _after_first_clause(text))  # type: ignore[arg-type]
    if len(norm) <= _SHORT and _ANYWHERE_NO.search(norm):
        return Reply("no", "")
    return Reply(None, norm)


def _strip_tail(rest: str) -> str:
    previous = None
    while previous != rest:
        previous, rest = rest, _TAIL.sub("", rest)
    return rest


def _correction(reply: Reply) -> tuple[str, ...]:
    """What a no corrects to: 不是出生证，是给孩子上户口 → 给孩子上户口 (the denied words
    left in would pull the match back to what was denied); empty when there is no such
    turn."""
    if reply.kind != "no":
        return ()
    found = _CORRECTION.match(reply.rest)
    turned = (found.group(1),) if found else ()
    # 不是预约，我想问问大厅在哪儿: the clause after the denied one, without the denied words
    later = (reply.after,) if len(normalize(reply.after)) >= 2 and (
        normalize(reply.after) != reply.rest) else ()
    return turned + later


def _after_first_clause(text: str) -> str:
    """The caller's words after their first clause (a comma, a stop), as said: the matcher
    reads them whole (我想问网上能不能办; normalised, 网上能不能办 is less clear)."""
    parts = _CLAUSE.split(text.strip(), maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def _decided(match: MatchResult) -> bool:
    """The match is a request the bot can act on (not a steering word, not nothing)."""
    if match.intent in _STEERING:
        return False
    return match.action in ("answer", "transfer", "clarify") or match.routed


def _elaborates(reply: Reply, question: str | None) -> bool:
    """After a yes to a question that named something, what follows is about that thing
    (是啊，刚买了房; 对头嘛，我是个体户), unless the caller marks a new question
    (对，另外我还想问…)."""
    return (reply.kind == "yes" and question != "anything_else"
            and not _NEW_QUESTION.match(reply.rest))


def understand(match: Callable[[str], MatchResult], question: str | None, text: str,
               offered: tuple[str, ...] = ()) -> tuple[MatchResult, ReplyKind | None]:
    """The utterance's match, and its reply to `question` when it is one rather than a new
    request. A request that follows the reply word wins (没有，我还想问公积金; 不对，我说的是…):
    after 还有其他问题吗 the full text is tried first (没有收到养老金 is a request, not a no);
    after a confirmation or a choice, the rest first (the correction is what they mean). A no
    whose rest names an intent just `offered` denies it (不是，我说的不是发票)."""
    reply = read_reply(question, text)
    if reply.kind is None:
        return match(text), None
    full = match(text)
    if reply.kind == "yes" and full.intent in ("no", "goodbye") and (
            reply.rest or question == "anything_else"):
        return full, None  # 对，没有了 / 有……算了，再见: the closing words win
    # (对的，谢谢 after 您是想咨询…吗: the thanks is for understanding, the yes stands)
    if not reply.rest and full.intent == "repeat":
        # 没有没有，你说得挺清楚的: the thanks, not a request to hear it again
        return match(reply.word), reply.kind
    if len(reply.rest) >= 2:
        order = ((text, reply.rest) if question == "anything_else"
                 else (*_correction(reply), reply.rest, text))
        unsure: MatchResult | None = None  # a question back, if no reading is clear
        for candidate in order:
            found = match(candidate)
            denied = reply.kind == "no" and _names_denied(found, offered)
            if _decided(found) and not denied and not _elaborates(reply, question):
                if found.action != "clarify":
                    return found, None
                unsure = unsure or found
        if unsure is not None:
            return unsure, None
    return full, reply.kind


def _names_denied(found: MatchResult, offered: tuple[str, ...]) -> bool:
    """The match is what the caller just denied, or a question between it and another
    (不是预约，我想问网上能不能办: 网上能不能办 alone is online or appointment)."""
    if found.intent in offered:
        return True
    return found.action == "clarify" and any(c.intent in offered for c in found.candidates[:2])
