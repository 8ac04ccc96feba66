"""The user's own voice: a sherpa-onnx VITS voice folder, run with onnxruntime.

sherpa-onnx publishes Mandarin VITS voices (e.g. vits-zh-hf-fanchen-C, vits-icefall-zh-aishell3,
vits-melo-tts-zh_en) as folders holding `model.onnx`, `tokens.txt` (`token id` per line) and,
for Chinese, `lexicon.txt` (`word token token ...` per line). This loader reads that layout
with onnxruntime (already installed for the recognizer's VAD), so no sherpa-onnx package is
needed: words are looked up longest first in the lexicon (characters it lacks are skipped),
tokens become ids, `add_blank` from the model's metadata interleaves blanks, and the model's
inputs (`x`, `x_length`, `noise_scale`, `length_scale`, `noise_scale_w`, optional `sid`)
are filled. Noise scales come from the metadata or sherpa-onnx's defaults (VITS samples
noise inside the model, so two renderings may differ slightly; prompts are rendered once and
cached, so callers hear one version). A missing or wrong folder raises VoiceUnavailable
naming what is missing and how to fix it. Reads model files; no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ivr.voices.base import VoiceUnavailable

ENV_HINT = "set IVR_TTS_MODEL (or --tts-model) to the voice folder"
GET_HINT = ("download a sherpa-onnx VITS voice (for example vits-zh-hf-fanchen-C from the "
            "sherpa-onnx tts-models release), unpack it, and " + ENV_HINT)
NOISE_SCALE = 0.667
NOISE_SCALE_W = 0.8


def check_folder(folder: Path | str | None) -> Path:
    """The voice folder, if it looks usable; else VoiceUnavailable saying what to fix."""
    if folder is None or not str(folder):
        raise VoiceUnavailable(f"local voice: no voice folder configured; {GET_HINT}")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise VoiceUnavailable(f"local voice: {path} is not a folder; {GET_HINT}")
    if not (path / "model.onnx").is_file() and list(path.glob("*.onnx.json")):
        raise VoiceUnavailable(
            f"local voice: {path} looks like a Piper voice (*.onnx + *.onnx.json), which is "
            f"not supported; use a sherpa-onnx VITS voice folder instead ({GET_HINT})")
    missing = [n for n in ("model.onnx", "tokens.txt") if not (path / n).is_file()]
    if missing:
        found = sorted(p.name for p in path.iterdir())[:8]
        raise VoiceUnavailable(
            f"local voice: {path} lacks {', '.join(missing)} (it has {found or 'nothing'}); "
            f"a sherpa-onnx VITS voice folder holds model.onnx, tokens.txt and lexicon.txt")
    return path


def read_tokens(path: Path) -> dict[str, int]:
    """`tokens.txt`: one `token id` per line (a space token is written as a lone id)."""
    tokens: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.rsplit(maxsplit=1)
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            tokens[parts[0]] = int(parts[1])
        elif len(parts) == 1 and parts[0].isdigit():
            tokens[" "] = int(parts[0])
    return tokens


def read_lexicon(path: Path) -> dict[str, list[str]]:
    """`lexicon.txt`: `word token token ...` per line; the first entry of a word wins."""
    lexicon: dict[str, list[str]] = {}
    if not path.is_file():
        return lexicon
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            lexicon.setdefault(parts[0], parts[1:])
    return lexicon


class VitsVoice:
    """A sherpa-onnx-layout VITS voice, loaded once into an onnxruntime session."""

    name = "local"

    def __init__(self, folder: Path | str | None, speed: float = 1.0, speaker: int = 0,
                 threads: int = 1) -> None:
        path = check_folder(folder)
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise VoiceUnavailable(f"local voice: onnxruntime is missing ({exc}); "
                                   "pip install onnxruntime") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(path / "model.onnx"), options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own error types
            raise VoiceUnavailable(f"local voice: {path / 'model.onnx'} is not a model "
                                   f"onnxruntime can load ({exc})") from exc
        meta: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self.tokens = read_tokens(path / "tokens.txt")
        self.lexicon = read_lexicon(path / "lexicon.txt")
        self._longest = max((len(w) for w in self.lexicon), default=1)
        self.sample_rate = int(meta.get("sample_rate", "22050"))
        self.add_blank = meta.get("add_blank", "1") not in ("0", "false")
        self.noise_scale = float(meta.get("noise_scale", NOISE_SCALE))
        self.noise_scale_w = float(meta.get("noise_scale_w", NOISE_SCALE_W))
        self.length_scale = float(meta.get("length_scale", "1.0")) / speed
        self.speaker = speaker
        self._inputs = {i.name for i in self._session.get_inputs()}
        if "x" not in self._inputs:
            raise VoiceUnavailable(f"local voice: {path / 'model.onnx'} has inputs "
                                   f"{sorted(self._inputs)}, not a VITS model's x, x_length")
        self.identity = (f"vits/{path.resolve()}/{(path / 'model.onnx').stat().st_size}/"
                         f"speed={speed:g}/sid={speaker}")

    def token_ids(self, text: str) -> list[int]:
        """Longest lexicon words first, then single characters; unknown ones skipped."""
        ids: list[int] = []
        i = 0
        while i < len(text):
            for size in range(min(self._longest, len(text) - i), 0, -1):
                word = text[i:i + size]
                entry = self.lexicon.get(word) or ([word] if size == 1 else None)
                if entry is not None:
                    ids += [self.tokens[t] for t in entry if t in self.tokens]
                    i += size
                    break
            else:
                i += 1
        if self.add_blank and ids:
            blank = self.tokens.get("_", 0)
            spaced = [blank]
            for t in ids:
                spaced += [t, blank]
            ids = spaced
        return ids

    def render(self, text: str) -> np.ndarray:
        ids = self.token_ids(text)
        if not ids:
            return np.zeros(0, dtype=np.float32)
        feeds: dict[str, Any] = {
            "x": np.array([ids], dtype=np.int64),
            "x_length": np.array([len(ids)], dtype=np.int64),
            "noise_scale": np.array([self.noise_scale], dtype=np.float32),
            "length_scale": np.array([self.length_scale], dtype=np.float32),
            "noise_scale_w": np.array([self.noise_scale_w], dtype=np.float32),
            "sid": np.array([self.speaker], dtype=np.int64),
        }
        out = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return np.asarray(out[0], dtype=np.float32).reshape(-1)
