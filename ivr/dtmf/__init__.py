"""In-band DTMF: the keypad and its tones (`tones`), one window judged against the receiver
criteria (`analysis`), and the streaming receiver that reports presses (`receiver`).

A receiver must find every key a keypad sends and never fire on speech ("talk-off"): a `0`
heard in a caller's word would transfer them. `ivr bench dtmf` measures both.
"""

from ivr.dtmf.receiver import DtmfDetector, DtmfKey
from ivr.dtmf.tones import COL_HZ, KEY_TONES, KEYPAD, KEYS, ROW_HZ, generate_dtmf

__all__ = ["COL_HZ", "KEYPAD", "KEYS", "KEY_TONES", "ROW_HZ", "DtmfDetector", "DtmfKey",
           "generate_dtmf"]
