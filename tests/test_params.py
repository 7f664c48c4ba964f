import pytest

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertModel, count_parameters, num_parameters

from .conftest import random_valid_configs

# Exact counts of the paper's Table 1 shapes (encoder + pooler, V = 30000, 512 positions, 2 types).
TABLE_1_EXACT = {
    "albert-base": 11_683_584,
    "albert-large": 17_683_968,
    "albert-xlarge": 58_724_864,
    "albert-xxlarge": 222_595_584,
    "bert-base": 109_081_344,
    "bert-large": 334_607_360,
}


@pytest.mark.parametrize("name, expected", TABLE_1_EXACT.items())
def test_table_1_exact_counts(name, expected):
    assert count_parameters(AlbertConfig.from_preset(name))["total"] == expected


@pytest.mark.parametrize("name", ["albert-base", "bert-base", "albert-large"])
def test_counts_equal_instantiated_presets(name):
    config = AlbertConfig.from_preset(name)
    assert num_parameters(AlbertModel(config)) == count_parameters(config)["total"]


def test_albert_base_breakdown():
    counts = count_parameters(AlbertConfig.from_preset("albert-base"), with_heads=True)
    assert counts["embedding"] == 3_906_048
    assert counts["projection"] == 99_072
    assert counts["attention"] == 2_363_904
    assert counts["ffn"] == 4_723_968
    assert counts["pooler"] == 590_592
    assert counts["heads"] == 128_688 + 1_538
    assert counts["total"] == 11_813_810


def test_source_article_embedding_numbers():
    bert = AlbertConfig.from_preset("bert-base")
    albert = AlbertConfig.from_preset("albert-base")
    assert bert.vocab_size * bert.hidden_size == 23_040_000
    word_and_projection = albert.vocab_size * albert.embedding_size + albert.embedding_size * albert.hidden_size
    assert word_and_projection == 3_938_304
    assert count_parameters(bert)["projection"] == 0


def test_bert_base_without_pooler():
    counts = count_parameters(AlbertConfig.from_preset("bert-base"))
    assert counts["total"] - counts["pooler"] == 108_490_752


@pytest.mark.parametrize("with_heads", [False, True])
def test_counts_equal_instantiated_models_for_random_configs(with_heads):
    for config in random_valid_configs(60, seed=int(with_heads)):
        model = AlbertForPreTraining(config) if with_heads else AlbertModel(config)
        counts = count_parameters(config, with_heads=with_heads)
        assert counts["total"] == num_parameters(model), config
        assert counts["total"] == sum(v for k, v in counts.items() if k != "total")


def test_sharing_modes_order_parameter_counts():
    base = dict(vocab_size=30000, embedding_size=128, hidden_size=768, num_layers=12, num_heads=12)
    total = {mode: count_parameters(AlbertConfig(sharing=mode, **base))["total"] for mode in
             ("all", "ffn", "attention", "none")}
    assert total["all"] < total["ffn"] < total["attention"] < total["none"]


def test_smaller_groups_cost_more_parameters():
    totals = [
        count_parameters(AlbertConfig.from_preset("albert-base", group_size=m))["total"] for m in (12, 6, 4, 3, 2, 1)
    ]
    assert totals == sorted(totals)
    assert totals[-1] == count_parameters(AlbertConfig.from_preset("albert-base", sharing="none"))["total"]
