"""What the bot listens for after each prompt: phrase lists and endpointing per dialog state.

After a yes/no question only a few answers make sense, so an engine with runtime grammars
(Vosk small models) decodes against those phrases (plus [unk]); after an open question it
decodes freely. After one of the bot's questions an engine that reads context (Whisper's
prompt) is given the question's words as the text before the caller's answer: short answers
(没有了, 第二个, 满意) are the audio Whisper mishears most, and the question tells it what kind
of reply to expect (docs/benchmarks.md, "The question as context"). Prompts where callers
pause longer (reading out numbers) may get a longer end-of-utterance silence. Pure: the
session applies the profile to its recognition stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialog.intents import KnowledgeBase


@dataclass(frozen=True)
class ListenProfile:
    """How to recognise the caller's next utterance; None fields mean "the defaults"."""

    phrases: tuple[str, ...] | None = None
    end_silence_s: float | None = None
    context: str | None = None  # the question the caller is answering, as they heard it
    choices: tuple[str, ...] = ()  # the replies that question expects (engines that score them)


OPEN = ListenProfile()

# Prompt keys after which the caller is expected to answer yes or no.
YES_NO_PROMPTS = frozenset({"confirm"})
# The bot's questions whose words become the context of the answer. Not the confirmation
# (您是想咨询X吗: its answers were heard worse with it, and its words came back as
# transcripts of a 不是) nor the survey (请按1 came back as the rating): chosen per question
# on the blind answers' dev split (docs/benchmarks.md, "The question as context"). Not the
# department choice either, until it is measured: no blind set answers it yet, and its
# words end in 请说“人工”, which a misheard reply must not become.
QUESTION_PROMPTS = frozenset({"clarification", "anything_else"})


# The short replies each question expects, for an engine that scores them against the audio
# (Whisper: asr.whisper_choices); the likeliest is tried only when nothing else the caller was
# heard to say means anything to the bot. Written from the reply readers' words
# (dialog.answers, dialog.survey) and kept short: each costs about 10 ms a decode. Chosen on the
# blind answers' dev split (docs/benchmarks.md, "Expected replies"). Not the clarifying
# question or the department choice: their options change with every question.
REPLY_LANGUAGE = "zh"  # the language of these replies: a line configured for another has none
REPLY_CHOICES: dict[str, tuple[str, ...]] = {
    "confirm": ("是", "是的", "对", "对的", "没错", "好的", "不是", "不对", "不用", "错了", "没有"),
    "anything_else": ("没有", "没有了", "没了", "不用了", "就这些", "有", "还有", "不是"),
    "survey": ("满意", "非常满意", "很满意", "挺好的", "还行", "还可以", "一般", "不满意", "很差",
               "差评", "1", "2", "3"),
}


def yes_no_phrases(kb: KnowledgeBase) -> tuple[str, ...]:
    """The yes/no intents' examples and keywords: the grammar for a confirmation."""
    phrases: list[str] = []
    for intent_id in ("yes", "no", "human_agent"):
        intent = kb.intents.get(intent_id)
        if intent:
            phrases += [*intent.examples, *intent.keywords]
    return tuple(dict.fromkeys(p for p in phrases if p))


def profile_for(prompt_key: str, kb: KnowledgeBase, text: str = "",
                question_context: bool = True, reply_choices: bool = True) -> ListenProfile:
    """The listening profile that follows the prompt `prompt_key`, whose words were `text`;
    `question_context` False leaves recognition without context after questions too, and
    `reply_choices` False without the expected replies."""
    context = text.strip() or None if question_context and prompt_key in QUESTION_PROMPTS else None
    choices = REPLY_CHOICES.get(prompt_key, ()) if reply_choices else ()
    phrases = yes_no_phrases(kb) if prompt_key in YES_NO_PROMPTS else None
    return ListenProfile(phrases=phrases, context=context, choices=choices)
