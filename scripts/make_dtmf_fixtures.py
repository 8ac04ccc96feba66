"""Write the generated DTMF fixtures: audio_fixtures/dtmf/<name>.wav (8 kHz) + <name>.txt.

Each sidecar holds the key string the wav carries. Does file I/O; deterministic, so re-running
it reproduces the committed files byte for byte. Usage: python scripts/make_dtmf_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

from ivr.dtmf import generate_dtmf
from pcm.files import write_wav

OUT_DIR = Path(__file__).resolve().parent.parent / "audio_fixtures" / "dtmf"
RATE = 8000

# name -> (keys, tone seconds, gap seconds, per-tone amplitude)
FIXTURES: dict[str, tuple[str, float, float, float]] = {
    "key0": ("0", 0.1, 0.1, 0.3),
    "key1": ("1", 0.1, 0.1, 0.3),
    "key_star": ("*", 0.1, 0.1, 0.3),
    "key_hash": ("#", 0.1, 0.1, 0.3),
    "keys_123": ("123", 0.1, 0.1, 0.3),
    "keys_1122": ("1122", 0.1, 0.1, 0.3),  # repeated keys must count twice
    "keys_fast_159": ("159", 0.06, 0.06, 0.3),  # short presses, near the 40 ms minimum
    "keys_quiet_0": ("0", 0.1, 0.1, 0.05),  # about -26 dBFS per tone
    "all_keys": ("0123456789*#ABCD", 0.1, 0.1, 0.3),
}


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, (keys, tone_s, gap_s, amplitude) in FIXTURES.items():
        samples = generate_dtmf(keys, RATE, tone_s=tone_s, gap_s=gap_s, amplitude=amplitude)
        write_wav(OUT_DIR / f"{name}.wav", samples, RATE)
        (OUT_DIR / f"{name}.txt").write_text(keys + "\n", encoding="utf-8")
        print(f"{name}.wav  {keys}")


if __name__ == "__main__":
    main()
