"""Write a classroom copy of the chapters with every solution removed.

A solution is a code cell tagged ``solution`` or a ``{solution}`` block in a markdown cell.
Outputs of the remaining cells are kept, except in cells that follow a removed solution.
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


def strip_solutions(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return the notebook without solutions, and how many were removed."""
    removed = 0
    kept = []
    for cell in notebook.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            removed += 1
            continue
        if cell.cell_type == "markdown":
            text, count = SOLUTION_BLOCK.subn("", cell.source)
            if count:
                removed += count
                cell.source = text.rstrip() + "\n\n*The solution is in the teacher's edition.*\n"
        kept.append(cell)
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
