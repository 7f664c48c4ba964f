"""The classroom copy keeps every exercise and leaks no solution."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scripts.student_notebooks import SOLUTION_BLOCK, SOLUTION_END, SOLUTION_START, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def solution_texts(notebook) -> list[str]:
    """Every solution in the chapter, in each syntax the chapters use, found independently of the script."""
    texts, inside = [], False
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type == "markdown" and SOLUTION_START.search(source):
            inside = True
            texts.append("")
        if inside:
            texts[-1] += "\n" + source
            inside = not (cell.cell_type == "markdown" and SOLUTION_END.search(source))
        elif "solution" in cell.get("metadata", {}).get("tags", []):
            texts.append(source)
        elif cell.cell_type == "markdown":
            texts += [m.group(0) for m in SOLUTION_BLOCK.finditer(source)]
    return texts


def solution_lines(text: str) -> list[str]:
    """The lines of a solution that only a solution would contain (not fences, options or blank lines)."""
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if len(line) > 25 and not line.startswith(("```", ":::", ":class:"))]


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
        solutions = solution_texts(original)
        elsewhere = "\n".join(c.source for c in original.cells if not any(c.source in t for t in solutions))
        leaked = [line for text in solutions for line in solution_lines(text)
                  if line in student_text and line not in elsewhere]
        assert not leaked, f"{path.name} leaks a solution: {leaked[0]!r}"
        assert "{solution-start}" not in student_text and "{solution-end}" not in student_text
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


def test_a_solution_spread_over_untagged_cells_is_removed():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{exercise} Count\n:label: ex\nHow many?\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex\n:class: dropdown\n```\nFortytwo, written out."),
        nbformat.v4.new_code_cell("print(42)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\nThe next section."),
    ])
    stripped, removed = strip_solutions(notebook)
    text = "\n".join(c.source for c in stripped.cells)
    assert removed == 1
    assert "Fortytwo" not in text and "print(42)" not in text and "solution-" not in text
    assert "How many?" in text and "The next section." in text


def test_an_unclosed_solution_is_an_error():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("```{solution-start} ex\n```\nno end")])
    with pytest.raises(ValueError, match="solution-end"):
        strip_solutions(notebook)
