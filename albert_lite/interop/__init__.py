"""The bridge to Hugging Face transformers: conversion both ways, the Hub, and a BERT shipped as a package.

``transformers`` is imported only when a function here needs it.
"""

from .convert import config_from_transformers, config_to_transformers, from_transformers, to_transformers

__all__ = ["config_from_transformers", "config_to_transformers", "from_transformers", "to_transformers"]
