"""One phone call: joins the media adapter, recognizer, matcher, dialog policy, TTS and store.

The session owns no protocol knowledge (the adapter turns messages into neutral events) and no
dialog decisions (the pure policy does): it feeds caller audio to the recognition stream, turns
recognizer and platform events into policy events, and carries out the policy's actions
(speak, start timers, transfer, hang up, record). Every turn and event is written to the store
as it happens so a dropped socket loses nothing.

`run(messages)` serves the call: every task (playback, the recognition consumer, timer and
hand-over work) lives in one `asyncio.TaskGroup`, and `close` tears them down in order (decode
the last words, settle the record, stop timers, playback, recognition, then the rest). Time
comes from the injected clock (`ivr.clock`). Does socket I/O through callbacks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import numpy as np

from asr.base import supports_grammar
from asr.stream import BargeIn, Final, RecognitionFailed, RecognitionStream, SpeechStarted
from dialog import policy as pol
from dialog.hypotheses import ReplyKind, understand_readings
from dialog.types import MatchResult
from ivr.call_hold import CallHold
from ivr.calltasks import CallTasks, CallTimers
from ivr.clock import Clock, finished_within
from ivr.events import (
    AudioIn,
    CallerHungUp,
    CallStarted,
    Connected,
    DtmfIn,
    HangUp,
    InboundEvent,
    MarkPlayed,
    OutboundCommand,
    ProtocolError,
    TransferCall,
    UnknownEvent,
)
from ivr.inband_keys import InbandKeys, KeyHeard
from ivr.junk import MAX_NUMBER_CHARS, JunkBudget, clip, clip_parameters
from ivr.listening import OPEN, REPLY_LANGUAGE, profile_for
from ivr.logformat import set_call_id
from ivr.media.base import MediaProtocol, WireMessage
from ivr.playback import Playback, PlaybackStream
from ivr.prompt_timeout import PromptTimeout, apology, next_piece
from ivr.services import Services
from ivr.session_host import SessionHost
from ivr.turns import TurnTracker

log = logging.getLogger(__name__)

SendMessage = Callable[[str | bytes], Awaitable[None]]
CloseSocket = Callable[[], Awaitable[None]]
HANDOVER_TIMEOUT_S = 3.0  # longest wait for the last mark before a transfer or hang-up
SAME_KEY_S = 1.0  # a key heard in-band and reported out-of-band this close is one press
DRAIN_TIMEOUT_S = 10.0  # longest wait to decode the caller's last words at hang-up


class CallSession:
    """State and tasks of one call, from the platform's `start` to the socket closing."""

    def __init__(self, protocol: MediaProtocol, send_message: SendMessage,
                 close_socket: CloseSocket, services: Services, clock: Clock) -> None:
        self.protocol = protocol
        self.services = services
        self.clock = clock
        self._send_message = send_message
        self._close_socket = close_socket
        self.call_id: str | None = None
        self.kb = services.kb_holder.current  # this call keeps this version to the end
        self._state = self.kb.policy.initial_state()
        self._lock = asyncio.Lock()
        self._timers = CallTimers(clock)
        self._tasks = CallTasks(lambda: self.call_id)
        self._stop_reason: str | None = None  # set when the platform ends the stream
        self._bot_closed = False  # the bot closed the socket (after a transfer or hang-up)
        self._stream: RecognitionStream | None = None
        self._keys: InbandKeys | None = None  # None: keys come as platform events only
        self._last_key: tuple[str, str, float] | None = None  # digit, how, when
        self._turns: TurnTracker | None = None
        self._closed = False
        self._interrupted_key: str | None = None
        self._early_events: list[tuple[str, str, float]] = []
        self._listening = OPEN
        self._consumer: asyncio.Task[None] | None = None
        self._hanging_up = False  # the caller is gone: still record what was heard, say nothing
        self._hold: CallHold | None = None  # in the contact centre's queue or with an agent
        self._caller = ""
        self._heard: list[str] = []  # what the caller said to the bot (an agent's context)
        self._intent: str | None = None
        self._outcome: str | None = None
        self.refusal: str | None = None  # why the stream was turned away (closed with 1008)
        # Told once the call has started (the web layer's handshake deadline is then over).
        self.on_started: Callable[[], object] | None = None
        self._junk = JunkBudget(services.config.max_junk_events)  # bounds a peer's junk
        self.playback = Playback(self._send_command, self._on_heard, self._on_started,
                                 mark_grace_s=services.config.mark_grace_s, clock=clock,
                                 on_underrun=services.metrics.playback_underrun.observe)

    # ---- the call's lifetime -------------------------------------------------------------

    async def run(self, messages: AsyncIterator[WireMessage]) -> str:
        """Serve the call until the socket closes, the platform stops or the bot hangs up;
        then tear everything down in order. Returns why the call ended; never raises for one
        broken call (a server shutdown's cancellation still propagates)."""
        reason = "caller hung up"
        async with asyncio.TaskGroup() as group:
            self._tasks.bind(group)
            try:
                async for message in messages:
                    await self.receive(message)
                    if self._stop_reason:
                        break
                reason = self._stop_reason or ("bot closed the call" if self._bot_closed
                                               else "caller hung up")
            except Exception:  # one broken call must never take the server down
                log.exception("call %s: session error", self.call_id)
                reason = "server error"
            finally:
                await self.close(reason)
        return reason

    # ---- inbound -------------------------------------------------------------------------

    async def receive(self, message: WireMessage) -> None:
        """One websocket message from the platform."""
        if isinstance(message, str):
            await self.receive_text(message)
        else:
            await self.receive_bytes(message)

    async def receive_text(self, text: str) -> None:
        for event in self.protocol.receive_text(text):
            await self.handle(event)

    async def receive_bytes(self, data: bytes) -> None:
        for event in self.protocol.receive_bytes(data):
            await self.handle(event)

    async def handle(self, event: InboundEvent) -> None:
        if isinstance(event, AudioIn):
            self._on_audio(event)
        elif isinstance(event, CallStarted):
            await self._on_start(event)
        elif isinstance(event, MarkPlayed):
            self.playback.mark_played(event.name)
        elif isinstance(event, DtmfIn):
            await self._on_key(event.digit, "out-of-band")
        elif isinstance(event, CallerHungUp):
            await self._record_event("stop", event.reason)
            self._stop_reason = "platform stop"
        elif isinstance(event, ProtocolError):
            if self._junk.admit("protocol_error"):
                log.warning("call %s: protocol error: %s", self.call_id,
                            clip(event.message, 200))
                raw = (event.raw or "")[:200]
                await self._record_event("protocol_error", f"{event.message}: {raw}")
        elif isinstance(event, UnknownEvent):
            if self._junk.admit("unknown_event"):
                await self._record_event("unknown_event", event.event)
        elif isinstance(event, Connected):
            pass

    async def _on_start(self, event: CallStarted) -> None:
        if self.call_id is not None:
            await self._record_event("protocol_error", "second start on one stream")
            return
        svc, cfg = self.services, self.services.config
        if not await svc.store.start_call(
                event.call_id, stream_sid=event.stream_id, protocol=self.protocol.name,
                from_number=clip(event.from_number, MAX_NUMBER_CHARS),
                to_number=clip(event.to_number, MAX_NUMBER_CHARS),
                started_at=self.clock.time(), parameters=clip_parameters(event.parameters)):
            # Call ids are the client's choice: one already recorded (or live) is another
            # caller's. Refuse the stream and leave that record untouched.
            log.warning("protocol error: start reuses call id %r, which is already a call; "
                        "stream refused", event.call_id)
            self.refusal = "call id already in use"
            self._stop_reason = "refused: call id already in use"
            return
        self.call_id, self._caller = event.call_id, event.from_number
        set_call_id(event.call_id)  # every log line of this call from here on carries it
        if self.on_started is not None:
            self.on_started()
        for kind, detail, at in self._early_events:
            await svc.store.add_event(event.call_id, kind, detail, at)
        self._early_events.clear()
        rate = event.audio_format.sample_rate
        self._stream = RecognitionStream(
            svc.engine, rate, svc.asr_executor, end_silence_s=cfg.end_silence_s,
            min_speech_s=cfg.barge_in_min_s, max_utterance_s=cfg.max_utterance_s,
            speculate_after_s=cfg.speculate_after_s, decode_timeout_s=cfg.asr_timeout_s,
            timer=self.clock)
        if _listen_for_tones(cfg.inband_dtmf, self.protocol):
            self._keys = InbandKeys(rate)
        self._turns = TurnTracker(svc.store, event.call_id, cfg.end_silence_s, self.clock,
                                  svc.metrics.reply_latency.observe)
        self._tasks.spawn(self.playback.run(), "playback")
        self._consumer = self._tasks.spawn(self._consume_recognition(self._stream), "recognition")
        log.info("call %s started (%s, %s → %s, %d Hz)", event.call_id, self.protocol.name,
                 event.from_number, event.to_number, rate)
        await self._dispatch(pol.CallBegan())

    def _on_audio(self, event: AudioIn) -> None:
        if self._stream is None or self._closed:
            return
        if self._hold is not None and self._hold.bridged:  # the agent listens, not the bot
            self._hold.caller_audio(event.samples, event.sample_rate)
            return
        if self._keys is not None:
            for heard in self._keys.feed(event.samples):
                if isinstance(heard, KeyHeard):
                    self._tasks.spawn(self._on_key(heard.digit, "in-band"), "in-band key")
                else:
                    detail = f"{heard.digit} (in-band, not clean: {heard.reason})"
                    self._tasks.spawn(self._record_event("dtmf_ignored", detail), "key ignored")
        self._stream.feed(event.samples)

    async def _on_key(self, digit: str, how: str) -> None:
        now, last = self.clock.monotonic(), self._last_key
        self._last_key = (digit, how, now)
        if last and last[0] == digit and last[1] != how and now - last[2] < SAME_KEY_S:
            # a gateway that reports keys as events and also leaves the tones in the audio
            await self._record_event("dtmf_duplicate", f"{digit} ({how}, also {last[1]})")
            return
        await self._record_event("dtmf", f"{digit} ({how})")
        if self._hold is not None:
            await self._hold.key(digit)
            return
        if self._turns:
            self._turns.begin_key(digit)
        await self._dispatch(pol.KeyPressed(digit))

    # ---- recognition ---------------------------------------------------------------------

    async def _consume_recognition(self, stream: RecognitionStream) -> None:
        async for ev in stream.events():
            if isinstance(ev, SpeechStarted):
                if self._turns:
                    self._turns.speech_started()
                await self._dispatch(pol.CallerStartedSpeaking())
            elif isinstance(ev, BargeIn):
                if self.playback.speaking:
                    cut = await self.playback.interrupt()
                    if self._turns:
                        self._turns.barged_in()
                    await self._record_event("barge_in", ",".join(cut))
            elif isinstance(ev, Final):
                await self._on_final(ev)
            elif isinstance(ev, RecognitionFailed):
                log.error("call %s: recognizer failed: %s", self.call_id, ev.error)
                await self._record_event("asr_error", ev.error)
                await self._dispatch(pol.RecognitionError(ev.error))

    async def _on_final(self, ev: Final) -> None:
        text = ev.transcript.text.strip()
        if self._keys is not None and self._keys.is_tone(ev.t_start_s, ev.t_end_s):
            await self._record_event("asr_dropped", f"the utterance was a key's tone: {text}")
            await self._resume_listening()
            return
        if not text:
            await self._record_event("asr_empty", f"{ev.transcript.audio_s:.2f}s of audio")
            await self._resume_listening()
            return
        self._interrupted_key = None
        if self._hold is not None:
            await self._record_event("heard_holding", text)
            if not self._hanging_up:  # words decoded after the caller left are only recorded
                await self._hold.heard(text)
            return
        if (understood := await self._match((text, *ev.transcript.alternatives))) is None:
            return
        match, reply, text = understood
        match = match.heard_with(ev.transcript.confidence)
        log.info("call %s heard %r → %s (%.2f, %s)", self.call_id, text, match.intent,
                 match.score, match.action)
        self._heard.append(text)
        if match.intent and self.kb.kb.intents[match.intent].kind != "system":
            self._intent = match.intent  # what the caller asked about, not "转人工" itself
        self._measure(ev, match)
        if self._turns:
            self._turns.recognized(ev.transcript, match, ev.wait_s)
        if self._hanging_up:
            return  # the record keeps the caller's last words; nobody is left to answer
        await self._dispatch(pol.CallerSpoke(match, reply))

    async def _match(self, readings: tuple[str, ...],
                     ) -> tuple[MatchResult, ReplyKind | None, str] | None:
        """What the caller asked (of the readings, the first understood, as a reply to the question
        asked first); None if the matcher failed: the policy apologises and transfers."""
        try:
            # The city's routed tickets, if trained; a thread, because a changed model file
            # or a reloaded knowledge base is read and indexed there (a few hundred ms).
            prior = await asyncio.to_thread(self.services.routing.phone_prior, self.kb.kb)
        except Exception:  # route with the knowledge base alone rather than fail the turn
            log.exception("call %s: router model unavailable", self.call_id)
            prior = None
        try:
            asked, state = self._state.last_say_key, self._state
            policy = self.kb.policy
            found = understand_readings(lambda t: self.kb.matcher.match(t, prior), asked,
                                        readings, state.clarify,
                                        lambda t: policy.reads_as_answer(state, t),
                                        policy.own_reading_first(state))
            if found[2] != readings[0]:  # the engine's best reading meant nothing to the bot
                await self._record_event("asr_reading", f"{readings[0]} → {found[2]}")
            return found
        except Exception as exc:
            log.exception("call %s: matcher failed on %r", self.call_id, text := readings[0])
            await self._record_event("match_error", f"{type(exc).__name__}: {exc} ({text})")
            await self._dispatch(pol.RecognitionError(f"matcher failed: {exc}"))
            return None

    # ---- policy --------------------------------------------------------------------------

    async def _dispatch(self, event: pol.Event) -> None:
        async with self._lock:
            if self._state.phase == "ended" and not isinstance(event, pol.CallerHungUp):
                return
            self._state, actions = self.kb.policy.step(self._state, event, self.clock.monotonic())
            for action in actions:
                await self._execute(action)

    async def _execute(self, action: pol.Action) -> None:
        if isinstance(action, pol.Say):
            await self._say(action)
        elif isinstance(action, pol.StartTimer):
            self._timers.start(action.name, action.seconds, self._fire_timer)
        elif isinstance(action, pol.CancelTimer):
            self._timers.cancel(action.name)
        elif isinstance(action, pol.Transfer):
            await self._transfer(action)
        elif isinstance(action, pol.HangUp):
            self._tasks.spawn(self._hand_over(HangUp(action.reason)), "hang up")
        elif isinstance(action, pol.RecordOutcome):
            await self._record_outcome(action.outcome)
        elif isinstance(action, pol.RecordRating):
            await self._record_event("rating", f"{action.rating} ({action.how})")

    async def _say(self, action: pol.Say) -> None:
        """Speak `action.text`: playback starts with its first rendered clause while the
        rest is rendered (a cached text comes as one piece). A voice that gives nothing
        within `tts_prompt_timeout_s` is replaced by the recorded apology, so the caller
        never waits in silence and the dialog (whose lock this holds) goes on."""
        if self._turns:
            await self._turns.bot_said(action.text)
        pieces = self.services.prompts.stream_samples(action.text)
        try:
            first = await next_piece(pieces, self.clock, self.services.config.tts_prompt_timeout_s)
        except PromptTimeout as exc:
            log.error("call %s: no audio for %r: %s; playing the apology", self.call_id,
                      action.text, exc)
            await self._record_event("tts_error", f"{action.key}: {exc}")
            first = apology(self.services.config.tts_fallback_audio)
            pieces = iter(())
        except Exception as exc:  # a TTS failure must not silence the dialog forever
            log.error("call %s: cannot synthesize %r: %s", self.call_id, action.text, exc)
            await self._record_event("tts_error", f"{action.key}: {exc}")
            self._tasks.spawn(self._dispatch(pol.PromptFinished(action.key)), "tts error")
            return
        stream = self.playback.open_stream(action.key, first if first is not None
                                           else np.zeros(0, np.int16))
        self._listen_after(action.key, action.text)
        self._tasks.spawn(self._feed(action.key, pieces, stream), "speech stream")

    async def _feed(self, key: str, pieces: Iterator[np.ndarray], stream: PlaybackStream
                    ) -> None:
        """Hand each further clause to playback as it is rendered; stop once it was cut."""
        try:
            while not stream.dropped:
                limit = self.services.config.tts_prompt_timeout_s
                piece = await next_piece(pieces, self.clock, limit)
                if piece is None:
                    break
                stream.append(piece)
        except Exception as exc:  # what was rendered plays; the rest is reported
            log.error("call %s: synthesis failed mid-answer (%s): %s", self.call_id, key, exc)
            await self._record_event("tts_error", f"{key}: {exc}")
        finally:
            stream.finish()

    def _listen_after(self, prompt_key: str, text: str = "") -> None:
        """Narrow or widen recognition for the answer to this prompt (see ivr.listening)."""
        if self._stream is None:
            return
        cfg = self.services.config
        # The expected replies are Mandarin words, as the reply readers are (dialog.answers).
        choices = cfg.asr_reply_choices and cfg.asr_language == REPLY_LANGUAGE
        profile = profile_for(prompt_key, self.kb.kb, text, cfg.asr_question_context, choices)
        if profile == self._listening:
            return
        self._listening = profile
        if supports_grammar(self.services.engine):
            self._stream.set_phrases(list(profile.phrases) if profile.phrases else None)
        self._stream.set_context(profile.context, profile.choices)
        self._stream.set_endpointing(end_silence_s=profile.end_silence_s or cfg.end_silence_s)

    async def _transfer(self, action: pol.Transfer) -> None:
        assert self.call_id is not None
        await self.services.store.set_transfer(self.call_id, action.department, action.queue,
                                               action.reason)
        if self.services.hold.mode(action.department) != "platform":
            await self._enter_queue(action)
            return
        log.info("call %s: transfer to %s (%s)", self.call_id, action.queue, action.reason)
        command = TransferCall(action.department, action.queue, action.reason)
        self._tasks.spawn(self._hand_over(command), "transfer")

    async def _record_outcome(self, outcome: str) -> None:
        if self.call_id is None or self._hold is not None:
            return  # a held call's outcome is how the hold ended (`finish`, `close`)
        if self._turns:
            await self._turns.flush()
        self._note_outcome(outcome)
        await self.services.store.record_outcome(
            self.call_id, outcome=outcome, ended_at=self.clock.time(), reason=self._state.phase)

    def _on_heard(self, key: str, interrupted: bool) -> None:
        if self._hold is not None:
            if not interrupted:
                self._tasks.spawn(self._hold.prompt_finished(key), "hold prompt heard")
            return
        if interrupted:
            # Cut by barge-in: the caller's utterance decides what happens next. If it turns
            # out to be empty, `_resume_listening` treats the prompt as done.
            self._interrupted_key = key
            return
        self._tasks.spawn(self._dispatch(pol.PromptFinished(key)), "prompt heard")

    async def _resume_listening(self) -> None:
        if self._hold is not None:
            await self._hold.resume()
            return
        key, self._interrupted_key = self._interrupted_key, None
        if key is not None and not self.playback.speaking:
            await self._dispatch(pol.PromptFinished(key))

    def _on_started(self, key: str, at: float) -> None:
        if self._turns:
            self._tasks.spawn(self._turns.reply_started(), "reply started")

    # ---- outbound and teardown -----------------------------------------------------------

    async def _send_command(self, command: OutboundCommand) -> None:
        if self._closed:
            return
        for message in self.protocol.send(command):
            await self._send_message(message)

    async def _hand_over(self, command: HangUp | TransferCall) -> None:
        """End the bot's part: once the last mark is back (everything said was heard) or a
        timeout, send the transfer or hang-up and close the socket."""
        if not await self.playback.drain(HANDOVER_TIMEOUT_S):
            log.warning("call %s: last audio not confirmed within %.0f s; ending anyway",
                        self.call_id, HANDOVER_TIMEOUT_S)
        await self._send_command(command)
        self._bot_closed = True
        await self._close_socket()

    def _measure(self, ev: Final, match: MatchResult) -> None:
        metrics, t = self.services.metrics, ev.transcript
        metrics.turns.labels(action=match.action).inc()
        if match.intent is None and not match.routed:
            metrics.no_match.inc()
        metrics.asr_latency.observe(t.decode_s)
        if t.audio_s > 0:
            metrics.asr_rtf.observe(t.decode_s / t.audio_s)

    def _note_outcome(self, outcome: str) -> None:
        """The first outcome recorded is the call's (as in the store); counted at close."""
        self._outcome = self._outcome or outcome

    async def _record_event(self, kind: str, detail: str) -> None:
        self.services.metrics.events.labels(kind=kind).inc()
        detail = clip(detail, self.services.config.event_detail_chars)
        if self.call_id is None:  # before `start`: kept and written once the call has an id
            self._early_events.append((kind, detail, self.clock.time()))
            return
        await self.services.store.add_event(self.call_id, kind, detail, self.clock.time())

    def _fire_timer(self, name: str) -> None:
        self._tasks.spawn(self._dispatch(pol.TimerFired(name)), f"timer {name}")

    async def _drain_recognition(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Decode what the caller was saying when the line dropped, so the record keeps it;
        waits at most `timeout_s` on the call's clock (a hung recognizer must not keep a
        call that is over), and records when the words were lost."""
        if self._stream is None or self._consumer is None:
            return
        self._stream.flush()
        if not await finished_within(self.clock, self._consumer, timeout_s):
            log.warning("call %s: last utterance not decoded within %.0f s", self.call_id,
                        timeout_s)
            await self._record_event("asr_unfinished", "the caller's last words were not "
                                     f"decoded within {timeout_s:g} s of the hang-up")

    async def close(self, reason: str) -> None:
        """The socket is gone (or the platform said stop): settle the record, stop all work.

        In order: decode the caller's last words, tell the policy (which records the
        outcome), write the open turn and a `closed` event, cancel timers, stop playback and
        recognition, then cancel whatever else is still running. Idempotent."""
        if self._closed or self._hanging_up:
            return
        self._hanging_up = True
        await self._drain_recognition()
        if self._hold is not None and self.call_id is not None:
            outcome = self._hold.caller_left()
            if outcome:
                self._note_outcome(outcome)
                await self.services.store.record_outcome(
                    self.call_id, outcome=outcome, ended_at=self.clock.time(), reason="caller")
        if self.call_id is not None:
            await self._dispatch(pol.CallerHungUp())
            if self._turns:
                await self._turns.flush()
            if summary := self._junk.summary():
                await self._record_event("junk_suppressed", summary)
            await self._record_event("closed", reason)
        self._closed = True
        self._timers.cancel_all()
        self.playback.close()
        if self._stream:
            await self._stream.close()
        self._tasks.cancel()  # playback, the recognition consumer, and anything still running
        if self.call_id is not None:
            self.services.metrics.calls.labels(outcome=self._outcome or "unknown").inc()
        if self.call_id is None and self._early_events:
            log.warning("stream closed before start after %d bad messages: %s",
                        len(self._early_events) + self._junk.suppressed,
                        self._early_events[:3])
        log.info("call %s closed: %s", self.call_id, reason)


    # ---- the contact centre's queue (ivr.call_hold; ivr.session_host is its HoldHost) ------

    async def _enter_queue(self, action: pol.Transfer) -> None:
        assert self.call_id is not None and self.services.hold is not None
        earlier = await self.services.store.calls_from(self._caller, before=self.call_id)
        names = {d.id: d.name for d in self.kb.kb.departments.values()}
        context = {"call_id": self.call_id, "from_number": self._caller, "said": self._heard,
                   "intent": self._intent,
                   "intent_name": self.kb.kb.intents[self._intent].name if self._intent else None,
                   "department": action.department,
                   "department_name": names.get(action.department, action.department),
                   "reason": action.reason, "earlier_calls": earlier, "notes": []}
        self._hold = CallHold(SessionHost(self), self.services.hold, self.clock, self.call_id,
                              action.department, names, self._caller, context)
        await self._hold.begin()


def _listen_for_tones(setting: str, protocol: MediaProtocol) -> bool:
    """In-band detection: "on", "off", or "auto" (only where the platform does not report
    keys as events itself; detecting them twice would press every key twice)."""
    if setting == "auto":
        return not protocol.reports_dtmf
    return setting == "on"
