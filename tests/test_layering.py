"""The import graph keeps its layers: pcm below asr and dialog, both below ivr, tools beside.

Read from the source with `ast` (imports inside functions count too), so a shortcut that
would pull the server into the recognizer, or evaluation code into a running call, fails
here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

# package -> top-level packages it may never import
FORBIDDEN = {
    "pcm": {"asr", "dialog", "ivr"},
    "asr": {"dialog", "ivr"},
    "dialog": {"asr", "ivr"},
}
# runtime packages and the tooling subpackage they must not import
TOOLS = {"asr": "asr.tools", "dialog": "dialog.tools"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package: str) -> None:
    offences = [f"{path.relative_to(REPO)} imports {name}"
                for path in _modules(package) for name in sorted(_imports(path))
                if name.split(".")[0] in FORBIDDEN[package]]
    assert offences == []


@pytest.mark.parametrize("package", sorted(TOOLS))
def test_runtime_never_imports_its_tooling(package: str) -> None:
    tools = TOOLS[package]
    runtime = [p for p in _modules(package) if "tools" not in p.relative_to(REPO).parts]
    offences = [f"{path.relative_to(REPO)} imports {name}"
                for path in runtime for name in sorted(_imports(path))
                if name == tools or name.startswith(tools + ".")]
    assert runtime and offences == []


def test_the_server_runtime_never_imports_tooling() -> None:
    """Only the command line wires tools in; a call never loads evaluation or training code."""
    runtime = [p for p in _modules("ivr")
               if p.name != "cli.py" and "bench" not in p.relative_to(REPO).parts]
    offences = [f"{path.relative_to(REPO)} imports {name}"
                for path in runtime for name in sorted(_imports(path))
                if any(name == t or name.startswith(t + ".") for t in TOOLS.values())]
    assert offences == []
