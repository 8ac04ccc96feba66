"""dialog.offices: which department's office a caller named outright."""

from __future__ import annotations

import pytest

from dialog.offices import OfficeIndex

OFFICES = [("education", ["教育局"]), ("public_security", ["派出所", "交警", "交警大队"]),
           ("hrss", ["社保局", "人社局"]), ("housing", ["城管"])]


@pytest.mark.parametrize(("text", "named"), [
    ("教育局拖欠老师工资", "education"),
    ("我去派出所开证明", "public_security"),
    ("交警大队乱罚款", "public_security"),  # 交警大队 holds 交警: one office
    ("社保局让我去派出所开证明", None),  # two departments named: not settled here
    ("人社局和社保局都不管", "hrss"),  # two offices of one department
    ("我想问问怎么交社保", None),
    ("", None),
])
def test_the_one_department_named(text: str, named: str | None) -> None:
    assert OfficeIndex(OFFICES, lambda t: t).named(text) == named


def test_names_are_folded_as_the_caller_s_words_are() -> None:
    """The knowledge base's synonym folding applies to the office names too."""
    fold = {"警察局": "公安局"}
    index = OfficeIndex([("public_security", ["警察局"])], lambda t: fold.get(t, t))
    assert index.named("公安局不给立案") == "public_security"
    assert OfficeIndex([("x", [""])], lambda t: t).named("任何话") is None
