"""Run by `make nbval-ipywidgets7`: proves that run really used ipywidgets 7.7 (Colab's version)."""

import os

import ipywidgets


def test_widget_chapters_run_under_ipywidgets_7():
    assert os.environ.get("PYTHONPATH"), "run through `make nbval-ipywidgets7`"
    assert ipywidgets.__version__.startswith("7.7"), ipywidgets.__version__
