"""Write a classroom copy of the chapters with every solution removed.

The chapters write solutions in three ways, and each is removed:

- a ``{solution}`` block inside a markdown cell;
- a ``{solution-start}`` ... ``{solution-end}`` pair and every cell between them (tagged or not);
- any cell tagged ``solution``.

Usage: python scripts/student_notebooks.py [--out student_notebooks] [notebooks/*.ipynb]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

# A MyST solution block: ```{solution} label ... ``` (three or more backticks or colons).
SOLUTION_BLOCK = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)
# The directives that open and close a solution spanning several cells.
SOLUTION_START = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-start\}", re.M)
SOLUTION_END = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-end\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)
PLACEHOLDER = "*The solution is in the teacher's edition.*"


def strip_solutions(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return the notebook without solutions, and how many were removed."""
    removed = 0
    kept = []
    inside = False  # between a {solution-start} and its {solution-end}
    for cell in notebook.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if inside:
            end = SOLUTION_END.search(text)
            if end is None:
                continue
            inside = False
            cell.source = text[end.end():]  # what follows the closing directive stays
            if not cell.source.strip():
                continue
        elif "solution" in cell.get("metadata", {}).get("tags", []) and not SOLUTION_START.search(text):
            removed += 1
            continue
        if cell.cell_type == "markdown":
            cell.source, count = SOLUTION_BLOCK.subn("", cell.source)
            start = SOLUTION_START.search(cell.source)
            if start is not None:
                before, after = cell.source[:start.start()], cell.source[start.start():]
                end = SOLUTION_END.search(after)
                cell.source = before + (after[end.end():] if end else "")
                inside = end is None
                count += 1
            if count:
                removed += count
                tags = cell.get("metadata", {}).get("tags", [])
                if "solution" in tags:  # what stays of the cell is the exercise, not a solution
                    tags.remove("solution")
                cell.source = cell.source.rstrip() + f"\n\n{PLACEHOLDER}\n"
        kept.append(cell)
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    notebook.cells = kept
    return notebook, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student_notebooks"))
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks found: run from the repository root or name them")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        notebook, removed = strip_solutions(nbformat.read(path, as_version=4))
        nbformat.write(notebook, args.out / path.name)
        print(f"{path.name}: {removed} solution(s) removed -> {args.out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
