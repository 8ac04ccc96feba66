"""Optional sentence-embedding backend: a BERT-family encoder run in numpy from a local folder.

The matcher's semantic signal is lexical (BM25 coverage); a sentence-embedding model can add
paraphrase similarity when the operator has one. No Chinese model is installable here from a
package index, so the backend is off by default and loads a model folder the operator provides
(`IVR_EMBEDDING_MODEL`): `config.json` (BERT: hidden size, heads, layers), `model.safetensors`
and `tokenizer.json`, as sentence-transformers models ship them — e.g. a Chinese
`text2vec-base-chinese` or `paraphrase-multilingual-MiniLM-L12-v2` downloaded from Hugging Face.
The forward pass is plain numpy (a few small matrix products per layer), so no PyTorch is
needed; mean pooling and L2 normalisation follow the sentence-transformers convention.
Reads the model files once; no other I/O.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

MAX_TOKENS = 128  # phone utterances are short; letters are cut here


class EmbeddingUnavailable(RuntimeError):
    """The model folder cannot be used, with the reason and what to do."""


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a .safetensors file (format: u64 header length, JSON header, raw data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        kind = info["dtype"]
        if kind == "BF16":  # the high half of a float32
            half = np.frombuffer(raw[base + start : base + end], dtype=np.uint16)
            array = (half.astype(np.uint32) << 16).view(np.float32)
        elif kind in dtypes:
            array = np.frombuffer(raw[base + start : base + end], dtype=dtypes[kind])
        else:
            raise EmbeddingUnavailable(f"{path}: tensor {name} has unsupported dtype {kind}")
        tensors[name] = array.reshape(info["shape"]).astype(np.float32, copy=False)
    return tensors


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no vectorised erf.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return np.asarray(sign * (1.0 - poly * np.exp(-a * a)), dtype=np.float32)


def _gelu(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))), dtype=np.float32)


class SentenceEncoder:
    """`encode(texts)` → unit vectors, one row per text (mean-pooled BERT token states)."""

    def __init__(self, model_dir: str | Path) -> None:
        folder = Path(model_dir)
        try:
            from tokenizers import Tokenizer

            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            weights = read_safetensors(folder / "model.safetensors")
        except (OSError, ValueError, ImportError) as exc:
            raise EmbeddingUnavailable(
                f"cannot load a sentence-embedding model from {folder}: {exc}; it needs "
                f"config.json, model.safetensors and tokenizer.json (a sentence-transformers "
                f"BERT model folder), or unset IVR_EMBEDDING_MODEL") from exc
        if config.get("model_type") not in ("bert", None):
            raise EmbeddingUnavailable(f"{folder}: model_type {config.get('model_type')!r} "
                                       f"is not a BERT encoder")
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # one sentence at a time: padding would be pooled in
        # sentence-transformers checkpoints name tensors with or without a "bert." prefix.
        self.w = {k.removeprefix("bert."): v for k, v in weights.items()}
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        missing = [k for k in ("embeddings.word_embeddings.weight",
                               "encoder.layer.0.attention.self.query.weight") if k not in self.w]
        if missing:
            raise EmbeddingUnavailable(f"{folder}: not a BERT checkpoint (missing {missing})")
        self.dimension = int(self.w["embeddings.word_embeddings.weight"].shape[1])

    def unknown_share(self, texts: list[str]) -> float:
        """Share of the texts' tokens the model's vocabulary lacks ([UNK]): a model that does
        not read the knowledge base's language scores every sentence alike."""
        unknown = self.tokenizer.token_to_id("[UNK]")
        total = bad = 0
        for text in texts:
            ids = self.tokenizer.encode(text, add_special_tokens=False).ids
            total += len(ids)
            bad += sum(i == unknown for i in ids)
        return bad / total if total else 0.0

    def check_language(self, texts: list[str], limit: float = 0.2) -> None:
        """Raise when more than `limit` of the tokens are unknown to the model."""
        share = self.unknown_share(texts)
        if share > limit:
            raise EmbeddingUnavailable(
                f"the sentence-embedding model does not read the knowledge base's language "
                f"({share:.0%} of its tokens are unknown to it); use a model for that language "
                f"or unset IVR_EMBEDDING_MODEL")

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length sentence vectors (texts × dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._encode_one(text) for text in texts])

    def _encode_one(self, text: str) -> np.ndarray:
        ids = np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self.eps)
        for i in range(self.layers):
            x = self._layer(x, f"encoder.layer.{i}.")
        pooled = x.mean(axis=0)
        norm = float(np.linalg.norm(pooled))
        return pooled / norm if norm > 0 else pooled

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _layer(self, x: np.ndarray, p: str) -> np.ndarray:
        n, hidden = x.shape
        size = hidden // self.heads
        q, k, v = (self._dense(x, p + "attention.self." + m).reshape(n, self.heads, size)
                   .transpose(1, 0, 2) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, hidden)
        attn = self._dense(context, p + "attention.output.dense")
        x = _layer_norm(attn + x, self.w[p + "attention.output.LayerNorm.weight"],
                        self.w[p + "attention.output.LayerNorm.bias"], self.eps)
        inner = _gelu(self._dense(x, p + "intermediate.dense"))
        out = self._dense(inner, p + "output.dense")
        return _layer_norm(out + x, self.w[p + "output.LayerNorm.weight"],
                           self.w[p + "output.LayerNorm.bias"], self.eps)
