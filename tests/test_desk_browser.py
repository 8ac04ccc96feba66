"""The browser desk in a real headless Chromium (Debian's, driven by Playwright) against a real
server: the agent signs in with their key, sees the offer with the caller's context before
accepting, accepts, and the audio bridge carries the agent's microphone (Chromium's fake
capture device playing a WAV of real speech) to a Twilio-format caller and the caller's audio
to the page; the agent hangs up and the record says the caller talked to an agent.

Screenshots (sign-in, the offer with its context, the connected call) are saved in the test's
tmp_path and, when IVR_TEST_ARTIFACTS names a directory, there too. Without /usr/bin/chromium
(`apt-get install chromium chromium-driver`, which `scripts/setup.sh --dev` does as root) the
test skips and says so, except under IVR_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr.replay import ReplayClient
from tests.audio_compare import clip_8k, similarity
from tests.conftest import ADMIN_HEADERS, FIXTURES, RunningServer, launch_server, stop_server
from tests.services import service_unavailable

CHROMIUM = Path("/usr/bin/chromium")
HOTLINE = FIXTURES / "hotline"
AGENT_MIC = HOTLINE / "A34.wav"  # the agent's microphone: real speech, 16 kHz
CALLER_ID = "+8613912345678"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        service_unavailable("Chromium", f"{CHROMIUM} is missing "
                            "(apt-get install chromium chromium-driver)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        service_unavailable("Playwright", f"{exc} (./scripts/setup.sh --dev)")
    return CHROMIUM


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory, chromium: Path
                ) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("desk")
    proc, server = launch_server(tmp, extra_env={"IVR_QUEUE_MODE": "desk",
                                                 "IVR_HOLD_ANNOUNCE_S": "8",
                                                 "IVR_OFFER_TIMEOUT_S": "60"})
    try:
        yield server
    finally:
        stop_server(proc)


def _new_agent(server: RunningServer) -> str:
    body = json.dumps({"agent_id": "zhou", "name": "周丽",
                       "skills": ["housing_fund"]}).encode()
    req = urllib.request.Request(server.http + "/api/agents", data=body, method="POST",
                                 headers={**ADMIN_HEADERS, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(json.loads(resp.read())["key"])


class Shots:
    """Screenshots into tmp_path, copied to IVR_TEST_ARTIFACTS when that is set."""

    def __init__(self, tmp_path: Path) -> None:
        self.dirs = [tmp_path / "screenshots"]
        if os.environ.get("IVR_TEST_ARTIFACTS"):
            self.dirs.append(Path(os.environ["IVR_TEST_ARTIFACTS"]) / "desk")
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []

    async def take(self, page: Any, name: str) -> None:
        first = self.dirs[0] / f"{name}.png"
        await page.screenshot(path=str(first), full_page=True)
        for d in self.dirs[1:]:
            shutil.copy(first, d / first.name)
        self.saved.append(first)


async def _stat(page: Any, name: str) -> Any:
    return await page.evaluate(f"window.deskStats.{name}")


async def _until(page: Any, expression: str, timeout_s: float) -> None:
    """Polls `expression` (the page's CSP forbids the in-page eval of `wait_for_function`)."""
    deadline = time.monotonic() + timeout_s
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s: {expression}")
        await asyncio.sleep(0.1)


def test_an_agent_in_the_browser_takes_a_call_and_both_sides_hear_each_other(
        desk_server: RunningServer, chromium: Path, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    key = _new_agent(desk_server)
    shots = Shots(tmp_path)
    agent_voice = clip_8k(AGENT_MIC)
    measured: dict[str, Any] = {}

    async def run() -> ReplayClient:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(chromium),
                args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-audio-capture={AGENT_MIC}",
                      "--autoplay-policy=no-user-gesture-required"])
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(desk_server.http + "/agent")
            await shots.take(page, "1-sign-in")
            await page.fill("#key", "not-a-key-at-all")
            await page.click("#sign-in-button")
            await page.wait_for_selector("#sign-in-error:has-text('密钥无效')")
            await page.fill("#key", key)
            await page.click("#sign-in-button")
            await page.wait_for_selector("body[data-state='desk']")
            await page.wait_for_selector("#link:has-text('已连接')")
            await page.wait_for_selector("#agent-name:has-text('周丽')")

            caller = ReplayClient(desk_server.ws, "twilio", from_number=CALLER_ID,
                                  turn_timeout_s=30)
            async with caller.connected():
                await caller.wait_quiet()  # the greeting
                await caller.speak(clip_8k(HOTLINE / "A13_tel8k.wav"))  # 公积金 question
                await caller.wait_quiet(since=time.monotonic())
                await caller.speak(clip_8k(HOTLINE / "A40_tel8k.wav"))  # 转人工
                await page.wait_for_selector("#offer:not([hidden])", timeout=60_000)
                # The caller's context is on the page before the agent accepts.
                measured["offer_number"] = await page.text_content("#offer-number")
                measured["offer_department"] = await page.text_content("#offer-department")
                measured["offer_intent"] = await page.text_content("#offer-intent")
                measured["offer_said"] = await page.locator("#offer-said li").count()
                measured["countdown"] = await page.text_content("#countdown")
                await shots.take(page, "2-offer-with-context")
                await asyncio.sleep(5)  # the caller hears the transfer and their place

                await page.click("#accept")
                await _until(page, "window.deskStats.state === 'connected' && "
                             "window.deskStats.micStarted", 20)
                heard_before = len(caller.bot_audio())
                await asyncio.sleep(3.5)  # "已为您接通人工服务，请讲。"
                await caller.speak(clip_8k(HOTLINE / "A31_tel8k.wav"))
                await asyncio.sleep(max(0.0, 2 * len(agent_voice) / 8000 - 4))
                await shots.take(page, "3-connected")
                measured["received_bytes"] = await _stat(page, "receivedAudioBytes")
                measured["sent_bytes"] = await _stat(page, "sentAudioBytes")
                measured["heard"] = caller.bot_audio()[heard_before:]

                await page.click("#hangup")
                await page.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
                await page.fill("#wrapup-note", "已说明公积金提取材料")
                await page.click("#wrapup-done")
                await _until(page, "window.deskStats.status === 'available'", 10)
                deadline = time.monotonic() + 10
                while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            measured["errors"] = errors
            await browser.close()
        return caller

    caller = asyncio.run(run())
    print(f"desk measurements: { {k: v for k, v in measured.items() if k != 'heard'} }")
    assert measured["offer_number"] == CALLER_ID
    assert "housing_fund" in measured["offer_department"]
    assert measured["offer_intent"] not in ("", "—") and measured["offer_said"] == 2
    assert "剩余" in measured["countdown"]
    # The page received the caller's audio: several seconds of 8 kHz PCM16.
    assert measured["received_bytes"] > 3 * 16000, measured["received_bytes"]
    assert measured["sent_bytes"] > 3 * 16000, measured["sent_bytes"]
    # The caller heard the agent's microphone: the WAV, through the worklet and μ-law.
    heard = measured["heard"]
    rms = float(np.sqrt(np.mean(heard.astype(np.float64) ** 2))) if len(heard) else 0.0
    alike = similarity(heard, agent_voice)
    print(f"caller heard {len(heard) / 8000:.1f} s after connect, rms {rms:.0f}, "
          f"similarity to the agent's WAV {alike:.3f}")
    assert rms > 300, rms
    assert alike > 0.6, alike
    assert not measured["errors"], measured["errors"]
    record = desk_server.call_record(caller.call_sid)
    assert record["outcome"] == "agent"
    kinds = {e["kind"] for e in record["events"]}
    assert {"queued", "connected", "wrapup"} <= kinds, kinds
    assert [p.name for p in shots.saved] == ["1-sign-in.png", "2-offer-with-context.png",
                                            "3-connected.png"]
