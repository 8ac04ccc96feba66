"""Keys heard in a call's audio, weighed against the caller's words: which to act on, which
utterance was only a tone.

The receiver (`ivr.dtmf`) reports each press with whether it was clean (the tone alone). A
clean press is a key; a "tone" inside continuous speech is speech, so it is recorded and
ignored: a digit that changes the call (0 → a person) needs a clean tone. The recognizer
hears a tone as a short utterance too; that utterance is dropped only when it *is* the tone
(its speech lies within the press), never when the caller also spoke: the caller's words are
kept. Platforms that report keys as events (Twilio) need none of this; the session switches
it off there unless configured (`IVR_INBAND_DTMF`). Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.dtmf import DtmfDetector, DtmfKey

TONE_SLACK_S = 0.25  # an utterance this close around a press is the press itself


@dataclass(frozen=True)
class KeyHeard:
    """A clean press: act on it."""

    digit: str


@dataclass(frozen=True)
class KeyIgnored:
    """A tone the receiver found that was not clean: record it, do not act on it."""

    digit: str
    reason: str


class InbandKeys:
    """One call's in-band keys: feed caller audio, get keys; ask whether an utterance was a
    key's tone."""

    def __init__(self, sample_rate: int) -> None:
        self._detector = DtmfDetector(sample_rate)
        self._presses: list[DtmfKey] = []

    def feed(self, samples: np.ndarray) -> list[KeyHeard | KeyIgnored]:
        out: list[KeyHeard | KeyIgnored] = []
        for press in self._detector.feed(samples):
            if press.clean:
                self._presses.append(press)
                out.append(KeyHeard(press.key))
            else:
                out.append(KeyIgnored(press.key, f"sound around the tone at "
                                                 f"{press.start_s:.2f}-{press.end_s:.2f} s"))
        return out

    def is_tone(self, start_s: float | None, end_s: float) -> bool:
        """Whether an utterance whose speech ran `start_s`..`end_s` was a clean key's tone
        and nothing else."""
        if start_s is None:
            return False
        return any(p.start_s - TONE_SLACK_S <= start_s and end_s <= p.end_s + TONE_SLACK_S
                   for p in self._presses)
