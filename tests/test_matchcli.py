"""Tests for dialog.tools.matchcli (`ivr match`), driven through StringIO streams."""

from __future__ import annotations

import argparse
import json
from io import StringIO
from pathlib import Path

import pytest

from dialog.tools.matchcli import PACKAGED_KB, add_match_arguments, default_kb_path, run_match

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str] | argparse.Namespace, stdin: str = "") -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    status = run_match(args, StringIO(stdin), out, err)
    return status, out.getvalue(), err.getvalue()


def test_json_prints_exactly_one_line() -> None:
    status, out, err = run(["我在外地住院花的钱一宝能报销吗", "--json"])
    assert (status, err) == (0, "")
    assert out.endswith("\n") and out.count("\n") == 1
    payload = json.loads(out)
    assert list(payload) == ["intent", "score", "department", "action", "candidates", "signals"]
    assert payload["intent"] == "medical_reimburse"
    assert payload["department"] == "medical_insurance"
    assert payload["action"] == "answer"
    assert 0.5 <= payload["score"] <= 1.0


def test_kb_option() -> None:
    path = REPO / "intents.yaml"
    status, out, _ = run(["--kb", str(path), "--json", "转人工"])
    assert status == 0
    payload = json.loads(out)
    assert (payload["intent"], payload["department"], payload["action"]) == (
        "human_agent", "gov_service", "transfer")


def test_clarify_and_routing_in_json() -> None:
    _, out, _ = run(["--json", "-"], stdin="社保卡丢了还有公积金怎么取\n这条街的下水道堵了好几天\n")
    clarify, routed = (json.loads(line) for line in out.splitlines())
    assert (clarify["intent"], clarify["action"]) == (None, "clarify")
    assert [c["intent"] for c in clarify["candidates"]] == ["sbk_reissue", "hpf_withdraw"]
    assert (routed["intent"], routed["action"], routed["department"]) == (
        None, "transfer", "housing")
    assert routed["signals"]["route"] == routed["score"]


def test_readable_clarify_and_routing() -> None:
    assert run(["社保卡丢了还有公积金怎么取"])[1].startswith("clarify: sbk_reissue (0.")
    assert run(["这条街的下水道堵了好几天"])[1].startswith("route department=housing score=")


def test_no_match_is_null_in_json() -> None:
    status, out, _ = run(["今天天气怎么样", "--json"])
    payload = json.loads(out)
    assert status == 0
    assert (payload["intent"], payload["department"], payload["action"]) == (None, None, "none")
    assert '"intent": null' in out


def test_stdin_gives_one_line_per_input_line() -> None:
    lines = ["转人工", "", "不是", "营业执照怎么办", "讲个笑话"]
    status, out, _ = run(["--json", "-"], stdin="\n".join(lines) + "\n")
    results = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [r["intent"] for r in results] == [
        "human_agent", None, "no", "biz_license", None,
    ]


def test_stdin_without_trailing_newline_and_crlf() -> None:
    _, out, _ = run(["--json", "-"], stdin="是的\r\n再见")
    assert [json.loads(line)["intent"] for line in out.splitlines()] == ["yes", "goodbye"]


def test_readable_output_without_json() -> None:
    status, out, _ = run(["社保卡丢了怎么补办"])
    assert status == 0
    assert out.startswith("sbk_reissue score=0.")
    assert "action=answer department=hrss" in out
    assert run(["讲个笑话"])[1].startswith("no match (score ")
    assert "ask which area" not in run(["讲个笑话"])[1]
    declined = run(["请求整顿步行街的商户"])[1]
    assert declined.startswith("no match (score ") and "; ask which area: market (" in declined


def test_broken_kb_exits_2_naming_the_problem(tmp_path: Path) -> None:
    kb = tmp_path / "intents.yaml"
    kb.write_text(
        (REPO / "intents.yaml").read_text("utf-8").replace("department: tax", "department: irs"),
        encoding="utf-8",
    )
    status, out, err = run(["--kb", str(kb), "--json", "发票怎么开"])
    assert (status, out) == (2, "")
    assert "tax_invoice" in err and "irs" in err


def test_missing_kb_exits_2(tmp_path: Path) -> None:
    status, out, err = run(["--kb", str(tmp_path / "none.yaml"), "发票"])
    assert (status, out) == (2, "")
    assert "not found" in err


def test_missing_text_is_a_usage_error() -> None:
    status, out, err = run([])
    assert (status, out) == (2, "")
    assert "usage:" in err


def test_help_goes_to_stdout() -> None:
    status, out, _ = run(["--help"])
    assert status == 0
    assert "--kb" in out and "--json" in out


def test_threshold_option() -> None:
    _, out, _ = run(["--threshold", "1.01", "--json", "转人工"])
    assert json.loads(out)["intent"] is None


def test_accepts_a_namespace_from_the_main_cli() -> None:
    parser = argparse.ArgumentParser(prog="ivr")
    sub = parser.add_subparsers(dest="command")
    add_match_arguments(sub.add_parser("match"))
    status, out, _ = run(parser.parse_args(["match", "--json", "-"]), stdin="拜拜\n")
    assert status == 0
    assert json.loads(out)["intent"] == "goodbye"


def test_default_kb_prefers_the_working_directory(tmp_path: Path) -> None:
    assert default_kb_path(tmp_path) == PACKAGED_KB
    assert PACKAGED_KB == REPO / "intents.yaml"
    (tmp_path / "intents.yaml").write_text("x: 1\n", encoding="utf-8")
    assert default_kb_path(tmp_path) == tmp_path / "intents.yaml"


def test_default_kb_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "intents.yaml").write_text("language: [\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, _, err = run(["--json", "发票"])
    assert status == 2
    assert "invalid YAML at line" in err


def test_accepts_a_namespace_without_our_optional_options() -> None:
    # The main CLI may define only text/--json/--kb on its own `match` subparser.
    status, out, _ = run(argparse.Namespace(text="转人工", json=True, kb=None))
    assert status == 0
    assert json.loads(out)["intent"] == "human_agent"
    status, _, err = run(argparse.Namespace(text=None, json=True, kb=None))
    assert status == 2 and "usage:" in err


def test_router_model_routes_as_calls_do(tmp_path: Path) -> None:
    from dialog.intents import load_knowledge_base
    from dialog.tools.department_training import read_examples, train_model

    kb = load_knowledge_base(REPO / "intents.yaml")
    model = train_model(read_examples(REPO / "tests/data/routed_sample.tsv", kb)[0])
    model.phone_blend = 0.4  # this made-up city sends restaurant fumes to urban management
    path = tmp_path / "router.json"
    model.save(path)
    fumes = "楼下饭店的油烟太呛了"
    plain = json.loads(run(["--json", fumes])[1])
    status, out, err = run(["--json", "--router-model", str(path), fumes])
    learned = json.loads(out)
    assert (status, err) == (0, "")
    assert plain["department"] == "environment" and learned["department"] == "housing"
    assert learned["signals"]["route_learned"] > 0.5
    model.phone_blend = None  # a file from before calls used the model
    model.save(path)
    status, out, err = run(["--router-model", str(path), fumes])
    assert (status, out) == (2, "") and "train it again" in err
