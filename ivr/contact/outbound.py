"""Calling a citizen back through the platform (Twilio REST): whether it can be done, to which
number, and what is kept of each attempt. Pure; `ivr/twilio_rest.py` places the call.

The call is placed agent first: Twilio rings the agent's own phone (`dial_target`, a number
or SIP address), says "正在回拨来电者", then dials the citizen showing the hotline's number.
A citizen never picks up to silence while an agent is found, and an agent hears the ringing
and knows at once whether anyone answered (then records done / no-answer at the desk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SETTINGS = {"account_sid": "IVR_TWILIO_ACCOUNT_SID", "auth_token": "IVR_TWILIO_AUTH_TOKEN",
            "from_number": "IVR_TWILIO_FROM_NUMBER"}
BY_HAND = "请手动拨打并记录回电结果（dial the number by hand and record the outcome）"
# a second call back this soon after one Twilio placed is refused: a double click (or two
# tabs) must not ring the agent's phone twice while the first call is still being set up
REDIAL_AFTER_S = 30.0


@dataclass(frozen=True)
class OutboundSettings:
    account_sid: str
    auth_token: str
    from_number: str

    def missing(self) -> list[str]:
        """The settings outbound calling still needs, by their environment names."""
        return [env for name, env in SETTINGS.items() if not getattr(self, name).strip()]


def refusal(settings: OutboundSettings, dial_target: str | None) -> str | None:
    """Why this agent's call back cannot be placed through the platform, or None."""
    missing = settings.missing()
    if missing:
        return f"外呼未配置（{', '.join(missing)} not set）：{BY_HAND}"
    if not (dial_target or "").strip():
        return ("坐席未设置接听号码（no dial_target: set one with `ivr agents add --dial` or "
                f"PATCH /api/agents）：{BY_HAND}")
    return None


def e164(number: str) -> str:
    """A callback number as Twilio dials it: callbacks keep the digits a Chinese caller knows
    (139…, 010…), so +86 goes in front and a trunk 0 goes away; a +… number stays as it is."""
    text = number.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return "+86" + digits.removeprefix("0")


def attempt(at: float, agent_id: str, to: str, agent_target: str, *,
            sid: str | None = None, status: str | None = None,
            error: str | None = None, code: int | None = None) -> dict[str, Any]:
    """One call-back attempt as kept on the callback (`dials`), placed or refused."""
    entry: dict[str, Any] = {"at": at, "agent_id": agent_id, "to": to,
                             "agent_target": agent_target}
    if sid is not None:
        entry.update(sid=sid, status=status)
    if error is not None:
        entry.update(error=error, code=code)
    return entry


def too_soon(dials: list[dict[str, Any]], now: float,
             after_s: float = REDIAL_AFTER_S) -> str | None:
    """Why another call back may not be placed yet (one was placed under `after_s` ago)."""
    placed = [d for d in dials if d.get("sid")]
    if placed and now - float(placed[-1]["at"]) < after_s:
        waited = now - float(placed[-1]["at"])
        return (f"回拨已发起（{placed[-1]['sid']}，{waited:.0f} 秒前）：请接听您的话机，或 "
                f"{after_s:.0f} 秒后再试（a call back was placed {waited:.0f} s ago）")
    return None
