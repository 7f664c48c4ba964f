"""A number in a chapter's prose comes from a run (glued or printed) or is a figure of the paper or the article.

Typed by hand, a measured number goes stale the day a chapter is re-run. The prose may carry only numbers that its
chapter's code or outputs show, or that ``albert_lite.chapters.paper`` keeps as the paper's and the article's figures.
Exercises and their solutions are worked examples on given inputs, and math is arithmetic the reader can redo: both
are exempt. Numbers here are the measurement-like ones: with a thousands separator or a decimal point, followed by %,
or of four digits and more.
"""

import json
import re
from pathlib import Path

import pytest

from albert_lite.chapters import paper

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?=\s?%)|\d{4,})(?!\w)")
EXEMPT = [
    # exercises, solutions and code blocks, each up to a fence as long as its own (a solution may hold code)
    re.compile(r"(`{3,4})(?:\{(?:exercise|solution)\}|[a-z]*\n).*?\1(?!`)", re.S),
    re.compile(r"\$\$.*?\$\$", re.S), re.compile(r"\$[^$\n]+\$"),  # math
    re.compile(r"`[^`\n]+`"),  # code and roles ({glue:text}`name`, {cite}`key`)
    re.compile(r"\]\([^)]*\)"), re.compile(r"https?://\S+"),  # link targets
]


def numbers(text: str) -> set[str]:
    return {m.replace(",", "") for m in NUMBER.findall(text)}


def figures() -> set[str]:
    """Every number the package keeps as a figure of the paper or the article."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple, set)):
            for v in value:
                walk(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            found.update(_forms(float(value)))
        elif isinstance(value, str):
            found.update(numbers(value))

    for name in dir(paper):
        if name.isupper():
            walk(getattr(paper, name))
    return found


def _forms(x: float) -> set[str]:
    return {f"{x:.{d}f}" for d in range(4)} | ({str(int(x))} if x == int(x) else set())


def backed(notebook: dict) -> set[str]:
    seen = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        seen.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            seen.append("".join(output.get("text", "")))
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/"):
                    seen.append("".join(value) if isinstance(value, list) else str(value))
    found = numbers("\n".join(seen))
    for n in list(found):
        found |= _forms(float(n))
    return found | figures()


def prose(cell: dict) -> str:
    text = "".join(cell["source"])
    for pattern in EXEMPT:
        text = pattern.sub(" ", text)
    return text


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_number_in_the_prose_is_glued_printed_or_a_cited_figure(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    allowed = backed(notebook)
    typed, in_solution = {}, False
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        in_solution = in_solution or "{solution-start}" in source  # a solution may span several cells
        if cell["cell_type"] == "markdown" and not in_solution:
            loose = sorted(n for n in numbers(prose(cell)) if n not in allowed)
            if loose:
                typed[index] = loose
        in_solution = in_solution and "{solution-end}" not in source
    assert not typed, f"{path.name}: numbers typed into the prose (cell: numbers): {typed}"


def test_the_check_catches_a_typed_measurement():
    notebook = {"cells": [{"cell_type": "code", "source": ["print(0.5)"], "outputs": []},
                          {"cell_type": "markdown", "source": ["The model scores 73.4% here."]}]}
    assert numbers(prose(notebook["cells"][1])) - backed(notebook) == {"73.4"}
    exempt = {"cell_type": "markdown", "source": ["$12{,}345$ and `0.1234` and ```{exercise} x\n73.4%\n```"]}
    assert not numbers(prose(exempt)) - backed(notebook)
