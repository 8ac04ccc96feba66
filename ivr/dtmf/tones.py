"""The DTMF keypad: which two tones each key sends, and a generator of key presses.

A key is one tone of the low (row) group and one of the high (column) group, sounded
together. The generator makes test and prompt audio; the receiver (`ivr.dtmf.receiver`)
finds keys in call audio. Pure numpy, no I/O.
"""

from __future__ import annotations

import numpy as np

ROW_HZ = (697.0, 770.0, 852.0, 941.0)
COL_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")
KEYS = "".join(KEYPAD)
KEY_TONES = {
    key: (ROW_HZ[r], COL_HZ[c]) for r, row in enumerate(KEYPAD) for c, key in enumerate(row)
}
_RAMP_S = 0.002  # raised-cosine edges keep generated tones free of clicks


def generate_dtmf(
    digits: str,
    sample_rate: int = 8000,
    tone_s: float = 0.1,
    gap_s: float = 0.1,
    amplitude: float = 0.3,
) -> np.ndarray:
    """Synthesize `digits` as DTMF: each key is `tone_s` of tone then `gap_s` of silence.

    `amplitude` is each tone's peak as a fraction of full scale (at most 0.5 so the pair
    never clips).
    """
    if not 0 < amplitude <= 0.5:
        raise ValueError(f"amplitude must be in (0, 0.5], got {amplitude}")
    if sample_rate < 2 * COL_HZ[-1] + 1:
        raise ValueError(f"sample rate {sample_rate} Hz cannot carry DTMF tones")
    n_tone, n_gap = round(tone_s * sample_rate), round(gap_s * sample_rate)
    t = np.arange(n_tone) / sample_rate
    envelope = np.ones(n_tone)
    n_ramp = min(round(_RAMP_S * sample_rate), n_tone // 2)
    if n_ramp:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_ramp) + 0.5) / n_ramp)
        envelope[:n_ramp], envelope[n_tone - n_ramp :] = ramp, ramp[::-1]
    parts = []
    for key in digits.upper():
        if key not in KEY_TONES:
            raise ValueError(f"not a DTMF key: {key!r}")
        low, high = KEY_TONES[key]
        tone = np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t)
        parts.extend([amplitude * 32767 * envelope * tone, np.zeros(n_gap)])
    if not parts:
        return np.zeros(0, dtype=np.int16)
    samples: np.ndarray = np.rint(np.concatenate(parts)).astype(np.int16)
    return samples
