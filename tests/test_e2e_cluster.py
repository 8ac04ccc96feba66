"""Two workers, one PostgreSQL, one Redis (issue 12 item 6), end to end: two real `ivr serve`
processes (Whisper, the voice chain) on one PostgreSQL database and one Redis, as a balancer
would spread them. A Twilio-format caller on worker A asks for a person; the agent's desk is
signed in on worker B. The offer crosses to B with what the caller said; the agent accepts on
B, is told to open the audio socket on A (media stays on the caller's worker), and each side
hears the other; the agent hangs up on B and the record (one database) says who answered.
Both workers' API shows the same queue and agents. Needs PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from ivr.replay import ReplayClient
from tests.audio_compare import clip_8k, similarity
from tests.conftest import FIXTURES, RunningServer, launch_server, stop_server
from tests.services import own_database, own_prefix
from tests.test_desk_browser import (
    AGENT_MIC,
    Shots,
    _browser,
    _desk,
    accept_and_talk,
    chromium,  # noqa: F401 - a fixture
)
from tests.test_e2e_contact import CALLER_ID, AgentClient, _new_agent, _request

pytestmark = pytest.mark.e2e
HOTLINE = FIXTURES / "hotline"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Workers A and B on a database and a Redis key prefix of their own, for this module."""
    with own_database() as url, own_prefix() as (redis_url, prefix):
        procs, servers = [], []
        try:
            for name in ("A", "B"):
                tmp = tmp_path_factory.mktemp(f"worker-{name}")
                proc, server = launch_server(tmp, extra_env={
                    "IVR_DATABASE_URL": url, "IVR_REDIS_URL": redis_url,
                    "IVR_REDIS_PREFIX": prefix, "IVR_WORKER_ID": name,
                    "IVR_QUEUE_MODE": "desk", "IVR_HOLD_ANNOUNCE_S": "8",
                    "IVR_OFFER_TIMEOUT_S": "60"})
                procs.append(proc)
                servers.append(server)
            yield servers[0], servers[1]
        finally:
            for proc in procs:
                stop_server(proc)


class AudioSocket(AgentClient):
    """The desk's audio socket on the caller's worker (`connected.audio_url`): binary audio
    both ways, the one-time token in the URL instead of the agent's key."""

    def __init__(self, url: str) -> None:
        self.url, self.key = url, ""
        self.messages, self.audio = [], []
        self._ws, self._reader = None, None

    async def __aenter__(self) -> AudioSocket:
        self._ws = await websockets.connect(self.url)
        self._reader = asyncio.create_task(self._read())
        return self


def _wait_for(check: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_caller_on_worker_a_is_answered_by_an_agent_on_worker_b(
        cluster: tuple[RunningServer, RunningServer]) -> None:
    a, b = cluster
    key = _new_agent(b, "li")  # made on B, one database: A knows the account too
    _wait_for(lambda: a.get("/healthz")["contact_centre"]["cluster"]["worker"] == "A")
    agent_voice = clip_8k(HOTLINE / "A34_tel8k.wav")
    caller_voice = clip_8k(HOTLINE / "A31_tel8k.wav")

    async def call() -> tuple[ReplayClient, dict[str, Any], dict[str, Any]]:
        async with AgentClient(b, key) as agent:
            _wait_for(lambda: _request(a, "GET", "/api/agents")[1][0]["status"] == "available")
            caller = ReplayClient(a.ws, "twilio", from_number=CALLER_ID, turn_timeout_s=30)
            async with caller.connected():
                await caller.wait_quiet()
                await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))  # 公积金 question
                await caller.wait_quiet(since=time.monotonic())
                await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))  # 转人工
                offer = await agent.expect("offer")
                queues = {q["department"]: q for q in _request(b, "GET", "/api/queues")[1]}
                assert queues["housing_fund"]["waiting"] == 1  # B sees A's caller waiting
                await asyncio.sleep(5)  # the caller hears the transfer and their place
                await agent.send(type="accept", call_id=offer["call_id"])
                connected = await agent.expect("connected")
                assert connected["audio_url"].startswith(a.ws + "/agent/audio?")
                async with AudioSocket(connected["audio_url"]) as audio:
                    await asyncio.sleep(3.5)  # "已为您接通人工服务，请讲。"
                    await asyncio.gather(audio.talk(agent_voice), caller.speak(caller_voice))
                    await asyncio.sleep(1.0)
                    assert similarity(audio.heard(), caller_voice) > 0.8
                    assert similarity(caller.bot_audio(), agent_voice) > 0.8
                    assert not agent.audio  # media stayed on A: nothing through B
                    await agent.send(type="hangup")
                    ended = await agent.expect("call_ended")
                    assert ended["call_id"] == caller.call_sid
                    deadline = time.monotonic() + 10
                    while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                        await asyncio.sleep(0.1)
                    assert caller.closed
        return caller, offer, connected

    caller, offer, _connected = asyncio.run(call())
    assert offer["context"]["from_number"] == CALLER_ID
    assert offer["context"]["department"] == "housing_fund" and offer["context"]["said"]
    record = b.call_record(caller.call_sid)  # asked of B: the database is shared
    assert record["outcome"] == "agent" and record["agent_id"] == "li"
    said = " ".join(t.get("bot_text") or "" for t in record["turns"])
    assert "您是下一位" in said  # the place in the cluster's queue, announced on A
    health = [s.get("/healthz")["contact_centre"]["cluster"] for s in (a, b)]
    assert sorted(h["leader"] for h in health) == [False, True]  # exactly one leads


def test_the_browser_desk_on_worker_b_talks_to_a_caller_on_worker_a(
        cluster: tuple[RunningServer, RunningServer],
        chromium: Path, tmp_path: Path) -> None:  # noqa: F811 - the fixture imported above
    """The desk page served by B opens the audio socket on A by itself (connected.audio_url)."""
    a, b = cluster
    key = _new_agent(a, "qian", "gov_service")
    shots, errors, measured = Shots(tmp_path), [], {}
    agent_voice = clip_8k(AGENT_MIC)

    async def run() -> ReplayClient:
        async with _browser(chromium) as browser:
            page = await _desk(browser, b, key, "李敏", errors)
            caller = ReplayClient(a.ws, "twilio", from_number=CALLER_ID, turn_timeout_s=30)
            async with caller.connected():
                await caller.wait_quiet()
                await caller.press("0")  # a person, please: the default department's queue
                await page.wait_for_selector("#offer:not([hidden])", timeout=60_000)
                measured["offer_number"] = await page.text_content("#offer-number")
                measured.update(await accept_and_talk(page, caller, shots,
                                                      "cluster-connected"))
                await page.click("#hangup")
                await page.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
        return caller

    caller = asyncio.run(run())
    assert measured["offer_number"] == CALLER_ID
    assert measured["received_bytes"] > 3 * 16000, measured["received_bytes"]
    alike = similarity(measured["heard"], agent_voice)
    assert alike > 0.6, alike  # the browser's microphone reached the caller on A
    assert not errors, errors
    assert b.call_record(caller.call_sid)["agent_id"] == "qian"
