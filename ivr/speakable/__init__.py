"""Text made for speaking: what a voice should say for an answer, and in which clauses.

`speakable(text)` rewrites numbers, symbols and Latin terms into the words a caller should
hear; `clauses(text)` cuts the result into the pieces that are synthesized one by one, each
with its pause. `VERSION` is part of every prompt-cache key. Pure (no I/O but jieba's
dictionary, read once, for where to cut a long clause), no `ivr` imports beyond this package.
"""

from ivr.speakable.clauses import PAUSE_S, Clause, clauses, warm_up
from ivr.speakable.normalise import (
    DEFAULT_TERMS,
    LETTERS_READING,
    VERSION,
    parse_terms,
    speakable,
    spell,
)

__all__ = ["DEFAULT_TERMS", "LETTERS_READING", "PAUSE_S", "VERSION", "Clause", "clauses",
           "parse_terms", "speakable", "spell", "warm_up"]
