"""What the bot listens for after each prompt: phrase lists and endpointing per dialog state.

After a yes/no question only a few answers make sense, so an engine with runtime grammars
(Vosk small models) decodes against those phrases (plus [unk]); after an open question it
decodes freely. Prompts where callers pause longer (reading out numbers) may get a longer
end-of-utterance silence. Pure: the session applies the profile to its recognition stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialog.intents import KnowledgeBase


@dataclass(frozen=True)
class ListenProfile:
    """How to recognise the caller's next utterance; None fields mean "the defaults"."""

    phrases: tuple[str, ...] | None = None
    end_silence_s: float | None = None


OPEN = ListenProfile()

# Prompt keys after which the caller is expected to answer yes or no.
YES_NO_PROMPTS = frozenset({"confirm"})


def yes_no_phrases(kb: KnowledgeBase) -> tuple[str, ...]:
    """The yes/no intents' examples and keywords: the grammar for a confirmation."""
    phrases: list[str] = []
    for intent_id in ("yes", "no", "human_agent"):
        intent = kb.intents.get(intent_id)
        if intent:
            phrases += [*intent.examples, *intent.keywords]
    return tuple(dict.fromkeys(p for p in phrases if p))


def profile_for(prompt_key: str, kb: KnowledgeBase) -> ListenProfile:
    """The listening profile that follows the prompt `prompt_key`."""
    if prompt_key in YES_NO_PROMPTS:
        return ListenProfile(phrases=yes_no_phrases(kb))
    return OPEN
