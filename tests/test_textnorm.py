"""Transcript normalisation (simplified script, boilerplate, spacing) and CER values."""

from __future__ import annotations

import pytest

from asr.textnorm import cer, normalize_transcript, scoring_text, to_simplified


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("我在外地住院花的錢一寶能報銷嗎?", "我在外地住院花的钱一宝能报销吗?"),
        ("轉人工", "转人工"),
        ("辦事大廳幾點上班", "办事大厅几点上班"),
        ("今天天氣怎麼樣？", "今天天气怎么样？"),
        ("已经是简体", "已经是简体"),
        ("", ""),
    ],
)
def test_to_simplified(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  轉 人工  ", "转人工"),
        ("辦事 大廳 幾點 上班", "办事大厅几点上班"),
        ("不好意思 我没听清楚 你能再说一次吗?", "不好意思我没听清楚你能再说一次吗?"),
        ("嗯,是,這樣", "嗯,是,这样"),
        ("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", ""),
        ("請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目", ""),
        ("字幕by索兰娅", ""),
        ("转人工\n字幕由Amara.org社区提供", "转人工"),
        ("谢谢观看", ""),
        ("我要投诉 ABC 公司", "我要投诉 ABC 公司"),  # spaces next to Latin words stay
        ("call  me   back", "call me back"),
    ],
)
def test_normalize_transcript(raw: str, clean: str) -> None:
    assert normalize_transcript(raw) == clean


def test_normalize_keeps_ordinary_thanks() -> None:
    assert normalize_transcript("好的，谢谢，再见。") == "好的，谢谢，再见。"


@pytest.mark.parametrize(
    ("raw", "scored"),
    [
        # the CI case of issue 8: the same words, punctuated differently by two decodes
        ("不好意思,我没听清楚你能再说一次吗?", "不好意思我没听清楚你能再说一次吗"),
        ("不好意思，我没听清楚，你能再说一次吗？", "不好意思我没听清楚你能再说一次吗"),
        ("轉 人工。", "转人工"),  # traditional script, spaces
        ("ＡＢＣ　１２３，我要", "abc123我要"),  # full-width letters, digits, space, comma
        ("Hello, World!", "helloworld"),
        ("안녕 하세요", "안녕하세요"),
        ("+86 ¥100", "86100"),  # symbols go, digits stay
        ("字幕by索兰娅", "字幕by索兰娅"),  # boilerplate is scored, not dropped
        ("", ""),
    ],
)
def test_scoring_text(raw: str, scored: str) -> None:
    assert scoring_text(raw) == scored
    assert scoring_text(scored) == scored  # idempotent


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [
        ("转人工。", "转人宫", 1 / 3),  # one substitution in three characters
        ("我在外地住院花的钱，医保能报销吗？", "我在外地住院花的钱一宝能报销吗?", 2 / 15),
        ("医保报销", "醫保報銷", 0.0),  # traditional vs simplified is not an error
        ("是的。", "是的", 0.0),  # punctuation is ignored
        ("不是", "不是的", 0.5),  # one insertion over two reference characters
        ("办事大厅", "", 1.0),
        ("", "", 0.0),
        ("", "嗯", 1.0),
        ("OK", "ok", 0.0),
    ],
)
def test_cer_known_values(ref: str, hyp: str, expected: float) -> None:
    assert cer(ref, hyp) == pytest.approx(expected)


def test_syllable_error_ignores_tones_and_homophones() -> None:
    from asr.textnorm import syllable_error, toneless_syllables

    assert toneless_syllables("医保报销。") == ["yi", "bao", "bao", "xiao"]
    assert syllable_error("医保报销", "医保报消") == 0.0  # same sounds, other characters
    assert syllable_error("医保报销", "医报销") == 0.25
    assert syllable_error("", "") == 0.0 and syllable_error("", "好") == 1.0
