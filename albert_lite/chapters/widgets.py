"""Parameter-count widgets that work in the rendered book as well as in a notebook.

The counting runs in the browser (``static/parameter_widgets.mjs``, the same formulas as
:func:`albert_lite.params.count_parameters`), so the sliders answer on a static page with no
kernel. With a kernel the values sync both ways: set ``widget.hidden_size = 1024`` in Python and
the page redraws; move a slider and ``widget.config()`` follows. ``widget.total`` is the count
the page shows, for comparison with ``count_parameters(widget.config())``.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

from ..config import AlbertConfig
from ..params import count_parameters, factorized_embedding

ESM = (Path(__file__).parent / "static" / "parameter_widgets.mjs").read_text(encoding="utf-8")


class _ParameterWidget(anywidget.AnyWidget):
    _esm = ESM
    kind = traitlets.Unicode().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)  # written by the page: the count it displays

    def config(self) -> AlbertConfig:
        """The configuration the controls describe (ValueError when they describe none)."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """What ``count_parameters`` gives for the current values: the page must show the same."""
        return count_parameters(self.config())


class BertShapeWidget(_ParameterWidget):
    """Chapter 1: V, H, L and heads of a BERT shape (E = H, nothing shared) and its breakdown."""

    kind = traitlets.Unicode("bert_shape").tag(sync=True)
    vocab_size = traitlets.Int(30000).tag(sync=True)
    hidden_size = traitlets.Int(768).tag(sync=True)
    num_layers = traitlets.Int(12).tag(sync=True)
    num_heads = traitlets.Int(12).tag(sync=True)

    def config(self) -> AlbertConfig:
        return AlbertConfig(vocab_size=self.vocab_size, embedding_size=self.hidden_size, hidden_size=self.hidden_size,
                            num_layers=self.num_layers, num_heads=self.num_heads, sharing="none")


class EmbeddingWidget(_ParameterWidget):
    """Chapter 2: V x H against V x E + E x H, and the compression ratio."""

    kind = traitlets.Unicode("embedding").tag(sync=True)
    vocab_size = traitlets.Int(30000).tag(sync=True)
    embedding_size = traitlets.Int(128).tag(sync=True)
    hidden_size = traitlets.Int(768).tag(sync=True)

    def config(self) -> AlbertConfig:
        return AlbertConfig(vocab_size=self.vocab_size, embedding_size=self.embedding_size,
                            hidden_size=self.hidden_size, num_heads=1)

    def article_sizes(self) -> dict[str, float]:
        """The article's comparison, weights only: the two tables and their ratio."""
        v, e, h = self.vocab_size, self.embedding_size, self.hidden_size
        albert = factorized_embedding(v, e, h)
        return {"V x H": v * h, "V x E + E x H": albert, "ratio": albert / (v * h)}


class SharingWidget(_ParameterWidget):
    """Chapter 3: a sharing strategy, the group size M and L on ALBERT-base's widths."""

    kind = traitlets.Unicode("sharing").tag(sync=True)
    sharing = traitlets.Unicode("all").tag(sync=True)
    num_layers = traitlets.Int(12).tag(sync=True)
    group_size = traitlets.Int(12).tag(sync=True)
    embedding_size = traitlets.Int(128).tag(sync=True)

    def config(self) -> AlbertConfig:
        return AlbertConfig(vocab_size=30000, embedding_size=self.embedding_size, hidden_size=768, num_heads=12,
                            num_layers=self.num_layers, sharing=self.sharing, group_size=self.group_size)
