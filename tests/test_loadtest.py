"""`ivr loadtest` against the session's real server (Whisper, the voice chain): two scripted
callers at once, each asking two recorded questions in real time; and its bounds."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr.bench.loadtest import check_loopback, counted_percentile, percentile, read_script
from ivr.cli import main
from tests.conftest import FIXTURES, REPO, TEST_ADMIN_KEY, RunningServer


def two_callers(server: RunningServer, script: str, capsys: pytest.CaptureFixture[str]
                ) -> tuple[dict[str, Any], str]:
    """`ivr loadtest` with two calls at once of `scripts/loadtest/<script>`: the level's
    JSON report and the progress printed on stderr."""
    code = main(["loadtest", "--url", server.ws, "--calls", "2", "--concurrency", "2",
                 "--script", str(REPO / "scripts" / "loadtest" / script),
                 "--api-key", TEST_ADMIN_KEY, "--max-seconds", "180", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [level] = [json.loads(line) for line in out.splitlines()]
    return level, err


def test_two_simultaneous_callers_are_answered_and_measured(
        server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    # each asks a question, then interrupts its answer with a second one (a barge-in)
    level, err = two_callers(server, "barge_in.json", capsys)
    assert level["concurrency"] == 2 and level["calls"] == 2 and level["failed"] == 0
    assert level["unanswered_turns"] == 0
    # a sanity bound, not a speed check: speed is the benchmark table's (docs/benchmarks.md)
    assert 0 < level["p50_s"] <= level["p95_s"] <= level["p99_s"] < 60
    assert level["intent_accuracy"] is not None and level["intent_accuracy"] >= 0.5
    assert level["server_rss_mb"] > 50 and level["server_cpu_s"] > 0
    assert level["client_cpu_s"] > 0
    assert level["max_frame_gap_ms"] is not None
    assert 0 < level["p99_frame_gap_ms"] <= level["max_frame_gap_ms"] + 1
    assert level["barge_ins_missed"] == 0 and 0 < level["barge_in_p50_ms"] < 5000
    after = level["server_after"]  # what a soak watches for leaks
    assert after["open_fds"] > 0 and after["threads"] > 1 and after["tasks"] >= 1
    assert "[c=2] 2/2 calls done, 0 failed" in err


def test_callers_who_hang_up_in_the_greeting_make_short_calls_one_after_another(
        server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    """The sequential soak's call (docs/benchmarks.md): connect, hear a second of the
    greeting, hang up; the server keeps no socket, thread or task of it."""
    code = main(["loadtest", "--url", server.ws, "--calls", "3", "--concurrency", "1",
                 "--script", str(REPO / "scripts" / "loadtest" / "hang_up_in_greeting.json"),
                 "--max-seconds", "120", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [level] = [json.loads(line) for line in out.splitlines()]
    assert level["calls"] == 3 and level["failed"] == 0 and level["unanswered_turns"] == 0
    assert level["p50_s"] is None  # no turn was asked for
    assert level["wall_s"] < 3 * 8  # each call shorter than the 8 s greeting it interrupts


@pytest.mark.parametrize("url", ["ws://10.0.0.1:8080", "ws://example.gov.cn"])
def test_only_this_machine_is_called(url: str) -> None:
    with pytest.raises(ValueError, match="this machine"):
        check_loopback(url)
    assert main(["loadtest", "--url", url]) == 2


def test_scripts_and_bounds(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    (tmp_path / "a.wav").write_bytes((FIXTURES / "hotline" / "A40_tel8k.wav").read_bytes())
    script.write_text(json.dumps([{"say": "a.wav", "expect": "human_agent"}, {"press": "0"}]))
    steps = read_script(script)
    assert steps[0].say == tmp_path / "a.wav" and steps[1].press == "0"
    script.write_text(json.dumps([{"say": "missing.wav"}]))
    with pytest.raises(ValueError, match="no such audio file"):
        read_script(script)
    script.write_text(json.dumps([{"say": "a.wav", "barge_after_s": 1.0}]))
    with pytest.raises(ValueError, match="a step before it"):
        read_script(script)  # nothing to interrupt yet
    script.write_text(json.dumps([{"say": "a.wav"}, {"say": "a.wav", "barge_after_s": 1.5}]))
    assert read_script(script)[1].barge_after_s == 1.5
    script.write_text(json.dumps([{"say": "a.wav"}, {"hang_up_after_s": 2}]))
    assert read_script(script)[1].hang_up_after_s == 2.0
    for bad in ([{"hang_up_after_s": 1}, {"say": "a.wav"}], [{"say": "a.wav",
                 "hang_up_after_s": 1}], [{"hang_up_after_s": -1}], [{"hang_up_after_s": "x"}]):
        script.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match="hang_up_after_s"):
            read_script(script)
    assert main(["loadtest", "--calls", "5000"]) == 2
    assert main(["loadtest", "--stagger", "-1"]) == 2
    assert main(["loadtest", "--concurrency", "0"]) == 2
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0


def test_gap_percentile_from_counts_per_millisecond() -> None:
    counts = [0] * 500
    counts[20] = 98  # 98 waits of 20.x ms, one of 45.x ms and one stall of 310.x ms
    counts[45] = 1
    counts[310] = 1
    assert counted_percentile(counts, 50) == 21
    assert counted_percentile(counts, 99) == 46
    assert counted_percentile(counts, 100) == 311
    assert counted_percentile([0] * 500, 99) is None


def test_a_step_may_give_each_caller_other_words(tmp_path: Path) -> None:
    """"say" as a list: caller n says the (n mod length)-th file and is scored against the
    intent beside it, so the callers of one level do not all end the same words at once."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.wav").write_bytes((FIXTURES / "hotline" / "A40_tel8k.wav")
                                               .read_bytes())
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"say": ["a.wav", "b.wav"], "expect": ["x", "y"]},
                                  {"say": "a.wav", "expect": "z"}]))
    steps = read_script(script)
    assert steps[0].clips() == [tmp_path / "a.wav", tmp_path / "b.wav"]
    said = [[(s.for_caller(n).say, s.for_caller(n).expect) for s in steps] for n in range(3)]
    assert said[0] == [(tmp_path / "a.wav", "x"), (tmp_path / "a.wav", "z")]
    assert said[1] == [(tmp_path / "b.wav", "y"), (tmp_path / "a.wav", "z")]
    assert said[2] == said[0]
    script.write_text(json.dumps([{"say": ["a.wav", "b.wav"], "expect": "x"}]))
    assert [s.expect for s in (read_script(script)[0].for_caller(n) for n in (0, 1))] == \
        ["x", "x"]
    for bad in ([{"say": ["a.wav", "b.wav"], "expect": ["x"]}], [{"say": ["a.wav", 3]}],
                [{"say": []}]):
        script.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match="step 1"):
            read_script(script)
    script.write_text(json.dumps([{"say": ["a.wav", "missing.wav"]}]))
    with pytest.raises(ValueError, match="no such audio file"):
        read_script(script)


def test_callers_asking_different_questions(
        server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    level, _ = two_callers(server, "varied_questions.json", capsys)
    assert level["failed"] == 0 and level["unanswered_turns"] == 0
    assert level["intent_accuracy"] is not None and level["intent_accuracy"] >= 0.5
    # the server's own count of silences heard mid-utterance (its 0.3 s lead ran out)
    assert isinstance(level["underruns"], int) and level["underruns"] >= 0
    assert level["underrun_s"] is not None and level["underrun_s"] >= 0
    # the server's decodes reported how long each waited for a decode thread
    with urllib.request.urlopen(server.http + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    waits = [s for f in text_string_to_metric_families(text) for s in f.samples
             if s.name == "ivr_asr_queue_wait_seconds_count"]
    assert sum(s.value for s in waits) >= 4 and {s.labels["kind"] for s in waits} <= {
        "stream", "final", "speculative", "other"}
