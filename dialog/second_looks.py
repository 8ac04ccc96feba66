"""Second looks at the matcher's decision: who else may the caller's words belong to?

The matcher (dialog.matcher) decides from the scores of one reading. A few things the caller
said can overrule that first decision, each marked in `signals` so the record shows why:
- a request frame (投诉, 建议, 反映 …) that carried a general FAQ over what the problem is
  (`frames_removed`: the utterance read again without it);
- a department's duty named outright, where a not-so-sure FAQ belongs elsewhere
  (`faq_overruled`);
- a department's office named (`office_named`: 教育局拖欠教师工资 is education's);
- the city's own routing (a phone prior trained on its routed messages) for a problem an FAQ
  only hands over (`faq_overruled` beside `route_learned`).
Pure: the first decision and the evidence in, a decision out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dialog.duty_shapes import duty_shape
from dialog.evidence import LONG_KEYWORD, ROUTE_KEYWORD, Evidence, routed_decision
from dialog.intents import Intent, KnowledgeBase
from dialog.offices import OfficeIndex
from dialog.phonetic import Utterance
from dialog.request_frames import strip_request_frames
from dialog.routing import DepartmentPrior, DepartmentRouter, Routing
from dialog.types import MatchResult

# An FAQ this sure is never overruled by a named duty, and the duty's department must lead
# the next by this much; chosen on the DEV checked titles.
NAMED_FAQ_CEILING, NAMED_MARGIN = 0.8, 0.6
# A long duty word leads the next department this much: it overrules an unheard FAQ
# however sure (blind6; no other dev line changed).
_UNHEARD_MARGIN = 0.4

Reread = Callable[[Utterance, DepartmentPrior | None], MatchResult]


class SecondLooks:
    """The rules above over one knowledge base; `reread` is the matcher's first decision for
    another reading of an utterance (the one without its request frame)."""

    def __init__(self, kb: KnowledgeBase, router: DepartmentRouter, offices: OfficeIndex,
                 reread: Reread) -> None:
        self.kb = kb
        self._router = router
        self._offices = offices
        self._reread = reread

    def revise(self, text: str, ev: Evidence, first: MatchResult,
               prior: DepartmentPrior | None) -> MatchResult:
        """The decision after the frame, office and city rules (`first` if none applies)."""
        result = self._without_frames(text, ev, first, prior)
        result = self._office_named(ev, result, text) or result
        result = self._city_routes(ev, result, prior, text) or result
        return self._duty_shape(ev, result, text) or result

    def _duty_shape(self, ev: Evidence, first: MatchResult, text: str) -> MatchResult | None:
        """A transfer to the department a duty shape names (dialog.duty_shapes: 医保费被扣了两次
        is the tax bureau's), whatever the first decision was, when the knowledge base has
        that department."""
        found = duty_shape(ev.utterance.text)
        if found is None or found[1] not in self.kb.departments or (
                first.department == found[1] and first.action == "transfer"):
            return None  # already on its way there (an answer of its own FAQ is not: 大厅空调
            # 坏了 is no question about the hall's hours)
        routing = self._router.route_to(ev.utterance, ev.terms, found[1])
        by_sound = {"shape_by_sound": 1.0} if found[2] else {}
        return routed_decision(routing, text, ev, **{found[0]: 1.0}, **by_sound)

    def named_elsewhere(self, ev: Evidence, intent: Intent, top: float,
                        prior: DepartmentPrior | None, text: str) -> MatchResult | None:
        """A transfer where a not-so-sure FAQ belongs to another department than the duty the
        caller named outright (a keyword of 3+ characters, the others far behind, routing
        surer than the FAQ): 摩托车驾驶证注销 is the police's, not market's deregistration.
        An FAQ none of whose keywords was heard won on the shape of its examples (天天有人
        烧垃圾 made 天天有人乱停车 a burning report): any department keyword that routes on
        its own (ROUTE_KEYWORD) overrules it, with routing surer than the FAQ, however sure
        the FAQ is (大学生创业补贴 is hrss's 创业补贴, not the student-aid answer at 0.92);
        a long duty word (LONG_KEYWORD) well ahead of the others (_UNHEARD_MARGIN) overrules
        it even when routing is less sure: 医保关系转不过来 is medical insurance's, not the
        pension-transfer answer its examples resemble at 0.9."""
        own = ev.signals.get("keyword", 0.0) > 0.0  # the FAQ's own keywords were heard
        if (own and top >= NAMED_FAQ_CEILING) or intent.kind != "faq":
            return None
        routing = self._route(ev, prior, text)
        if routing.department in (None, intent.department):
            return None
        if routing.score <= top and (own or routing.keyword < LONG_KEYWORD
                                     or routing.margin < _UNHEARD_MARGIN):
            return None
        if routing.keyword < (LONG_KEYWORD if own else ROUTE_KEYWORD) or (
                own and routing.margin < NAMED_MARGIN):
            return None
        return routed_decision(routing, text, ev, faq_overruled=top)

    def _without_frames(self, text: str, ev: Evidence, first: MatchResult,
                        prior: DepartmentPrior | None) -> MatchResult:
        """The decision for the utterance without its request frame words (投诉, 建议, 反映,
        关于 …; dialog.request_frames), when that reading routes the problem or answers an FAQ
        of another department than the first: the frame carried a general FAQ (建议 →
        suggestion, 投诉 → consumer_complaint) over what the caller said it is about. Only
        read again when the first reading is a clarifying question, a general-desk FAQ, or an
        FAQ of another department than one whose keyword was heard (`_frame_suspect`): the
        second reading costs a second match. Marked `signals.frames_removed`."""
        stripped = strip_request_frames(ev.utterance)
        if stripped is ev.utterance or not self._frame_suspect(ev, first):
            return first
        second = self._reread(stripped, prior)
        heard = first.department if first.action != "clarify" else None
        if second.action == "clarify" or second.department in (None, heard) or (
                second.intent is not None and self._is_system(second.intent)):
            return first
        return replace(second, text=text, signals=second.signals | {"frames_removed": 1.0})

    def _frame_suspect(self, ev: Evidence, first: MatchResult) -> bool:
        """Could a request frame have carried this decision? A clarifying question, an FAQ
        of the general desk (suggestion, ticket status …), or an FAQ whose department is not
        the one a department keyword in the utterance names. Routed problems, no-matches and
        system intents (转人工, 是的) stay as they are (on the DEV titles, re-reading
        no-matches changed 2 of 51)."""
        if first.action == "clarify":
            return True
        if first.intent is None or self._is_system(first.intent):
            return False
        if first.department == self.kb.default_department:
            return True
        routing = self._route(ev)
        return routing.keyword > 0 and routing.department != first.department

    def _office_named(self, ev: Evidence, first: MatchResult, text: str) -> MatchResult | None:
        """A transfer to the department whose office the caller named (dialog.offices) where
        an FAQ of another department would answer or be offered: 教育局拖欠教师工资 is
        education's, not the labour bureau's wage-arrears answer. Routed problems and
        no-matches stay as they are. Marked `signals.office_named` (the FAQ's score)."""
        if first.action == "clarify":
            owners = {self.kb.intents[c.intent].department for c in first.candidates}
        elif first.intent is not None and not self._is_system(first.intent):
            owners = {self.kb.intents[first.intent].department}
        else:
            return None
        named = self._offices.named(ev.utterance)
        if named is None or named in owners:
            return None
        routing = self._router.route_to(ev.utterance, ev.terms, named)
        return routed_decision(routing, text, ev, office_named=first.score)

    def _city_routes(self, ev: Evidence, first: MatchResult, prior: DepartmentPrior | None,
                     text: str) -> MatchResult | None:
        """The city's own routing (`prior`, trained on its routed messages) for a problem an
        FAQ would hand to another department: such an FAQ (油烟扰民 → pollution_report, which
        transfers to environment) only says whose problem it is, and a city that sends
        restaurant fumes to urban management decides that itself, by the same blend as a
        routed problem. FAQs that answer are left alone, and nothing changes without a
        prior. Marked `signals.faq_overruled` (the FAQ's score) beside `route_learned`."""
        if prior is None or first.intent is None or first.action != "transfer" \
                or self._is_system(first.intent):
            return None
        routing = self._route(ev, prior, text)
        if routing.department in (None, first.department):
            return None
        return routed_decision(routing, text, ev, faq_overruled=first.score)

    def _route(self, ev: Evidence, prior: DepartmentPrior | None = None,
               text: str = "") -> Routing:
        return self._router.route(ev.utterance, ev.terms, prior, text)

    def _is_system(self, intent_id: str) -> bool:
        return self.kb.intents[intent_id].kind != "faq"
