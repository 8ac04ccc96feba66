"""The browser desk in a real headless Chromium (Debian's, driven by Playwright) against a real
server: the agent signs in with their key, sees the offer with the caller's context before
accepting, accepts, and the audio bridge carries the agent's microphone (Chromium's fake
capture device playing a WAV of real speech) to a Twilio-format caller and the caller's audio
to the page; the agent hangs up and the record says the caller talked to an agent.

The other tests click through the rest of the desk: rejecting an offer (it goes to the next
agent, the caller keeps waiting), transferring a connected call to another department with a
note (the next agent's offer shows it), and the callbacks: take, 回拨 against a local fake of
Twilio's REST API (tests/twilio_fake.py; the server's IVR_TWILIO_* point at it, so callers
sign their handshake as Twilio does), Twilio's refusal, done and no-answer.

Screenshots (sign-in, the offer with its context, the connected call, and each step of the
other tests) are saved in the test's tmp_path and, when IVR_TEST_ARTIFACTS names a directory,
there too. Without /usr/bin/chromium
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
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr.contact.callback_store import CallbackStore
from ivr.db.engine import open_engine
from ivr.replay import ReplayClient
from tests.audio_compare import clip_8k, similarity
from tests.conftest import ADMIN_HEADERS, FIXTURES, RunningServer, launch_server, stop_server
from tests.services import service_unavailable
from tests.twilio_fake import AUTH_TOKEN, FakeTwilio, fake_twilio

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
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory, chromium: Path, twilio: FakeTwilio
                ) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("desk")
    proc, server = launch_server(tmp, extra_env={"IVR_QUEUE_MODE": "desk",
                                                 "IVR_HOLD_ANNOUNCE_S": "8",
                                                 "IVR_OFFER_TIMEOUT_S": "60", **twilio.env()})
    try:
        yield server
    finally:
        stop_server(proc)


def _new_agent(server: RunningServer, agent_id: str = "zhou", name: str = "周丽",
               skills: tuple[str, ...] = ("housing_fund",), dial: str | None = None) -> str:
    body = json.dumps({"agent_id": agent_id, "name": name, "skills": list(skills),
                       "dial_target": dial}).encode()
    req = urllib.request.Request(server.http + "/api/agents", data=body, method="POST",
                                 headers={**ADMIN_HEADERS, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(json.loads(resp.read())["key"])


def _caller(server: RunningServer) -> ReplayClient:
    """A Twilio-format caller whose handshake is signed (the server has a Twilio token)."""
    return ReplayClient(server.ws, "twilio", from_number=CALLER_ID, turn_timeout_s=30,
                        twilio_auth_token=AUTH_TOKEN)


@asynccontextmanager
async def _browser(chromium: Path) -> AsyncIterator[Any]:
    """Headless Chromium whose microphone plays the agent's WAV."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium),
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={AGENT_MIC}",
                  "--autoplay-policy=no-user-gesture-required"])
        try:
            yield browser
        finally:
            await browser.close()


async def _sign_in(page: Any, key: str, name: str) -> None:
    await page.fill("#key", key)
    await page.click("#sign-in-button")
    await page.wait_for_selector("body[data-state='desk']")
    await page.wait_for_selector("#link:has-text('已连接')")
    await page.wait_for_selector(f"#agent-name:has-text('{name}')")


async def _desk(browser: Any, server: RunningServer, key: str, name: str,
                errors: list[str]) -> Any:
    """A signed-in desk in its own browser context (its own cookie); page errors go to
    `errors`."""
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(server.http + "/agent")
    await _sign_in(page, key, name)
    return page


@asynccontextmanager
async def _offered_to(server: RunningServer, page: Any) -> AsyncIterator[ReplayClient]:
    """A caller who keys 0 after the greeting (queued for the default department,
    gov_service, no recognizer needed), once `page` shows the offer; hangs up on exit."""
    caller = _caller(server)
    async with caller.connected():
        await caller.wait_quiet()
        await caller.press("0")
        await page.wait_for_selector("#offer:not([hidden])", timeout=60_000)
        yield caller


async def accept_and_talk(page: Any, caller: ReplayClient, shots: Shots, shot: str
                          ) -> dict[str, Any]:
    """Accept the offer on `page`, let the caller speak while the fake microphone plays the
    agent's WAV, screenshot; what each side received (bytes on the page, the caller's audio
    since the connection)."""
    await page.click("#accept")
    await _until(page, "window.deskStats.state === 'connected' && "
                 "window.deskStats.micStarted", 20)
    heard_before = len(caller.bot_audio())
    await asyncio.sleep(3.5)  # "已为您接通人工服务，请讲。"
    await caller.speak(clip_8k(HOTLINE / "A31_tel8k.wav"))
    await asyncio.sleep(max(0.0, 2 * len(clip_8k(AGENT_MIC)) / 8000 - 4))
    await shots.take(page, shot)
    return {"received_bytes": await _stat(page, "receivedAudioBytes"),
            "sent_bytes": await _stat(page, "sentAudioBytes"),
            "heard": caller.bot_audio()[heard_before:]}


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
    key = _new_agent(desk_server)
    shots = Shots(tmp_path)
    agent_voice = clip_8k(AGENT_MIC)
    measured: dict[str, Any] = {}

    async def run() -> ReplayClient:
        async with _browser(chromium) as browser:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(desk_server.http + "/agent")
            await shots.take(page, "1-sign-in")
            await page.fill("#key", "not-a-key-at-all")
            await page.click("#sign-in-button")
            await page.wait_for_selector("#sign-in-error:has-text('密钥无效')")
            await _sign_in(page, key, "周丽")

            caller = _caller(desk_server)
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

                measured.update(await accept_and_talk(page, caller, shots, "3-connected"))

                await page.click("#hangup")
                await page.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
                await page.fill("#wrapup-note", "已说明公积金提取材料")
                await page.click("#wrapup-done")
                await _until(page, "window.deskStats.status === 'available'", 10)
                deadline = time.monotonic() + 10
                while not caller.closed and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            measured["errors"] = errors
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


def _waiting(server: RunningServer, department: str) -> int:
    queues = server.get("/api/queues")
    return int(next(q["waiting"] for q in queues if q["department"] == department))


def test_a_rejected_offer_goes_to_the_next_agent_while_the_caller_keeps_waiting(
        desk_server: RunningServer, chromium: Path, tmp_path: Path) -> None:
    first_key = _new_agent(desk_server, "wu", "吴敏", ("gov_service",))
    second_key = _new_agent(desk_server, "zheng", "郑军", ("gov_service",))
    shots, errors = Shots(tmp_path), []
    measured: dict[str, Any] = {}

    async def run() -> ReplayClient:
        async with _browser(chromium) as browser:
            first = await _desk(browser, desk_server, first_key, "吴敏", errors)
            async with _offered_to(desk_server, first) as caller:
                measured["first_offer"] = await first.text_content("#offer-number")
                # A second agent signs in while the first holds the offer.
                second = await _desk(browser, desk_server, second_key, "郑军", errors)
                await shots.take(first, "reject-1-offered")
                await first.click("#reject")
                await first.wait_for_selector("#offer", state="hidden")
                # reject() hides the offer at once; the server's offer_withdrawn, which says
                # why, arrives after it (under load, later than the hiding)
                await first.wait_for_function(
                    "document.getElementById('message').textContent.includes('撤回')",
                    timeout=10_000)
                measured["first_message"] = await first.text_content("#message")
                await second.wait_for_selector("#offer:not([hidden])", timeout=30_000)
                measured["second_offer"] = await second.text_content("#offer-number")
                measured["waiting"] = _waiting(desk_server, "gov_service")
                measured["first_status"] = await _stat(first, "status")
                await shots.take(second, "reject-2-offered-to-the-next-agent")
        return caller

    caller = asyncio.run(run())
    print(f"reject measurements: {measured}")
    assert measured["first_offer"] == measured["second_offer"] == CALLER_ID
    assert "已拒接" in measured["first_message"]
    assert measured["waiting"] == 1  # still in the queue, now offered to the second agent
    assert measured["first_status"] == "available"
    assert not errors, errors
    record = desk_server.call_record(caller.call_sid)
    assert record["outcome"] == "abandoned"  # hung up while waiting; nobody took the call


TRANSFER_NOTE = "市民咨询社保卡补办，已核实身份<请转社保>"


def test_an_agent_transfers_a_call_with_a_note_that_the_next_agent_sees(
        desk_server: RunningServer, chromium: Path, tmp_path: Path) -> None:
    first_key = _new_agent(desk_server, "sun", "孙雪", ("gov_service",))
    next_key = _new_agent(desk_server, "qian", "钱峰", ("hrss",))
    shots, errors = Shots(tmp_path), []
    measured: dict[str, Any] = {}

    async def run() -> ReplayClient:
        async with _browser(chromium) as browser:
            first = await _desk(browser, desk_server, first_key, "孙雪", errors)
            other = await _desk(browser, desk_server, next_key, "钱峰", errors)
            async with _offered_to(desk_server, first) as caller:
                await first.click("#accept")
                await _until(first, "window.deskStats.state === 'connected'", 20)
                await first.select_option("#transfer-department", "hrss")
                await first.fill("#transfer-note", TRANSFER_NOTE)
                await shots.take(first, "transfer-1-connected-with-note")
                await first.click("#transfer")
                await other.wait_for_selector("#offer:not([hidden])", timeout=30_000)
                measured["notes"] = await other.locator("#offer-notes li").all_text_contents()
                measured["department"] = await other.text_content("#offer-department")
                measured["number"] = await other.text_content("#offer-number")
                await first.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
                await shots.take(other, "transfer-2-next-agent-sees-the-note")
                await other.click("#accept")
                await _until(other, "window.deskStats.state === 'connected'", 20)
                measured["call_department"] = await other.text_content("#call-department")
                await other.click("#hangup")
                await other.wait_for_selector("#wrapup:not([hidden])", timeout=10_000)
        return caller

    caller = asyncio.run(run())
    print(f"transfer measurements: {measured}")
    assert measured["notes"] == [TRANSFER_NOTE]  # as text: the "<…>" is not markup
    # The new department's own name, not the one the caller was first queued for.
    assert measured["department"] == "人力资源和社会保障局（hrss）"
    assert measured["call_department"] == "人力资源和社会保障局"
    assert measured["number"] == CALLER_ID
    assert not errors, errors
    record = desk_server.call_record(caller.call_sid)
    transfers = [e["detail"] for e in record["events"] if e["kind"] == "agent_transfer"]
    assert transfers == [f"sun → hrss: {TRANSFER_NOTE}"]
    assert record["outcome"] == "agent"


def _callbacks(server: RunningServer) -> CallbackStore:
    """The server's callbacks, written straight into its SQLite file (callers leave them by
    keying 1 on hold; that path is tested in test_e2e_contact)."""
    return CallbackStore(open_engine(f"sqlite:///{server.db_path}"))


def _row_button(callback_id: int, action: str) -> str:
    return f"#callbacks button[data-callback='{callback_id}'][data-action='{action}']"


def test_callbacks_are_taken_called_back_through_twilio_and_closed_in_the_page(
        desk_server: RunningServer, chromium: Path, tmp_path: Path, twilio: FakeTwilio) -> None:
    phone = "sip:feng@desk.hotline.example"
    key = _new_agent(desk_server, "feng", "冯涛", ("tax",), dial=phone)
    store, now = _callbacks(desk_server), time.time()
    called, unanswered, refused = (
        store.create(number=f"1390000000{n}", department="tax", now=now + n,
                     context={"message": f"<b>请回电</b>说明个税{n}"}) for n in (1, 2, 3))
    shots, errors = Shots(tmp_path), []
    measured: dict[str, Any] = {}

    async def take(page: Any, callback_id: int) -> None:
        await page.click(_row_button(callback_id, "take"))
        await page.wait_for_selector(_row_button(callback_id, "call"))

    async def run() -> None:
        async with _browser(chromium) as browser:
            page = await _desk(browser, desk_server, key, "冯涛", errors)
            await page.wait_for_selector(_row_button(called, "take"))
            measured["said"] = await page.locator("#callbacks tr").first.text_content()
            measured["markup"] = await page.locator("#callbacks b").count()
            measured["hint"] = await page.text_content("#outbound-hint")
            await shots.take(page, "callbacks-1-listed")

            await take(page, called)
            await page.click(_row_button(called, "call"))
            await page.wait_for_selector("#callback-result[data-sid]")
            measured["result"] = await page.text_content("#callback-result")
            await page.wait_for_selector("#callbacks td:has-text('已回拨 1 次')")
            await shots.take(page, "callbacks-2-called-back")
            await page.click(_row_button(called, "done"))
            await page.wait_for_selector(_row_button(called, "done"), state="detached")

            await take(page, unanswered)
            await page.click(_row_button(unanswered, "no-answer"))
            await page.wait_for_selector(_row_button(unanswered, "take"))  # back in the list

            await take(page, refused)
            twilio.refuse = (400, 21215, "Account not authorized to call +8613900000003")
            try:
                await page.click(_row_button(refused, "call"))
                await page.wait_for_selector("#callback-result.error")
            finally:
                twilio.refuse = None
            measured["error"] = await page.text_content("#callback-result")
            await shots.take(page, "callbacks-3-twilio-refused")

    asyncio.run(run())
    print(f"callback measurements: {measured}")
    assert "<b>请回电</b>说明个税1" in measured["said"] and measured["markup"] == 0
    assert "先拨打您的话机" in measured["hint"]
    sid = twilio.placed[-1]["sid"]
    assert sid in measured["result"]
    placed = next(r for r in twilio.requests if r.form.get("To") == phone)
    assert "<Number>+8613900000001</Number>" in placed.form["Twiml"]
    assert measured["error"] == ("回拨失败：Twilio 21215: Account not authorized to call "
                                 "+8613900000003 (HTTP 400)")
    assert not errors, errors
    after = time.time()
    done = store.get(called, after)
    assert done["status"] == "done" and [d["sid"] for d in done["dials"]] == [sid]
    assert (store.get(unanswered, after)["status"], store.get(unanswered, after)["attempts"]) == (
        "pending", 1)
    [failed] = store.get(refused, after)["dials"]
    assert failed["code"] == 21215 and store.get(refused, after)["status"] == "taken"
