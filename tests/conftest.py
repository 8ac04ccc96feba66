"""Shared fixtures: paths to recorded audio, and a real `ivr serve` on a free localhost port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialog.intents import KnowledgeBase, load_knowledge_base
from dialog.matcher import Matcher
from dialog.model_store import default_store
from dialog.tools.department_training import RoutedExample, read_examples
from tests.services import (  # noqa: F401 - fixtures
    postgres_database,
    postgres_url,
    redis_prefix,
    redis_url,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "audio_fixtures"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge base (modules that need another define their own `kb`)."""
    return load_knowledge_base(REPO / "intents.yaml")


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    """The shipped matcher; its classifiers stored where the test servers keep theirs
    (dialog.model_store), so the two test workers and the servers train each model once."""
    return Matcher(kb, model_store=default_store())


@pytest.fixture(scope="session")
def routed_examples(kb: KnowledgeBase) -> list[RoutedExample]:
    """The routed messages of tests/data/routed_sample.tsv: a made-up city that splits some
    duties against the knowledge base's grain (restaurant fumes to urban management)."""
    return read_examples(REPO / "tests" / "data" / "routed_sample.tsv", kb)[0]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# The admin key of the test servers: call records are private (ivr.web.auth).
TEST_ADMIN_KEY = "test-admin-key-not-secret"
ADMIN_HEADERS = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}
os.environ.setdefault("IVR_API_KEY", TEST_ADMIN_KEY)  # what `ivr replay` reads records with


@dataclass
class RunningServer:
    http: str
    ws: str
    db_path: Path
    log_path: Path
    kb_path: Path
    router_model_path: Path

    def get(self, path: str) -> dict:
        req = urllib.request.Request(self.http + path, headers=ADMIN_HEADERS)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]

    def post(self, path: str, data: bytes = b"", json_body: object = None) -> tuple[int, dict]:
        headers = dict(ADMIN_HEADERS)
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.http + path, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def call_record(self, call_sid: str, timeout_s: float = 10.0) -> dict:
        """The record once the call has ended (the server settles it right after hang-up)."""
        deadline = time.monotonic() + timeout_s
        record: dict = {}
        while time.monotonic() < deadline:
            try:
                record = self.get(f"/api/calls/{call_sid}")
            except OSError:
                record = {}
            if record.get("ended_at"):
                return record
            time.sleep(0.2)
        return record

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_server(tmp: Path, *, extra_args: tuple[str, ...] = (),
                  extra_env: dict[str, str] | None = None,
                  port: int | None = None) -> tuple[subprocess.Popen[bytes], RunningServer]:
    """Start `ivr serve` with its SQLite file, log and knowledge base copy in `tmp` (reused
    when they are there: a second launch on the same `tmp` is a restart) and wait for it."""
    port = port or _free_port()
    db = tmp / "calls.sqlite3"
    log_path = tmp / "server.log"
    kb_path = tmp / "intents.yaml"  # a copy, so tests may edit and reload it
    if not kb_path.exists():
        shutil.copy(REPO / "intents.yaml", kb_path)
    router_model = tmp / "router_model.json"  # none at first; tests may train one
    env = dict(os.environ, IVR_NO_INPUT_S="8", PYTHONUNBUFFERED="1",
               IVR_ROUTER_MODEL_PATH=str(router_model),
               IVR_API_KEYS=f"admin:{TEST_ADMIN_KEY}", **(extra_env or {}))
    cmd = [sys.executable, "-m", "ivr.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--db", str(db), "--kb", str(kb_path), *extra_args]
    with log_path.open("a") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    srv = RunningServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", db, log_path,
                        kb_path, router_model)
    deadline = time.monotonic() + 300  # first start assembles the model and renders prompts
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{srv.log()}")
        try:
            if srv.get("/healthz").get("status") == "ok":
                return proc, srv
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start:\n{srv.log()}")
        time.sleep(0.5)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server process with the real recognizer, TTS and SQLite, on 127.0.0.1."""
    proc, srv = launch_server(tmp_path_factory.mktemp("server"))
    yield srv
    stop_server(proc)
