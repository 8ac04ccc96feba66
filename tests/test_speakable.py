"""ivr.speakable: literal expectations of what the bot says for written text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.speakable import PAUSE_S, Clause, clauses, parse_terms, speakable, spell
from ivr.speakable.numbers import cardinal, decimal, money


@pytest.mark.parametrize(("n", "spoken"), [
    (0, "零"), (2, "二"), (10, "十"), (15, "十五"), (20, "二十"), (105, "一百零五"),
    (110, "一百一十"), (1005, "一千零五"), (1234, "一千二百三十四"), (10000, "一万"),
    (12000, "一万二千"), (12333, "一万二千三百三十三"), (100500, "十万零五百"),
    (100000005, "一亿零五"), (3000000, "三百万"),
])
def test_cardinal(n: int, spoken: str) -> None:
    assert cardinal(n) == spoken


def test_decimal_and_money() -> None:
    assert decimal("3.5") == "三点五"
    assert decimal("0.05") == "零点零五"
    assert money("100") == "一百元"
    assert money("12.50") == "十二元五角"
    assert money("3.05") == "三元零五分"
    assert money("0.05") == "五分"


@pytest.mark.parametrize(("written", "spoken"), [
    # hotlines and phone numbers: digit by digit, 幺 for 1
    ("请拨打12345。", "请拨打幺二三四五。"),
    ("可以在全国12315平台提交", "可以在全国幺二三幺五平台提交"),
    ("掌上12333", "掌上幺二三三三"),
    ("手机13912345678", "手机幺三九、幺二三四、五六七八"),
    ("电话010-12345678", "电话零幺零、幺二三四五六七八"),
    ("拨打110", "拨打幺幺零"),
    ("400-810-1234", "四零零、八幺零、幺二三四"),
    # ID and card numbers in groups
    ("身份证号11010519491231002X", "身份证号幺幺零幺零五、幺九四九幺二三幺、零零二艾克斯"),
    ("卡号6222021234567890", "卡号六二二二、零二幺二、三四五六、七八九零"),
    # amounts, money, percentages
    ("工资12000元", "工资一万二千元"),
    ("费用12.50元", "费用十二元五角"),
    ("¥100", "一百元"),
    ("一般在5%到12%之间", "一般在百分之五到百分之十二之间"),
    ("利率3.25%", "利率百分之三点二五"),
    ("3.5万元", "三点五万元"),
    ("1,200人", "一千二百人"),
    # dates, times, ordinals, counts
    ("2024年3月5日", "二零二四年三月五日"),
    ("2024-03-05", "二零二四年三月五日"),
    ("上午9:00-12:00", "上午九点到十二点"),
    ("下午2:30到17:05", "下午两点半到十七点零五分"),
    ("第2次", "第二次"),
    ("2个工作日", "两个工作日"),
    ("5-7个工作日", "五到七个工作日"),
    ("三十日内", "三十日内"),
    # keys
    ("转人工请按0。", "转人工请按零。"),
    ("按#键结束", "按井号键结束"),
    ("请按*号键返回", "请按星号键返回"),
    ("输入后按#", "输入后按井号键"),
    # Latin terms
    ("政务服务APP或小程序", "政务服务手机应用或小程序"),
    ("下载app", "下载手机应用"),
    ("用网站、手机APP办理", "用网站、手机应用办理"),  # not 手机手机应用
    ("在手机公积金APP查询", "在手机公积金手机应用查询"),  # 手机 not just before it
    ("保存为PDF", "保存为批迪艾弗"),
    ("连接Wi-Fi", "连接无线网络"),
    # full-width forms, brackets, symbols, and what cannot be spoken
    ("拨打１２３４５", "拨打幺二三四五"),
    ("工作日办公（示例内容，请按本地情况修改）", "工作日办公，示例内容，请按本地情况修改，"),
    ("社保&医保", "社保和医保"),
    ("😀好的~", "好的"),
    ("", ""),
])
def test_speakable(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_configured_terms_override_the_defaults() -> None:
    terms = parse_terms("APP=letters, ETC=电子不停车收费")
    assert speakable("APP和ETC", terms) == "诶批批和电子不停车收费"
    assert spell("A4") == "诶四"
    with pytest.raises(ValueError, match="TERM=reading"):
        parse_terms("APP")


def test_no_character_survives_that_a_voice_could_choke_on() -> None:
    every = "".join(chr(c) for c in range(32, 0x3100)) + "\u0000\ufeff\U0001F600#*%$"
    out = speakable(every)
    assert all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch in "，。！？；：、"
               for ch in out)


def test_clauses_carry_pauses_by_punctuation() -> None:
    spoken = speakable("您好，这里是政务服务热线。请说出您的问题、需求；谢谢！")
    assert clauses(spoken) == [
        Clause("您好", PAUSE_S["，"]), Clause("这里是政务服务热线", PAUSE_S["。"]),
        Clause("请说出您的问题", PAUSE_S["、"]), Clause("需求", PAUSE_S["；"]),
        Clause("谢谢", 0.0),
    ]
    assert max(PAUSE_S.values()) < 0.2  # shorter than the fixed 0.2 s gaps of before


def test_a_long_first_clause_is_cut_after_a_function_word() -> None:
    parts = clauses("医保报销需要携带身份证社保卡和医院发票原件到参保地医保经办机构办理")
    # no function word early on: the short first piece ends at a word boundary (fast first
    # audio); the rest is one clause
    assert [c.text for c in parts] == ["医保报销需要携带身份证社保卡",
                                       "和医院发票原件到参保地医保经办机构办理"]
    first = clauses("缴存公积金的职工买自住房，可以申请公积金贷款。")[0]
    assert first.text == "缴存公积金的职工买自住房"
    assert all(len(c.text) <= 30 for c in clauses("一二三四五六七八九十" * 5))
    # a later clause too long to render at once is cut at a word boundary, not mid-word
    long = clauses("好的。中华人民共和国国家发展改革委员会中华人民共和国财政部中华人民共和国教育部")
    assert [c.text for c in long] == [
        "好的", "中华人民共和国国家发展改革委员会中华人民共和国财政部", "中华人民共和国教育部"]
    # a function word inside a word is no place to cut (the 和 of 共和国)
    repeated = "中华人民共和国和" * 4
    assert clauses("好的。" + repeated)[1].text == repeated[:24]


def test_the_server_loads_the_word_segmenter_before_any_call() -> None:
    """With every prompt on disk the server renders nothing at start-up; the first uncached
    text in a call would then wait ~0.7 s for jieba's dictionary (seen in `ivr bench tts`).
    A fresh process, so no other test has loaded it already."""
    code = ("import jieba; from ivr.services import speech_for; "
            "assert not jieba.dt.initialized; speech_for(''); print(jieba.dt.initialized)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
