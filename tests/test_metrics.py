"""`GET /metrics` (ivr.metrics) after real in-process calls: the counts follow what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import TwilioCaller, app_with_fakes, shared_kb_holder


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": ""})  # open, no key
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_counts_follow_the_calls(tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder, l16_token="l16-token-for-test") as (client, world):
        before = _samples(client)
        assert before[("ivr_active_calls", ())] == 0
        assert ("process_resident_memory_bytes", ()) in before
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAmetrics")
            caller.dial()
            assert _samples(client)[("ivr_active_calls", ())] == 1
            caller.ask("社保卡丢了怎么补办")
            caller.hear()
            caller.hear()
            caller.ask("今天天气怎么样")
            caller.hear()
            caller.stop()
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/l16/media") as l16:
            l16.receive_text()
        after = _samples(client)
    assert after[("ivr_active_calls", ())] == 0
    ended = {labels: v for (name, labels), v in after.items() if name == "ivr_calls_total"}
    assert ended == {(("outcome", "answered"),): 1.0}  # a question was answered, then stop
    assert after[("ivr_turns_total", (("action", "answer"),))] == 1
    assert after[("ivr_no_match_total", ())] == 1
    assert after[("ivr_reply_latency_seconds_count", ())] == 2
    assert after[("ivr_asr_latency_seconds_count", ())] == 2
    # the fake voice has no prompt cache: the voice's timings are exposed, with nothing in them
    assert after[("ivr_tts_first_audio_seconds_count", ())] == 0
    assert after[("ivr_tts_real_time_factor_count", ())] == 0
    assert ("ivr_playback_underrun_seconds_count", ()) in after  # silences heard mid-utterance
    assert after[("ivr_call_events_total", (("kind", "stop"),))] == 1
    rejected = [v for (name, labels), v in after.items() if name == "ivr_ws_rejected_total"]
    assert rejected == [1.0]


def test_decode_queue_waits_are_a_histogram_by_kind() -> None:
    from asr.scheduler import FINAL, SPECULATIVE
    from ivr.metrics import Metrics

    metrics = Metrics()
    metrics.observe_decode_start(FINAL, 0.4)
    metrics.observe_decode_start(FINAL, 2.5)
    metrics.observe_decode_start(SPECULATIVE, 0.0)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(metrics.render().decode())
               for s in f.samples}
    assert samples[("ivr_asr_queue_wait_seconds_count", (("kind", "final"),))] == 2
    assert samples[("ivr_asr_queue_wait_seconds_bucket", (("kind", "final"), ("le", "0.5")))] \
        == 1
    assert samples[("ivr_asr_queue_wait_seconds_count", (("kind", "speculative"),))] == 1
