"""Post-training factorization and sharing: exact shapes, exact counts, and the identities they must keep."""

from __future__ import annotations

import pytest
import torch

from albert_lite import AlbertConfig, AlbertModel, count_parameters, num_parameters
from albert_lite.chapters.surgery import (
    LowRankEmbedding,
    best_rank_factors,
    layer_representation_similarity,
    layer_weight_similarity,
    linear_cka,
    low_rank_word_embeddings,
    rank_limited_word_table,
    share_one_layer,
)

BERT = AlbertConfig(vocab_size=50, embedding_size=16, hidden_size=16, num_layers=3, num_heads=2,
                    max_position_embeddings=12, sharing="none")


def bert_model(seed: int = 0) -> AlbertModel:
    torch.manual_seed(seed)
    return AlbertModel(BERT).eval()


def run(model: AlbertModel) -> torch.Tensor:
    ids = torch.randint(0, 50, (2, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return model(ids).last_hidden_state


@pytest.mark.parametrize("rank", [1, 4, 15])
def test_the_factorized_table_stores_v_e_plus_e_h(rank):
    model = bert_model()
    factored = low_rank_word_embeddings(model, rank)
    table = factored.embeddings.word_embeddings
    assert isinstance(table, LowRankEmbedding)
    assert table.table.shape == (50, rank) and table.projection.shape == (rank, 16)
    # the V x E + E x H that count_parameters puts in an ALBERT of that E: its embedding block, less
    # positions, segment types and LayerNorm (all width E), plus its projection, less the projection's bias
    albert = count_parameters(BERT.replace(embedding_size=rank))
    v_e_plus_e_h = albert["embedding"] - (12 + 2) * rank - 2 * rank + albert["projection"] - 16
    assert sum(p.numel() for p in table.parameters()) == v_e_plus_e_h == 50 * rank + rank * 16
    assert num_parameters(factored) == num_parameters(model) - 50 * 16 + v_e_plus_e_h


def test_full_rank_changes_nothing_and_the_factors_are_the_best_approximation():
    model = bert_model()
    torch.testing.assert_close(run(low_rank_word_embeddings(model, 16)), run(model), atol=1e-5, rtol=1e-5)
    weight = model.embeddings.word_embeddings.weight.detach()
    a, b = best_rank_factors(weight, 3)
    singular = torch.linalg.svdvals(weight.double())
    error = torch.linalg.matrix_norm((weight - a @ b).double())
    assert error == pytest.approx(singular[3:].pow(2).sum().sqrt().item(), rel=1e-4)  # Eckart-Young
    assert torch.equal(model.embeddings.word_embeddings.weight.detach(), weight)  # the original is untouched
    with pytest.raises(ValueError, match="rank"):
        best_rank_factors(weight, 17)


def test_sharing_one_trained_layer():
    model = bert_model()
    for source in ("average", 0, 2):
        shared = share_one_layer(model, source)
        assert shared.config.sharing == "all" and len(shared.encoder.attention) == 1
        assert num_parameters(shared) == count_parameters(shared.config)["total"]
    layer_two = share_one_layer(model, 2)
    torch.testing.assert_close(layer_two.encoder.ffn[0].ffn.weight, model.encoder.ffn[2].ffn.weight)
    average = share_one_layer(model, "average")
    expected = torch.stack([model.encoder.attention[i].query.bias for i in range(3)]).mean(0)
    torch.testing.assert_close(average.encoder.attention[0].query.bias, expected)
    torch.testing.assert_close(average.embeddings.word_embeddings.weight, model.embeddings.word_embeddings.weight)


def test_sharing_one_kind_of_block_keeps_the_other_per_layer():
    model = bert_model()
    for mode, shared_kind, own_kind in (("attention", "attention", "ffn"), ("ffn", "ffn", "attention")):
        shared = share_one_layer(model, "average", mode)
        assert shared.config.sharing == mode
        assert len(getattr(shared.encoder, shared_kind)) == 1 and len(getattr(shared.encoder, own_kind)) == 3
        assert num_parameters(shared) == count_parameters(shared.config)["total"]
        for i in range(3):  # the block that is not shared is each layer's own, unchanged
            torch.testing.assert_close(getattr(shared.encoder, own_kind)[i].state_dict(),
                                       getattr(model.encoder, own_kind)[i].state_dict())
        expected = {key: torch.stack([getattr(model.encoder, shared_kind)[i].state_dict()[key] for i in range(3)])
                    .mean(0) for key in getattr(model.encoder, shared_kind)[0].state_dict()}
        torch.testing.assert_close(getattr(shared.encoder, shared_kind)[0].state_dict(), expected)
    with pytest.raises(ValueError, match="mode"):
        share_one_layer(model, "average", "embeddings")


def test_sharing_identical_layers_changes_nothing():
    model = bert_model()
    for i in (1, 2):  # make every layer a copy of layer 0
        model.encoder.attention[i].load_state_dict(model.encoder.attention[0].state_dict())
        model.encoder.ffn[i].load_state_dict(model.encoder.ffn[0].state_dict())
    torch.testing.assert_close(run(share_one_layer(model, "average")), run(model))
    assert torch.allclose(layer_weight_similarity(model), torch.ones(3, 3), atol=1e-6)


def test_a_rank_limited_table_is_cut_in_and_out_and_leaves_the_original_alone():
    from albert_lite import AlbertForPreTraining

    torch.manual_seed(0)
    model = AlbertForPreTraining(BERT).eval()
    before = model.albert.embeddings.word_embeddings.weight.clone()
    cut = rank_limited_word_table(model, 4)
    table = cut.albert.embeddings.word_embeddings.weight
    assert torch.linalg.matrix_rank(table.detach(), rtol=1e-4).item() == 4  # up to float32 rounding
    assert torch.equal(model.albert.embeddings.word_embeddings.weight, before)
    table_ab = best_rank_factors(before, 4)
    assert torch.allclose(table, table_ab[0] @ table_ab[1], atol=1e-6)
    ids = torch.randint(0, 50, (2, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = cut(ids).mlm_logits
        hidden = cut.albert(ids).last_hidden_state
        # The tied output reads the cut table: scores are the head's features against the rank-4 rows.
        expected = cut.mlm_head(hidden, table)
    assert torch.allclose(logits, expected, atol=1e-5)
    full = rank_limited_word_table(model, 16)
    assert torch.allclose(full.albert.embeddings.word_embeddings.weight, before, atol=1e-5)


def test_refusals():
    with pytest.raises(ValueError, match="source"):
        share_one_layer(bert_model(), 3)
    with pytest.raises(ValueError, match="shares nothing"):
        share_one_layer(AlbertModel(BERT.replace(sharing="all")))
    with pytest.raises(ValueError, match="already has a factorized"):
        low_rank_word_embeddings(AlbertModel(BERT.replace(embedding_size=8)), 4)
    with pytest.raises(ValueError, match="already has a factorized"):
        rank_limited_word_table(AlbertModel(BERT.replace(embedding_size=8)), 4)


def test_layer_similarity_of_independent_layers_is_small():
    similarity = layer_weight_similarity(bert_model())
    assert similarity.shape == (3, 3)
    assert torch.allclose(similarity.diagonal(), torch.ones(3))
    assert similarity.fill_diagonal_(0).abs().max() < 0.3


def test_linear_cka_is_blind_to_rotation_and_scale_but_not_to_content():
    torch.manual_seed(0)
    x = torch.randn(200, 8)
    rotation, _ = torch.linalg.qr(torch.randn(8, 8))
    assert linear_cka(x, 3.0 * x @ rotation + 1.0) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(x, torch.randn(200, 8)) < 0.15  # unrelated vectors
    # Worked by hand: x = (1, 2, 3) against y = (1, 3, 2), both centred: (x.y)^2 / (|x|^2 |y|^2) = 1 / 4.
    assert linear_cka(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[1.0], [3.0], [2.0]])) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="different tokens"):
        linear_cka(x, x[:10])


def test_representation_similarity_compares_every_pair_of_layer_outputs():
    model = bert_model()
    batch = {"input_ids": torch.randint(5, 50, (4, 12)), "attention_mask": torch.ones(4, 12, dtype=torch.long)}
    batch["attention_mask"][:, 9:] = 0  # padding is left out
    similarity, spread = layer_representation_similarity(model, batch, resamples=5)
    assert similarity.shape == spread.shape == (3, 3)
    assert (spread.fill_diagonal_(1) > 0).all()  # off the diagonal, resampling the sequences moves the value
    torch.testing.assert_close(similarity, similarity.T)
    torch.testing.assert_close(similarity.diagonal(), torch.ones(3, dtype=similarity.dtype))
    states = model(batch["input_ids"], None, batch["attention_mask"], output_hidden_states=True).hidden_states
    real = batch["attention_mask"].bool()
    assert similarity[0, 2].item() == pytest.approx(linear_cka(states[1][real], states[3][real]))
