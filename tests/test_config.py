import pytest

from albert_lite import PRESETS, AlbertConfig


def test_defaults_follow_the_paper():
    config = AlbertConfig()
    assert config.intermediate_size == 4 * config.hidden_size
    assert config.group_size == config.num_layers
    assert config.hidden_act == "gelu_new"
    assert config.dropout == 0.0


@pytest.mark.parametrize("name", PRESETS)
def test_presets_use_table_1_conventions(name):
    config = AlbertConfig.from_preset(name)
    assert config.vocab_size == 30000
    assert config.max_position_embeddings == 512
    assert config.type_vocab_size == 2
    assert config.intermediate_size == 4 * config.hidden_size
    assert (config.sharing == "none") == name.startswith("bert")
    assert config.has_projection == name.startswith("albert")


def test_preset_overrides_and_replace():
    config = AlbertConfig.from_preset("albert-base", num_layers=6)
    assert config.num_layers == 6 and config.group_size == 6
    wider = config.replace(hidden_size=1024, num_heads=16)
    assert wider.intermediate_size == 4096
    deeper = config.replace(num_layers=24)
    assert deeper.group_size == 24


@pytest.mark.parametrize(
    "changes, words",
    [
        (dict(hidden_size=100, num_heads=12), ["hidden_size=100", "num_heads=12", "divisible"]),
        (dict(sharing="layers"), ["sharing='layers'", "'attention'"]),
        (dict(num_layers=12, group_size=5), ["group_size=5", "num_layers=12"]),
        (dict(vocab_size=0), ["vocab_size=0", "positive"]),
        (dict(embedding_size=-3), ["embedding_size=-3", "positive"]),
        (dict(num_layers=2.5), ["num_layers=2.5", "positive integer"]),
        (dict(hidden_act="swish"), ["hidden_act='swish'", "gelu_new"]),
        (dict(dropout=1.5), ["dropout=1.5"]),
    ],
)
def test_invalid_configurations_name_field_value_and_allowed(changes, words):
    with pytest.raises(ValueError) as error:
        AlbertConfig(**changes)
    for word in words:
        assert word in str(error.value)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="albert-base"):
        AlbertConfig.from_preset("albert-huge")


def test_group_size_is_ignored_without_sharing():
    config = AlbertConfig(num_layers=6, group_size=4, sharing="none")
    assert config.num_groups == 6


def test_layers_map_to_contiguous_groups():
    config = AlbertConfig(num_layers=6, group_size=2, sharing="all")
    assert [config.group_of_layer(i) for i in range(6)] == [0, 0, 1, 1, 2, 2]


def test_a_config_is_frozen_and_replace_checks_again():
    config = AlbertConfig(hidden_size=64, num_heads=4, num_layers=4)
    with pytest.raises(AttributeError):
        config.hidden_size = 100
    with pytest.raises(ValueError, match="hidden_size=90"):
        config.replace(hidden_size=90)
    with pytest.raises(ValueError, match="no field"):
        config.replace(hidden=128)


def test_replace_keeps_what_was_given_and_rederives_only_the_defaults():
    derived = AlbertConfig(hidden_size=64, num_heads=4, num_layers=4)
    assert derived.replace(hidden_size=128).intermediate_size == 512  # left to its default: 4H follows H
    assert derived.replace(num_layers=6).group_size == 6  # left to its default: M = L follows L
    explicit = AlbertConfig(hidden_size=64, num_heads=4, num_layers=4, intermediate_size=256, group_size=4)
    assert explicit.replace(hidden_size=128).intermediate_size == 256  # given (even if equal to 4H): kept
    with pytest.raises(ValueError, match="group_size=4 does not divide num_layers=6"):
        explicit.replace(num_layers=6)  # given: kept, and the new shape is checked against it
    assert AlbertConfig(**derived.to_dict()) == derived
