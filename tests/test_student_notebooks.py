"""The classroom copy keeps every exercise and leaks no solution."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scripts.student_notebooks import SOLUTION_BLOCK, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def solution_texts(notebook) -> list[str]:
    texts = []
    for cell in notebook.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            texts.append(cell.source)
        elif cell.cell_type == "markdown":
            texts += [m.group(0) for m in SOLUTION_BLOCK.finditer(cell.source)]
    return texts


def test_there_are_chapters():
    assert len(CHAPTERS) >= 3


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_three_exercises_with_solutions(path):
    notebook = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert markdown.count("{exercise}") >= 3
    assert len(solution_texts(notebook)) >= 3


def test_script_writes_copies_without_solutions(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "student_notebooks.py"), "--out", str(tmp_path),
         *map(str, CHAPTERS)],
        check=True, cwd=ROOT, capture_output=True,
    )
    for path in CHAPTERS:
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(tmp_path / path.name, as_version=4)
        student_text = "\n".join(c.source for c in student.cells)
        assert "{solution}" not in student_text
        assert not any("solution" in c.get("metadata", {}).get("tags", []) for c in student.cells)
        for text in solution_texts(original):
            body = text.strip().splitlines()
            inner = "\n".join(body[1:-1]).strip() if text.lstrip().startswith(("`", ":")) else text.strip()
            if len(inner) > 20:
                assert inner not in student_text, f"{path.name} leaks a solution"
        assert student_text.count("{exercise}") == "\n".join(c.source for c in original.cells).count("{exercise}")


def test_strip_solutions_on_a_small_notebook():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{exercise} Count\n:label: ex\nHow many?\n```\n\n"
                                      "```{solution} ex\n:class: dropdown\nFortytwo exactly.\n```\n"),
        nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print('kept')"),
    ])
    stripped, removed = strip_solutions(notebook)
    assert removed == 2
    assert [c.cell_type for c in stripped.cells] == ["markdown", "code"]
    assert "Fortytwo" not in stripped.cells[0].source and "How many?" in stripped.cells[0].source
