"""Ship MathJax inside the rendered book, so equations render with no internet.

MathJax 2.7 comes from the ``jupyter-server-mathjax`` package; ``mathjax_path`` in
``_config.yml`` points at the copy this extension places under ``_static/mathjax``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jupyter_server_mathjax

SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"


def copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copytree(SOURCE, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
