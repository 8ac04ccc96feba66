"""The dialog policy: a pure state machine from (state, event, now) to (state, actions).

It decides what the bot says, when it listens, when it asks which of two intents the caller
meant or which area a problem it could not place belongs to (dialog.department_choice), when
it routes a problem to the responsible department or gives up and hands the caller
to a human, and which outcome the call record gets. It does no I/O, never sleeps and never
reads a clock: `now` is passed in, timers are `StartTimer`/`CancelTimer` actions the call
session runs, and a fired timer comes back as a `TimerFired` event. `step` never raises; an
event that makes no sense in the current phase returns the state unchanged and no actions.
The events, actions and state types live in dialog.policy_types and are re-exported here.
"""

from __future__ import annotations

from dataclasses import replace

from dialog import clarify, department_choice
from dialog.human_request import asks_for_person
from dialog.intents import Department, Intent, KnowledgeBase
from dialog.policy_types import (
    DTMF_AGENT_KEY,
    HUMAN_KEYWORD,
    LIVE_PHASES,
    NO_INPUT_TIMER,
    Action,
    CallBegan,
    CallerHungUp,
    CallerSpoke,
    CallerStartedSpeaking,
    CancelTimer,
    DialogState,
    Event,
    HangUp,
    KeyPressed,
    Outcome,
    Phase,
    PolicyConfig,
    PromptFinished,
    RecognitionError,
    RecordOutcome,
    RecordRating,
    Say,
    StartTimer,
    Step,
    TimerFired,
    Transfer,
)
from dialog.survey import RATINGS, read_rating
from dialog.types import MatchResult

__all__ = [
    "DTMF_AGENT_KEY",
    "HUMAN_KEYWORD",
    "LIVE_PHASES",
    "NO_INPUT_TIMER",
    "Action",
    "CallBegan",
    "CallerHungUp",
    "CallerSpoke",
    "CallerStartedSpeaking",
    "CancelTimer",
    "DialogPolicy",
    "DialogState",
    "Event",
    "HangUp",
    "KeyPressed",
    "Outcome",
    "Phase",
    "PolicyConfig",
    "PromptFinished",
    "RecognitionError",
    "RecordOutcome",
    "RecordRating",
    "Say",
    "StartTimer",
    "Step",
    "TimerFired",
    "Transfer",
]


DEFAULT_CONFIG = PolicyConfig()
# Said when a knowledge base has no `reask` prompt (older intents.yaml files).
REASK_TEXT = "请您简短地再说一遍。"
ASR_CONFIDENCE = "asr_confidence"  # the signal the call session adds (dialog.types)


class DialogPolicy:
    """Turns call events into bot actions for one knowledge base. Stateless itself."""

    def __init__(self, kb: KnowledgeBase, config: PolicyConfig = DEFAULT_CONFIG) -> None:
        self.kb = kb
        self.config = config
        self.choices = department_choice.ChoiceReader(kb)

    def initial_state(self) -> DialogState:
        return DialogState()

    def step(self, state: DialogState, event: Event, now: float) -> Step:
        """Apply one event. Unexpected events for the phase return (state, [])."""
        if state.phase == "ended":
            return state, []
        match event:
            case CallBegan():
                return self._on_call_began(state, now)
            case PromptFinished(key=key):
                return self._on_prompt_finished(state, key)
            case CallerStartedSpeaking():
                live = state.phase in LIVE_PHASES
                return state, [CancelTimer(NO_INPUT_TIMER)] if live else []
            case CallerSpoke(match=match_result, reply=reply):
                return self._on_caller_spoke(state, match_result, reply)
            case KeyPressed(digit=digit):
                return self._on_key(state, digit)
            case TimerFired(name=name):
                return self._on_timer(state, name)
            case CallerHungUp():
                return self._on_hung_up(state)
            case RecognitionError():
                return self._on_recognition_error(state)
        return state, []

    # ---- event handlers ---------------------------------------------------------------------

    def _on_call_began(self, state: DialogState, now: float) -> Step:
        if state.phase != "start":
            return state, []
        state = replace(state, began_at=now)
        return self._say(state, "speaking", Say("greeting", self._prompt("greeting")))

    def _on_prompt_finished(self, state: DialogState, key: str) -> Step:
        if key != state.last_say_key:
            return state, []  # a stale prompt: the dialog has already moved past it
        if state.phase == "speaking":
            timer = StartTimer(NO_INPUT_TIMER, self.config.no_input_s)
            return replace(state, phase="listening"), [timer]
        if state.phase == "ending":
            outcome = state.outcome or self._natural_outcome(state)
            return replace(state, phase="ended", outcome=outcome), [
                HangUp(state.hangup_reason or "goodbye"),
                RecordOutcome(outcome),
            ]
        if state.phase == "transferring":
            return self._finish_transfer(state)
        return state, []

    def _on_caller_spoke(self, state: DialogState, match: MatchResult,
                         reply: str | None = None) -> Step:
        if state.phase not in LIVE_PHASES:
            return state, []
        state = replace(state, no_inputs=0)
        replied = self._on_reply(state, match, reply) if reply else None
        new_state, actions = replied or self._respond(state, match, reply)
        return new_state, [CancelTimer(NO_INPUT_TIMER), *actions]

    def _on_key(self, state: DialogState, digit: str) -> Step:
        if state.phase in LIVE_PHASES and state.last_say_key == "survey" and digit in RATINGS:
            new_state, actions = self._say_goodbye(state, None, "goodbye")
            return new_state, [CancelTimer(NO_INPUT_TIMER), RecordRating(digit, "key"), *actions]
        if state.phase not in LIVE_PHASES or digit != DTMF_AGENT_KEY:
            return state, []
        new_state, actions = self._begin_transfer(state, self._fallback_department(state), "dtmf")
        return new_state, [CancelTimer(NO_INPUT_TIMER), *actions]

    def _on_timer(self, state: DialogState, name: str) -> Step:
        if state.phase != "listening" or name != NO_INPUT_TIMER:
            return state, []
        if state.last_say_key == "survey":  # no rating given: the call ends as it was
            return self._say_goodbye(state, None, "goodbye")
        no_inputs = state.no_inputs + 1
        state = replace(state, no_inputs=no_inputs)
        if no_inputs > self.config.max_no_input:
            return self._say_goodbye(state, "no-input", "no-input")
        return self._say(state, "speaking", Say("no_input", self._prompt("no_input")))

    def _on_hung_up(self, state: DialogState) -> Step:
        outcome = state.outcome or self._natural_outcome(state)
        return replace(state, phase="ended", outcome=outcome), [
            CancelTimer(NO_INPUT_TIMER),
            RecordOutcome(outcome),
        ]

    def _on_recognition_error(self, state: DialogState) -> Step:
        if state.phase not in LIVE_PHASES:
            return state, []
        # The caller must always reach a human when the bot cannot hear them.
        apology = Say("error", self._prompt("error"))
        department = self._fallback_department(state)
        new_state, actions = self._begin_transfer(state, department, "error", lead=[apology])
        return new_state, [CancelTimer(NO_INPUT_TIMER), *actions]

    # ---- responses to one utterance -----------------------------------------------------------

    def _respond(self, state: DialogState, match: MatchResult, reply: str | None = None) -> Step:
        if match.signals.get("emergency"):
            return self._emergency(state, match)
        intent_id = match.intent
        asks_human = self._asks_human(match)
        if state.last_say_key == "survey" and not asks_human:
            return self._on_rating(state, match)
        if state.choice and not asks_human and (
                intent_id != "repeat" or self._chosen_despite_repeat(state, match)):
            # Read first as the answer: 市场 alone matches an FAQ that transfers.
            chosen = self._resolve_choice(state, match, reply)
            if chosen is not None:
                return chosen
        if asks_human:
            return self._transfer_for(replace(state, clarify=(), choice=()), match)
        if intent_id == "repeat":
            return self._say(state, "speaking", Say("repeat", state.last_bot_text), keep_text=True)
        if state.clarify:
            # Read first as the answer, as for the department choice: 后面那个 matches an FAQ
            # that transfers (industrial noise), which is no reason to skip the choice made.
            resolved = self._resolve_clarification(state, match)
            if resolved is not None:
                return resolved
        if self._wants_human(match):
            return self._transfer_for(replace(state, clarify=(), choice=()), match)
        state = replace(state, clarify=(), choice=())
        if match.routed:
            return self._route(state, match.department or "")
        if intent_id in ("no", "goodbye"):
            if self._doubtful_close(state, match):
                return self._reask(state)
            return self._close(state)
        if intent_id == "yes":
            return self._say(state, "speaking", Say("ask_question", self._prompt("ask_question")))
        if intent_id == "menu":
            key = "menu" if "menu" in self.kb.prompts else "ask_question"
            return self._say(state, "speaking", Say(key, self._prompt(key)))
        if match.action == "clarify":
            return self._clarify(state, match)
        intent = self.kb.intents.get(intent_id) if intent_id else None
        if match.action == "answer" and intent is not None and intent.answer:
            return self._answer(state, intent_id or "", intent.answer, intent.department)
        if self._misheard(state, match):
            return self._reask(state)
        return self._ask_department(state, match)

    def _misheard(self, state: DialogState, match: MatchResult) -> bool:
        """A no-match the recognizer itself doubted, with a re-ask left for this question."""
        confidence = match.signals.get(ASR_CONFIDENCE)
        return (confidence is not None and confidence < self.config.reask_confidence
                and match.intent is None and match.action == "none" and not match.aside
                and state.reasks < self.config.max_reasks)

    def _doubtful_close(self, state: DialogState, match: MatchResult) -> bool:
        """A goodbye (or a bare no) the recognizer doubted, before the caller was asked
        whether anything else is wanted: hanging up on a garbled request (几点了啊 heard as
        至于这样子了啊, read as a goodbye) loses the call, a re-ask costs one turn."""
        confidence = match.signals.get(ASR_CONFIDENCE)
        return (confidence is not None and confidence < self.config.reask_confidence
                and state.last_say_key != "anything_else"
                and state.reasks < self.config.max_reasks)

    def _reask(self, state: DialogState) -> Step:
        """"Please say it again, shorter": not a misunderstanding, so no step to a transfer."""
        text = self._prompt("reask") or REASK_TEXT
        return self._say(replace(state, reasks=state.reasks + 1), "speaking", Say("reask", text))

    def _on_reply(self, state: DialogState, match: MatchResult, reply: str) -> Step | None:
        """A yes or no to the question just asked (its prompt key is `last_say_key`)."""
        if self._asks_human(match) or match.intent == "repeat":
            return None  # (an FAQ that transfers is no reason: 没 matched one, as a no it is)
        asked = state.last_say_key
        if asked == "anything_else":
            if reply == "no":
                return self._close(state)
            return self._say(state, "speaking", Say("ask_question", self._prompt("ask_question")))
        if asked in ("confirm", "clarification") and state.clarify:
            pending, state = state.clarify, replace(state, clarify=())
            if reply == "no":
                return self._say(state, "speaking",
                                 Say("ask_question", self._prompt("ask_question")))
            # 对，后面那个: the yes of a choice says which one
            chosen = clarify.choose(pending, match, self._choice_words(pending),
                                    self._department_of)
            intent = self.kb.intents.get(chosen if chosen in pending else pending[0])
            return self._take(state, intent) if intent is not None else None
        return None

    # ---- clarification and routing ----------------------------------------------------------

    def _clarify(self, state: DialogState, match: MatchResult) -> Step:
        """Ask which of the (one or two) candidate intents the caller meant."""
        pending = tuple(c.intent for c in match.candidates[:2] if c.intent in self.kb.intents)
        if not pending:
            return self._not_understood(state)
        names = [self.kb.intent_name(i) for i in pending]
        if len(pending) == 2:
            say = Say("clarification", self._prompt("clarification", a=names[0], b=names[1]))
        elif "confirm" in self.kb.prompts:
            say = Say("confirm", self._prompt("confirm", a=names[0]))
        else:  # nothing to ask with: take the only candidate
            return self._take(state, self.kb.intents[pending[0]])
        return self._say(replace(state, clarify=pending), "speaking", say)

    def _choice_words(self, pending: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """Each offered intent's name and keywords: what a caller may pick it by."""
        return {i: (intent.name, *intent.keywords) for i in pending
                if (intent := self.kb.intents.get(i)) is not None}

    def _department_of(self, intent_id: str) -> str | None:
        intent = self.kb.intents.get(intent_id)
        return intent.department if intent is not None else None

    def _resolve_clarification(self, state: DialogState, match: MatchResult) -> Step | None:
        """The caller's answer to a clarifying question, or None for a new question."""
        choice = clarify.choose(state.clarify, match, self._choice_words(state.clarify),
                                self._department_of)
        state = replace(state, clarify=())
        if choice == clarify.REJECT:
            return self._say(state, "speaking", Say("ask_question", self._prompt("ask_question")))
        intent = self.kb.intents.get(choice) if choice else None
        if intent is None:
            if match.action == "clarify":  # a second unclear answer in a row: no more asking
                return self._not_understood(state)
            return None
        return self._take(state, intent)

    def _take(self, state: DialogState, intent: Intent) -> Step:
        """Act on an intent chosen by clarification: answer it, or answer and transfer."""
        if intent.action == "transfer":
            lead = [Say(f"answer:{intent.id}", intent.answer, intent.id)] if intent.answer else []
            department = intent.department or self._fallback_department(state)
            state = replace(state, last_department=department)
            return self._begin_transfer(state, department, "intent", lead=lead)
        if not intent.answer:
            return self._not_understood(state)
        return self._answer(state, intent.id, intent.answer, intent.department)

    def _emergency(self, state: DialogState, match: MatchResult) -> Step:
        """Someone in danger (dialog.emergency): the number to dial, then a person at once,
        whatever was being asked; reason `emergency`. Without an `emergency` prompt the
        transfer alone."""
        number = str(int(match.signals["emergency"]))
        lead = [Say("emergency", self._prompt("emergency", number=number))] if (
            "emergency" in self.kb.prompts) else []
        department = match.department or self.kb.default_department
        state = replace(state, last_department=department)
        return self._begin_transfer(state, department, "emergency", lead=lead)

    def _route(self, state: DialogState, department: str, reason: str = "routing") -> Step:
        """A problem no FAQ answers: say which department handles it, then transfer there."""
        dept = self._department(department)
        if "route" not in self.kb.prompts:
            return self._begin_transfer(state, dept.id, reason)
        announce = Say("route", self._prompt("route", department=dept.name))
        state = replace(state, last_department=dept.id)
        return self._begin_transfer(state, dept.id, reason, announce=announce)

    # ---- the department-choice question (dialog.department_choice) ---------------------------

    def _ask_department(self, state: DialogState, match: MatchResult) -> Step:
        """A declined problem with department guesses: ask which area it belongs to, naming
        the best guesses, instead of a blind "say it again" (callers repeat the same words).
        No guesses (noise, chatter, 我有个问题: nothing yet says what it is about) or no
        prompt: no_match, since saying it again is what such a caller can do best; three
        departments guessed from nothing would only be a longer way to the general desk."""
        options = department_choice.offered(match, self.kb, self.config.choice_options)
        if not options or "department_choice" not in self.kb.prompts:
            return self._not_understood(state, aside=match.aside)
        names = [self._department(d).spoken_area for d in options]
        text = self._prompt("department_choice", options=department_choice.options_text(names))
        return self._say(replace(state, choice=options), "speaking", Say("department_choice", text))

    def reads_as_answer(self, state: DialogState, text: str) -> bool:
        """Does `text` answer the question just asked in words only the policy reads? The
        department choice's areas, ordinals and duty words (被老板开了 → the labour bureau)
        and the survey's ratings (一般, 差评) mean nothing to the matcher, so a call trying
        the recognizer's readings in turn (dialog.hypotheses) must not pass over a reading
        this understands."""
        if state.last_say_key == "survey":
            return read_rating(text) is not None
        return (state.last_say_key == "department_choice" and bool(state.choice)
                and self.choices.choose(state.choice, text) is not None)

    def own_reading_first(self, state: DialogState) -> bool:
        """After the survey only the rating (or 人工) counts, never an FAQ the matcher finds
        in a garbled rating: the readings the policy reads (`reads_as_answer`) come first."""
        return state.last_say_key == "survey"

    def _resolve_choice(self, state: DialogState, match: MatchResult,
                        reply: str | None) -> Step | None:
        """The caller's answer to the department-choice question, or None for a new request.
        The question is asked once: an unclear answer goes to the general desk, with a
        reason that tells the agent why (caller_choice, choice_none, choice_unclear)."""
        answer = self.choices.answer(state.choice, match, reply)
        state = replace(state, choice=())
        if answer.kind == "request":
            return None
        if answer.kind == "department" and answer.department is not None:
            return self._route(state, answer.department, "caller_choice")
        reason = "choice_none" if answer.kind == "none" else "choice_unclear"
        return self._begin_transfer(state, self.kb.default_department, reason)

    def _chosen_despite_repeat(self, state: DialogState, match: MatchResult) -> bool:
        """The matcher reads 你说的第一个, 最后那个 or 不清楚 as "say it again" (你说的…,
        最后那句, 没听清), but the choice reader finds an offered department in them, or "none
        of them" when nothing is said about hearing (听不清楚 asks to hear the question
        again)."""
        chosen = self.choices.choose(state.choice, match.text or "")
        if chosen == department_choice.NONE_OF_THEM:
            return "听" not in (match.text or "")
        return chosen is not None

    def _wants_human(self, match: MatchResult) -> bool:
        """A human was asked for, or the intent itself transfers (routing is not: it first
        says which department is responsible)."""
        transfers = match.action == "transfer" and not match.routed
        return transfers or self._asks_human(match)

    @staticmethod
    def _asks_human(match: MatchResult) -> bool:
        """The caller asked for a person (human_agent, or 转人工 / 给我转个真人 in any state)."""
        return match.intent == "human_agent" or asks_for_person(match.text or "")

    def _transfer_for(self, state: DialogState, match: MatchResult) -> Step:
        intent = self.kb.intents.get(match.intent) if match.intent else None
        if match.intent == "human_agent" or (intent is None and not match.department):
            reason = "caller_request"
            department = self._fallback_department(state)
        else:
            reason = "intent" if match.action == "transfer" else "caller_request"
            own = match.department or (intent.department if intent else None)
            department = own or self._fallback_department(state)
        lead: list[Say] = []
        if match.action == "transfer" and intent is not None and intent.answer:
            lead.append(Say(f"answer:{intent.id}", intent.answer, intent.id))
        state = replace(state, last_department=department)
        return self._begin_transfer(state, department, reason, lead=lead)

    def _answer(
        self, state: DialogState, intent_id: str, answer: str, department: str | None
    ) -> Step:
        state = replace(
            state,
            answered=state.answered + 1,
            failures=0,
            reasks=0,
            last_department=department or state.last_department,
        )
        return self._say(
            state,
            "speaking",
            Say(f"answer:{intent_id}", answer, intent_id),
            Say("anything_else", self._prompt("anything_else")),
        )

    def _not_understood(self, state: DialogState, aside: bool = False) -> Step:
        """no_match; for an aside (a wrong number, a question about a shop: MatchResult.aside)
        the `out_of_scope` prompt when the knowledge base has one, since the bot did
        understand: it tells the caller what it can help with instead of asking them to
        repeat what it cannot. Either counts towards the transfer a caller still gets."""
        state = replace(state, failures=state.failures + 1)
        if state.failures >= self.config.max_failures:
            return self._begin_transfer(state, self._fallback_department(state), "no_match")
        key = "out_of_scope" if aside and "out_of_scope" in self.kb.prompts else "no_match"
        return self._say(state, "speaking", Say(key, self._prompt(key)))

    # ---- endings -------------------------------------------------------------------------------

    def _begin_transfer(
        self, state: DialogState, department: str, reason: str, lead: list[Say] | None = None,
        announce: Say | None = None,
    ) -> Step:
        dept = self._department(department)
        announce = announce or Say("transfer", self._prompt("transfer", department=dept.name))
        state = replace(state, outcome="transferred", transfer_department=dept.id,
                        transfer_reason=reason, clarify=(), choice=())
        return self._say(state, "transferring", *(lead or []), announce)

    def _finish_transfer(self, state: DialogState) -> Step:
        dept = self._department(state.transfer_department or self.kb.default_department)
        return replace(state, phase="ended", outcome="transferred"), [
            Transfer(dept.id, dept.queue, state.transfer_reason),
            RecordOutcome("transferred"),
        ]

    def _close(self, state: DialogState) -> Step:
        """The caller is done: the survey first (once, when on and the caller had an answer),
        then the goodbye."""
        if (self.config.survey and "survey" in self.kb.prompts and not state.surveyed
                and state.answered > 0):
            return self._say(replace(state, surveyed=True), "speaking",
                             Say("survey", self._prompt("survey")))
        return self._say_goodbye(state, None, "goodbye")

    def _on_rating(self, state: DialogState, match: MatchResult) -> Step:
        """What the caller said after the survey prompt: a rating is recorded and the call
        ends (a caller is never asked twice). A new question instead of a rating is served:
        the 没有 before the survey may have been misheard (a short garbled request scored as
        就这些), or the caller thought of something; hanging up on it would lose it. A
        garbled rating rarely gets this far: a reading that is a rating comes first."""
        rating = read_rating(match.text or "")
        if rating is None and self._is_request(match):
            return self._respond(replace(state, last_say_key=""), match)
        new_state, actions = self._say_goodbye(state, None, "goodbye")
        return new_state, [RecordRating(rating, "voice"), *actions] if rating else actions

    def _is_request(self, match: MatchResult) -> bool:
        """A decided FAQ or a department routed: something to serve, not a yes, no or
        goodbye (system intents) and not a guess the matcher would ask about."""
        if match.routed:
            return True
        intent = self.kb.intents.get(match.intent) if match.intent else None
        return (intent is not None and intent.kind != "system"
                and match.action in ("answer", "transfer"))

    def _say_goodbye(self, state: DialogState, outcome: Outcome | None, reason: str) -> Step:
        decided = outcome or self._natural_outcome(state)
        state = replace(state, outcome=decided, hangup_reason=reason)
        return self._say(state, "ending", Say("goodbye", self._prompt("goodbye")))

    # ---- helpers -------------------------------------------------------------------------------

    def _say(self, state: DialogState, phase: Phase, *says: Say, keep_text: bool = False) -> Step:
        """Issue `says` in order; the last one's key is what PromptFinished must name."""
        text = state.last_bot_text if keep_text else " ".join(s.text for s in says if s.text)
        new_state = replace(state, phase=phase, last_say_key=says[-1].key, last_bot_text=text)
        return new_state, list(says)

    @staticmethod
    def _natural_outcome(state: DialogState) -> Outcome:
        return "answered" if state.answered > 0 else "abandoned"

    def _fallback_department(self, state: DialogState) -> str:
        return state.last_department or self.kb.default_department

    def _department(self, dept_id: str) -> Department:
        """The department by id, else the default one; never raises on a thin knowledge base."""
        kb = self.kb
        found = kb.departments.get(dept_id) or kb.departments.get(kb.default_department)
        if found is not None:
            return found
        return Department(id=kb.default_department, name=kb.default_department, queue="")

    def _prompt(self, key: str, **values: str) -> str:
        """Prompt text; a missing prompt or bad placeholder degrades to text, never an error."""
        template = self.kb.prompts.get(key, "")
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template
