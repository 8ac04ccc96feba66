"""Tests for dialog.tools.kbcli: `ivr kb check | eval | suggest` as the main CLI registers them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from dialog.tools.kbcli import add_kb_parser
from ivr.store import CallStore, TurnRecord, read_unresolved_utterances

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "intents.yaml"


def ivr(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ivr")
    add_kb_parser(parser.add_subparsers(title="commands"),
                  read_unresolved=read_unresolved_utterances)
    args = parser.parse_args(["kb", *argv])
    return int(args.func(args))


def test_check_the_shipped_kb(capsys: pytest.CaptureFixture[str]) -> None:
    assert ivr("check", "--kb", str(SHIPPED), "--strict") == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: 12 departments, ")
    assert "warning" not in out


def test_check_a_broken_kb_names_intent_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "intents.yaml"
    broken.write_text(SHIPPED.read_text("utf-8").replace("department: tax", "department: irs", 1),
                      encoding="utf-8")
    assert ivr("check", "--kb", str(broken)) == 2
    err = capsys.readouterr().err
    assert "intent 'tax_invoice'" in err and "'department'" in err and "irs" in err


def test_check_warnings_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = tmp_path / "intents.yaml"
    kb.write_text(SHIPPED.read_text("utf-8").replace("  confirm: 您是想咨询{a}吗？\n", ""),
                  encoding="utf-8")
    assert ivr("check", "--kb", str(kb)) == 0
    assert "warning: prompts: recommended prompt 'confirm' is missing" in capsys.readouterr().out
    assert ivr("check", "--kb", str(kb), "--strict") == 1


def test_eval_prints_metrics_confusions_and_timing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "eval.tsv"
    data.write_text("text\texpected\n社保卡丢了怎么补办\tsbk_reissue\n今天天气怎么样\tnone\n"
                    "发票怎么开\thpf_withdraw\n楼下烧烤店的油烟太大了\tdept:environment\n",
                    encoding="utf-8")
    assert ivr("eval", str(data), "--kb", str(SHIPPED), "--repeats", "2") == 0
    out = capsys.readouterr().out
    assert "accuracy                   0.750" in out
    assert "| p50 | p90 | p99 | max | matches |" in out and "| 8 |" in out
    assert "hpf_withdraw → tax_invoice: 1" in out
    assert ivr("eval", str(data), "--kb", str(SHIPPED), "--json", "--repeats", "0") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["metrics"]["routing_accuracy"] == 1.0
    assert payload["timing"] == {}


def test_eval_thresholds_are_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "eval.tsv"
    data.write_text("社保卡丢了怎么补办\tsbk_reissue\n", encoding="utf-8")
    ivr("eval", str(data), "--kb", str(SHIPPED), "--json", "--threshold", "1.01",
        "--clarify-threshold", "1.01", "--route-threshold", "1.01")
    assert json.loads(capsys.readouterr().out)["metrics"]["no_match_rate"] == 1.0


def test_eval_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("sentence1\tsentence2\tlabel\n还款银行怎么换\t怎么更换还款银行\t1\n"
                     "还款银行怎么换\t额度怎么提高\t0\n" * 2, encoding="utf-8")
    assert ivr("eval", str(pairs), "--pairs", "--json", "--pair-threshold", "0.3") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pairs"] == 4 and report["fixed_accuracy"] == 1.0


def test_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ivr("eval", str(tmp_path / "none.tsv")) == 2
    assert "no such file" in capsys.readouterr().err


def test_suggest_from_a_call_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "calls.sqlite3"
    store = CallStore(db)
    for n, text in enumerate(["养老院怎么申请入住", "养老院的入住条件是什么"]):
        store.add_turn("CA1", TurnRecord(text, None, 0.1, None, "none", "", float(n), None, None,
                                         None, None, None))
    store.close()
    assert ivr("suggest", "--db", str(db), "--kb", str(SHIPPED), "--json") == 0
    (proposal,) = json.loads(capsys.readouterr().out)
    assert proposal["kind"] == "new_intent" and proposal["count"] == 2
    assert ivr("suggest", "--db", str(db), "--kb", str(SHIPPED)) == 0
    assert capsys.readouterr().out.startswith("[2×] new intent?")
    assert ivr("suggest", "--db", str(tmp_path / "none.sqlite3"), "--kb", str(SHIPPED)) == 2
    assert capsys.readouterr().err == (
        f"ivr kb suggest: {tmp_path / 'none.sqlite3'}: no call database\n")


def test_kb_without_a_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert ivr() == 2
    assert "check" in capsys.readouterr().out
