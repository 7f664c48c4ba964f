"""The browser-side parameter count equals count_parameters, exactly, on random configurations.

The widgets of chapters 1-3 compute in JavaScript so that the rendered book answers without a
kernel; this runs that JavaScript under node and compares it with the Python formulas.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from albert_lite import SHARING_MODES, AlbertConfig, count_parameters, sharing_plan
from albert_lite.chapters.widgets import BertShapeWidget, EmbeddingWidget, SharingWidget

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
if NODE is None and os.environ.get("ALBERT_BOOK_REQUIRE_BROWSER"):
    raise RuntimeError("node is required here (ALBERT_BOOK_REQUIRE_BROWSER is set) but was not found")
needs_node = pytest.mark.skipif(NODE is None, reason="needs node: apt-get install nodejs")
CONFIGS_PER_MODE = 500


def browser_counts(cases: list[dict]) -> list[dict]:
    result = subprocess.run([NODE, str(ROOT / "tests" / "js" / "count_parameters.mjs")],
                            input=json.dumps(cases), capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def random_fields(rng: random.Random, sharing: str) -> dict:
    """A random valid configuration: every size varies, groups included, E == H sometimes."""
    heads = rng.choice([1, 2, 3, 4, 8, 12, 16, 64])
    hidden = heads * rng.randint(1, 96)
    layers = rng.randint(1, 48)
    fields = dict(
        vocab_size=rng.randint(1, 300_000), hidden_size=hidden, num_heads=heads, num_layers=layers,
        embedding_size=hidden if rng.random() < 0.2 else rng.randint(1, 2048), sharing=sharing,
        group_size=rng.choice([m for m in range(1, layers + 1) if layers % m == 0]),
        max_position_embeddings=rng.randint(1, 4096), type_vocab_size=rng.randint(1, 4),
    )
    if rng.random() < 0.5:
        fields["intermediate_size"] = rng.randint(1, 16_384)
    return fields


@needs_node
@pytest.mark.parametrize("sharing", SHARING_MODES)
def test_javascript_counts_equal_python_on_random_configurations(sharing):
    rng = random.Random(f"widgets-{sharing}")
    cases = [{"fields": random_fields(rng, sharing), "with_heads": rng.random() < 0.3} for _ in range(CONFIGS_PER_MODE)]
    for case, answer in zip(cases, browser_counts(cases), strict=True):
        config = AlbertConfig(**case["fields"])
        assert answer.get("counts") == count_parameters(config, with_heads=case["with_heads"]), case
        assert [tuple(p) for p in answer["plan"]] == sharing_plan(config), case


@needs_node
def test_javascript_refuses_what_albert_config_refuses():
    bad = [dict(hidden_size=100, num_heads=12), dict(num_layers=12, group_size=5), dict(vocab_size=0),
           dict(sharing="some"), dict(hidden_size=64.5, num_heads=1)]
    for fields, answer in zip(bad, browser_counts([{"fields": f, "with_heads": False} for f in bad]), strict=True):
        with pytest.raises(ValueError):
            AlbertConfig(**fields)
        assert "error" in answer, fields


def test_python_side_of_each_widget_describes_the_shape_it_shows():
    bert = BertShapeWidget(hidden_size=1024, num_heads=16)
    assert bert.counts()["total"] == count_parameters(
        AlbertConfig.from_preset("bert-base", embedding_size=1024, hidden_size=1024, num_heads=16))["total"]
    embedding = EmbeddingWidget(hidden_size=4096)
    assert embedding.article_sizes()["V x E + E x H"] == 30000 * 128 + 128 * 4096
    assert embedding.counts()["projection"] == 128 * 4096 + 4096
    sharing = SharingWidget(sharing="attention", group_size=4)
    assert sharing.counts() == count_parameters(AlbertConfig.from_preset("albert-base", sharing="attention",
                                                                         group_size=4))
    with pytest.raises(ValueError, match="group_size"):
        SharingWidget(group_size=5).config()
