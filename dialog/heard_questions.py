"""Question words as the recognizer writes them: 咋 heard as 杂 or 砸, 哪 as 那, 啥 as 神, a
closing 没 as 美.

The asides (dialog.asides) know a question by its shape, and the shape is carried by a few
short words the phone band blurs: 我该咋说 comes back 我该砸说, 找哪家公司靠谱 as 找那家公司靠谱,
有啥技巧没 as 有神技巧美, 外卖软件上咋改收货地址 as 外卖软件上杂改收扩地址 (blind23 through the
band). This module writes them back where the neighbour leaves no other reading: 杂/砸 only
before a verb of doing or saying (not 杂物, 砸门, 砸车窗), 那 only before a measure word that a
question about a choice takes (那家, 那个, 那位) and after a verb of choosing (找, 选, 买, 挂) or a
hospital's department (骨科那个医生; not 办那个门诊特殊病, 申请那个公租房, 举报那个店), 神 only
before 技巧 or 价, 美 only at the end. A closing 不 heard as 步 or 部 is left: it is the commonest
of them (60 dev transcripts), but 部 closes many words (干部, 内部) and writing it back won no
dev line. The asides read the restored text only when the words as heard made no aside, so
what a caller said plainly is read as before. Pure; no I/O.
"""

from __future__ import annotations

import re

from dialog.rewrites import Rewrite, rewrite

__all__ = ["restore_question_words"]

_RULES: tuple[Rewrite, ...] = (
    (re.compile(r"[杂砸](?=说|办|整|弄|改|做|寄|取|补|算|走|回|样|么|搞|查|填|写|去)"), "咋"),
    (re.compile(r"(?<=找|选|买|挂|科)那(?=家|个|位)"), "哪"),
    (re.compile(r"神(?=技巧|价)"), "啥"),
    (re.compile(r"(?<=[\u4e00-\u9fff])[美每]$"), "没"),
)


def restore_question_words(text: str) -> str:
    """The (normalised) text with the question words the recognizer blurred written back."""
    return rewrite(text, _RULES)
