"""What the server exposes at `GET /metrics` in Prometheus's text format (prometheus-client).

One registry per app (not the library's global one), so several apps in one process — tests —
never share counts. Instruments are named for what an operator asks: how many calls are live,
how they end, how long callers wait for the bot's reply and for recognition, how much faster
than real time the recognizer runs, how deep its queue is, how often nothing matched, how the
prompt cache does, which errors and refusals happen, and the contact centre's queues. Process
CPU and memory come from the library's process collector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from asr.scheduler import FINAL, SPECULATIVE, STREAM

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUEUE_LEVELS = {STREAM: "stream", FINAL: "final", SPECULATIVE: "speculative"}
LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
RTF_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
UNDERRUN_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


Read = Callable[[], float | dict[str, float]]


class _Live(Collector):
    """Values read when scraped (live calls, decode queue, queues, the prompt cache's counts)
    rather than kept in step: a gauge, or a counter another object keeps, with one label."""

    def __init__(self) -> None:
        self.sources: dict[str, tuple[str, str, str, Read]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (doc, kind, label, read) in self.sources.items():
            family = (CounterMetricFamily(name, doc, labels=[label] if label else None)
                      if kind == "counter" else
                      GaugeMetricFamily(name, doc, labels=[label] if label else None))
            value = read()
            if isinstance(value, dict):
                for key, v in value.items():
                    family.add_metric([key], float(v))
            else:
                family.add_metric([], float(value))
            yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        self._live = _Live()
        r.register(self._live)
        self.calls = Counter("ivr_calls", "Calls ended, by outcome", ["outcome"], registry=r)
        self.turns = Counter("ivr_turns", "Caller turns, by what the bot did", ["action"],
                             registry=r)
        self.no_match = Counter("ivr_no_match", "Caller turns that matched nothing", registry=r)
        self.reply_latency = Histogram(
            "ivr_reply_latency_seconds", "End of caller speech to the first reply audio",
            buckets=LATENCY_BUCKETS, registry=r)
        self.asr_latency = Histogram(
            "ivr_asr_latency_seconds", "Decode time of one utterance", buckets=LATENCY_BUCKETS,
            registry=r)
        self.asr_queue_wait = Histogram(
            "ivr_asr_queue_wait_seconds", "Time a recognizer job waited for a decode thread, "
            "by kind (stream, final, speculative): in a burst of callers this, not the decode, "
            "is the delay", ["kind"], buckets=LATENCY_BUCKETS, registry=r)
        self.asr_rtf = Histogram("ivr_asr_real_time_factor", "Decode time / audio length",
                                 buckets=RTF_BUCKETS, registry=r)
        self.events = Counter("ivr_call_events", "Events recorded in calls (errors, refusals, "
                              "keys, barge-ins…), by kind", ["kind"], registry=r)
        self.tts_first_audio = Histogram(
            "ivr_tts_first_audio_seconds", "Text not in the prompt cache: request to its first "
            "clause's audio (playback starts then)", buckets=LATENCY_BUCKETS, registry=r)
        self.tts_rtf = Histogram(
            "ivr_tts_real_time_factor", "Text not in the prompt cache: synthesis time / audio "
            "length", buckets=RTF_BUCKETS, registry=r)
        self.playback_underrun = Histogram(
            "ivr_playback_underrun_seconds", "Silence a caller heard in the middle of the bot's "
            "utterance: the platform's queued audio ran out before the next message was sent",
            buckets=UNDERRUN_BUCKETS, registry=r)
        self.rejected = Counter("ivr_ws_rejected", "Websocket connections or messages refused",
                                ["reason"], registry=r)

    def observe_decode_start(self, level: int, waited_s: float) -> None:
        """A recognizer job left the decode queue (the pool's `on_start`)."""
        kind = QUEUE_LEVELS.get(level, "other")
        self.asr_queue_wait.labels(kind=kind).observe(waited_s)

    def observe_render(self, first_audio_s: float, synth_s: float, audio_s: float) -> None:
        """One text rendered by a voice (the prompt cache's `on_rendered`)."""
        self.tts_first_audio.observe(first_audio_s)
        if audio_s > 0:
            self.tts_rtf.observe(synth_s / audio_s)

    def live(self, name: str, doc: str, read: Read, *, kind: str = "gauge",
             label: str = "") -> None:
        """A value `read()` gives at scrape time (a dict when it has a `label`)."""
        self._live.sources[name] = (doc, kind, label, read)

    def render(self) -> bytes:
        return generate_latest(self.registry)
