"""Value types of the dialog policy: phases, the state of one call, events in and actions out.

Kept apart from the state machine in dialog.policy (which re-exports every name here) so each
module stays small. Frozen dataclasses; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dialog.types import MatchResult

Phase = Literal["start", "speaking", "listening", "transferring", "ending", "ended"]
Outcome = Literal["answered", "transferred", "abandoned", "no-input", "error"]

NO_INPUT_TIMER = "no_input"
HUMAN_KEYWORD = "转人工"
DTMF_AGENT_KEY = "0"
# Phases in which the caller is in a conversation with the bot (barge-in counts as listening).
LIVE_PHASES: frozenset[str] = frozenset({"speaking", "listening"})


@dataclass(frozen=True)
class PolicyConfig:
    """Timeouts and patience. Two re-prompts on silence, two misunderstandings, then act.

    `reask_confidence`: a transcript the recognizer was less sure of than this (its
    `asr_confidence` signal) that matches nothing was probably misheard, not a question the
    knowledge base lacks; the caller is asked to say it again, shorter, up to `max_reasks`
    times per question, and that does not count as a misunderstanding, so it comes before
    any transfer. 0 turns it off. 0.6 from the blind dev split through the phone band
    (`ivr bench blind-audio`, Whisper base; its confidence is exp(mean log-probability)):
    it re-asks 18 of the 73 in-scope lines heard as no-match (25 %) and 3 of the 23
    out-of-scope ones (13 %); 0.5 re-asked 3 of 73, 0.7 re-asked 50 of 73 but 9 of 23.

    `choice_options`: at most this many departments are named when a problem the matcher
    declined is asked about (dialog.department_choice; 0 turns the question off).

    `survey`: a caller who had an answer and says they are done is asked to rate the service
    (the `survey` prompt) before the goodbye; a key 1-3 or the words (dialog.survey) are
    recorded (`RecordRating`), silence or anything else ends the call without a rating.
    """

    no_input_s: float = 8.0
    max_no_input: int = 2
    max_failures: int = 2
    reask_confidence: float = 0.6
    max_reasks: int = 1
    choice_options: int = 3
    survey: bool = False


@dataclass(frozen=True)
class DialogState:
    """Everything the policy remembers about one call; replaced, never mutated."""

    phase: Phase = "start"
    failures: int = 0
    no_inputs: int = 0
    answered: int = 0
    last_bot_text: str = ""
    last_department: str | None = None
    outcome: Outcome | None = None
    # Key of the last Say issued: only its PromptFinished moves the dialog on.
    last_say_key: str | None = None
    # Where the transfer announced by the "transfer" prompt goes once the prompt has played.
    transfer_department: str | None = None
    transfer_reason: str = ""
    hangup_reason: str = ""
    began_at: float | None = None
    # Intents named in the clarifying question still waiting for the caller's choice.
    clarify: tuple[str, ...] = ()
    # "Say it again, shorter" asked since the last answer (PolicyConfig.max_reasks).
    reasks: int = 0
    # Departments named in the department-choice question, waiting for the caller's answer.
    choice: tuple[str, ...] = ()
    # The survey question was asked (once per call).
    surveyed: bool = False


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallBegan:
    """The call is connected and the bot may speak."""


@dataclass(frozen=True)
class PromptFinished:
    """The caller has heard the whole prompt issued by `Say(key=...)`."""

    key: str


@dataclass(frozen=True)
class CallerStartedSpeaking:
    """Voice activity from the caller (before any transcript)."""


@dataclass(frozen=True)
class CallerSpoke:
    """A final transcript of one caller utterance, already matched against the knowledge base;
    `reply` is its yes/no when it answers the question the bot just asked and is not a new
    request (dialog.answers.understand decides)."""

    match: MatchResult
    reply: Literal["yes", "no"] | None = None


@dataclass(frozen=True)
class KeyPressed:
    """A DTMF digit."""

    digit: str


@dataclass(frozen=True)
class TimerFired:
    """A timer started with `StartTimer(name, ...)` ran out."""

    name: str


@dataclass(frozen=True)
class CallerHungUp:
    """The caller (or the platform) ended the call."""


@dataclass(frozen=True)
class RecognitionError:
    """Speech recognition failed for this call."""

    message: str


Event = (
    CallBegan
    | PromptFinished
    | CallerStartedSpeaking
    | CallerSpoke
    | KeyPressed
    | TimerFired
    | CallerHungUp
    | RecognitionError
)

# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """Speak `text`; `key` is the prompt id, or "answer:<intent>" for an FAQ answer."""

    key: str
    text: str
    intent: str | None = None


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class Transfer:
    """Hand the caller to a department's human queue."""

    department: str
    queue: str
    reason: str


@dataclass(frozen=True)
class HangUp:
    """The bot ends the call (its goodbye has been heard).

    Ending a call has one name throughout: the caller hangs up (`CallerHungUp`) or the bot
    does (`HangUp`); `RecordOutcome` only settles the call record."""

    reason: str


@dataclass(frozen=True)
class RecordOutcome:
    """The call record's final outcome; emitted exactly once per call."""

    outcome: Outcome


@dataclass(frozen=True)
class RecordRating:
    """The caller's rating of the service: "1" satisfied, "2" so-so, "3" not satisfied;
    `how` is "key" or "voice"."""

    rating: str
    how: str


Action = Say | StartTimer | CancelTimer | Transfer | HangUp | RecordOutcome | RecordRating
Step = tuple[DialogState, list[Action]]
