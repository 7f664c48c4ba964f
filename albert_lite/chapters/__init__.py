"""What the chapters call beyond the package's core: experiments, profiling, sizing, surgery, exercises, widgets.

Import the module a chapter needs (``from albert_lite.chapters import experiments``); nothing
is imported here, so a chapter without widgets never loads anywidget.
"""
