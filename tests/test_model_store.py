"""Trained classifiers on disk (dialog.model_store): the same training data loads the stored
model instead of training; anything else trains afresh; a broken or unwritable store never
stops a knowledge base from loading."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from dialog import classifier
from dialog.intents import KnowledgeBase, load_knowledge_base
from dialog.matcher import Matcher
from dialog.model_store import KEEP, default_store, model_key, save_model
from dialog.phonetic import Utterance, analyse

REPO = Path(__file__).resolve().parents[1]
ROWS = [(0, "社保卡丢了怎么补办"), (0, "社保卡挂失"), (1, "公积金怎么提取"), (1, "提取公积金"),
        (2, "今天天气怎么样"), (2, "给我讲个笑话")]


def _examples(rows: list[tuple[int, str]] = ROWS) -> list[tuple[int, Utterance]]:
    return [(c, analyse(t)) for c, t in rows]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    classifier.clear_cache()


def _no_training(*_args: object) -> None:
    raise AssertionError("trained although the model was stored")


def test_the_same_data_loads_the_stored_model(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    trained = classifier.train(_examples(), 3, store=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    classifier.clear_cache()
    monkeypatch.setattr(classifier, "_fit", _no_training)
    loaded = classifier.train(_examples(), 3, store=tmp_path)
    assert loaded.vocabulary == trained.vocabulary
    utt = analyse("社保卡不见了")
    assert np.array_equal(loaded.probabilities(utt), trained.probabilities(utt))


def test_other_data_trains_afresh(tmp_path: Path) -> None:
    classifier.train(_examples(), 3, store=tmp_path)
    classifier.train(_examples([*ROWS, (1, "公积金贷款")]), 3, store=tmp_path)
    classifier.train(_examples(), 3, l2=0.5, store=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 3
    rows = [["a", "b"], ["c"]]
    assert model_key(rows, [0, 1], 2, 1.0) != model_key(rows, [1, 0], 2, 1.0)


def test_a_broken_file_is_trained_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    classifier.train(_examples(), 3, store=tmp_path)
    (stored,) = tmp_path.glob("*.npz")
    stored.write_bytes(b"not a model")
    classifier.clear_cache()
    with caplog.at_level(logging.WARNING):
        model = classifier.train(_examples(), 3, store=tmp_path)
    assert model.probabilities(analyse("公积金提取")).argmax() == 1
    assert "training again" in caplog.text
    classifier.clear_cache()
    classifier.train(_examples(), 3, store=tmp_path)  # stored anew


def test_only_the_newest_models_are_kept(tmp_path: Path) -> None:
    weights, bias = np.zeros((1, 2), dtype=np.float32), np.zeros(2, dtype=np.float32)
    for i in range(KEEP + 3):
        save_model(tmp_path, f"{i:064x}", {"a": 0}, weights, bias)
        os.utime(tmp_path / f"{i:064x}.npz", (i, i))  # older first
    kept = sorted(p.stem for p in tmp_path.glob("*.npz"))
    assert kept == [f"{i:064x}" for i in range(3, KEEP + 3)]


def test_an_unwritable_store_still_gives_a_model(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING):
        model = classifier.train(_examples(), 3, store=blocked / "models")
    assert model.probabilities(analyse("社保卡挂失")).argmax() == 0
    assert "cannot store" in caplog.text


def _trimmed_kb(tmp_path: Path) -> KnowledgeBase:
    """The shipped knowledge base with 5 examples per intent and department (training on all
    of them twice took most of a minute)."""
    data = yaml.safe_load((REPO / "intents.yaml").read_text(encoding="utf-8"))
    for entry in data["departments"] + data["intents"]:
        entry["examples"] = entry.get("examples", [])[:5]
    path = tmp_path / "intents.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_knowledge_base(path)


def test_a_matcher_with_a_store_decides_as_one_without(tmp_path: Path) -> None:
    kb = _trimmed_kb(tmp_path)
    tmp_path = tmp_path / "store"
    plain = Matcher(kb)
    Matcher(kb, model_store=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2  # the intent and the department classifier
    classifier.clear_cache()
    stored = Matcher(kb, model_store=tmp_path)
    for text in ("社保卡丢了怎么补办", "楼下烧烤店的油烟太大了", "今天天气怎么样"):
        assert stored.match(text) == plain.match(text)


def test_the_tools_store_models_where_the_server_does(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path))
    assert default_store() == tmp_path / "classifiers"
    monkeypatch.delenv("IVR_CACHE_DIR")
    assert default_store() == Path.home() / ".cache" / "hotline-ivr" / "classifiers"
