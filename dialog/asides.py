"""Asides: utterances that are no request by their whole shape, one table of them.

Each rule is a pure predicate in its own module; this table names the signal each one sets
(MatchResult.aside reads the names, Matcher._decide the rules), so a new rule is added in one
place. The predicates take the normalised text and the words as heard (with 吗 and
punctuation, which a call that opens by asking for someone else needs). Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from dialog.addressee import addressed_to_someone_else, opens_for_someone_else
from dialog.advice import asks_for_advice
from dialog.errands import is_an_errand
from dialog.heard_questions import restore_question_words
from dialog.know_how import asks_for_know_how
from dialog.other_agencies import for_another_agency
from dialog.other_services import for_another_service
from dialog.remarks import is_a_remark
from dialog.sales_calls import is_a_sales_call
from dialog.shop_questions import asks_about_a_shop
from dialog.small_talk import is_small_talk
from dialog.venting import is_venting

__all__ = ["ASIDES", "ASIDE_SIGNALS", "aside_of"]

ASIDES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    # a wrong number (是王师傅家吗, 打错了) or a call for someone not of ours (喂，人民医院吗？…)
    ("someone_else", lambda text, raw: (addressed_to_someone_else(text)
                                        or opens_for_someone_else(raw))),
    ("shop_question", lambda text, raw: asks_about_a_shop(text)),  # 那家面馆叫啥名字
    ("remark", lambda text, raw: is_a_remark(text)),  # 医院那个张医生人挺好的
    ("small_talk", lambda text, raw: is_small_talk(text)),  # 你们接电话的工资高不
    ("advice", lambda text, raw: asks_for_advice(text)),  # 找哪家装修公司靠谱, 大蒜啥价钱
    ("know_how", lambda text, raw: asks_for_know_how(text)),  # 有啥技巧没, 附近有修车的没
    ("venting", lambda text, raw: is_venting(text)),  # 我孙子不听话…, 这日子没法过了
    ("sales_call", lambda text, raw: is_a_sales_call(text)),  # 首付只要十万，您考虑一下吗
    ("errand", lambda text, raw: is_an_errand(text)),  # 帮我叫辆出租车
    ("other_service", lambda text, raw: for_another_service(text)),  # 水费, 取现金, 商业保险
    ("other_agency", lambda text, raw: for_another_agency(text) is not None),  # 低保, 签证
)
ASIDE_SIGNALS = tuple(name for name, _ in ASIDES)


def aside_of(text: str, raw: str) -> str | None:
    """The signal of the first aside whose shape the utterance (`text` normalised, `raw` as
    heard) has, or None; then the same with the question words the recognizer blurs written
    back (dialog.heard_questions: 我该砸说 is 我该咋说)."""
    found = _first_aside(text, raw)
    if found is None:
        restored = restore_question_words(text)
        if restored != text:
            found = _first_aside(restored, restore_question_words(raw))
    return found


def _first_aside(text: str, raw: str) -> str | None:
    return next((name for name, rule in ASIDES if rule(text, raw)), None)
