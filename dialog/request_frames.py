"""Request frames: the words that say what kind of request a problem is, not what it is about.

A caller (or a message title) wraps a problem in a frame — 投诉…, 关于…的建议, 反映…问题,
咨询…, 希望…, 请求… — and the frame words are also what some general FAQ intents are made of:
建议 is the suggestion box's keyword, 投诉 the consumer-complaint line's, 反映的问题 the ticket
status's. "建议A市公交管理部门完善公交相关事项" then scored as the suggestion FAQ of the general
desk, although the caller said what it is about: buses, the transport bureau's duty. The
matcher therefore reads an utterance a second time without its frame words when the first
reading was an FAQ, a clarifying question or no match (`Matcher.decide`), and takes the second
reading when it clearly names another department (docs/knowledge-base.md). Chosen on the DEV
citizen-message titles (docs/benchmarks.md, "Routing what callers say"). Pure; no I/O.
"""

from __future__ import annotations

import re

from dialog.phonetic import Utterance

__all__ = ["REQUEST_FRAMES", "has_request_frame", "strip_request_frames"]

# The verbs and nouns of asking, complaining and proposing (the long-text router's request
# markers, dialog.router_long, and their companions 关于 / 意见 / 强烈). None names a duty.
REQUEST_FRAMES: tuple[str, ...] = (
    "关于", "建议", "意见", "请求", "恳请", "希望", "要求", "投诉", "举报", "反映", "咨询",
    "请问", "诉求", "呼吁", "强烈",
)
_PATTERN = re.compile("|".join(REQUEST_FRAMES))
# Fewer characters than this left without the frames: the frame was the whole request
# (我要投诉, 提个建议) and the first reading stands.
_MIN_LEFT = 2


def has_request_frame(text: str) -> bool:
    """Does the utterance wrap its words in a request frame (反映…, 请求…, 关于…的咨询)?"""
    return _PATTERN.search(text) is not None


def strip_request_frames(utt: Utterance) -> Utterance:
    """The utterance without its request frame words, pinyin cut at the same places (no
    second pinyin analysis); `utt` itself when none is there or when fewer than two
    characters would be left."""
    keep = [True] * len(utt.text)
    for found in _PATTERN.finditer(utt.text):
        keep[found.start() : found.end()] = [False] * (found.end() - found.start())
    if sum(keep) < _MIN_LEFT:
        return utt
    return utt.keeping(keep)
