"""The book's own pretrained models: trained once for hours, shipped with the package, loaded offline.

``names()`` lists them, ``load(name)`` returns the model (in eval mode), its tokenizer and its card: the
recipe, the held-out speeches, the learning curve, the [MASK]-position accuracy beside the unigram and
neighbour-table baselines (with n and standard errors), the device, the wall time and the tokens read.
Every file is checked against the SHA-256 sums in the model's manifest before it is used.
"""

from .models import ZooModel, corpus_of, load, names, zoo_folder
from .recipes import ZOO_RECIPES

__all__ = ["ZOO_RECIPES", "ZooModel", "corpus_of", "load", "names", "zoo_folder"]
