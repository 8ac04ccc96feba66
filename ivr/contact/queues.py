"""How each department's queue reaches a person (pure, from the configuration):
- `platform`: hand the call to the telephony platform's own queue (Twilio `<Enqueue>`, an L16
  `transfer` message) — what the bot did before it had a queue of its own;
- `desk`: the caller waits in the bot's queue; the agent who accepts talks through the desk's
  audio bridge;
- `dial`: the caller waits in the bot's queue; when an agent accepts, the platform connects
  the caller to the agent's phone or SIP address (Twilio `<Dial>`, L16 `transfer` + `target`).
"""

from __future__ import annotations

QUEUE_MODES = ("platform", "desk", "dial")


def parse_queue_modes(default: str, spec: str) -> dict[str, str]:
    """`IVR_QUEUE_MODES` (`hrss=dial,tax=platform`) → {department: mode}; the default for
    every department not named is `default`. ValueError names the bad entry."""
    if default not in QUEUE_MODES:
        raise ValueError(f"IVR_QUEUE_MODE={default!r}: expected one of {', '.join(QUEUE_MODES)}")
    out: dict[str, str] = {}
    for entry in filter(None, (p.strip() for p in spec.split(","))):
        department, sep, mode = (x.strip() for x in entry.partition("="))
        if not sep or not department or mode not in QUEUE_MODES:
            raise ValueError(f"IVR_QUEUE_MODES entry {entry!r}: expected department=mode with "
                             f"mode one of {', '.join(QUEUE_MODES)}")
        out[department] = mode
    return out


def mode_for(department: str, default: str, modes: dict[str, str]) -> str:
    return modes.get(department, default)
