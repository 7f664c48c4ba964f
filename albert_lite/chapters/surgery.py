"""ALBERT's two savings applied to a BERT *after* training, to test the premises behind them.

ALBERT trains a rank-E word table and one shared layer from the start. Imposing either on a
model that was trained without them asks the article's questions directly: does the trained
V x H table need H dimensions (:func:`low_rank_word_embeddings`)? Can one layer's weights
stand for all of them (:func:`share_one_layer`)? The copies leave the original model untouched.
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import nn

from ..config import check_int
from ..model import AlbertModel


class LowRankEmbedding(nn.Module):
    """A V x E table followed by an E x H matrix: the factorized word embedding, as ALBERT stores it."""

    def __init__(self, table: torch.Tensor, projection: torch.Tensor):
        super().__init__()
        self.table = nn.Parameter(table)  # V x E
        self.projection = nn.Parameter(projection)  # E x H

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.table[input_ids] @ self.projection


def best_rank_factors(weight: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The V x E and E x H factors whose product is the best rank-E approximation (Eckart-Young)."""
    vocab, hidden = weight.shape
    if not 1 <= rank <= min(vocab, hidden):
        raise ValueError(f"rank={rank} is not allowed: choose 1 <= E <= {min(vocab, hidden)}")
    u, s, vh = torch.linalg.svd(weight.double(), full_matrices=False)
    return (u[:, :rank] * s[:rank]).to(weight.dtype), vh[:rank].to(weight.dtype)


@torch.no_grad()
def low_rank_word_embeddings(model: AlbertModel, rank: int) -> AlbertModel:
    """A copy whose V x H word table is replaced by its best rank-``rank`` factorization, V x E + E x H.

    Only for models without a projection (E == H, a BERT): there the word table is V x H.
    """
    if model.config.has_projection:
        raise ValueError("the model already has a factorized embedding (E != H): factorize a BERT-shaped model")
    factored = copy.deepcopy(model)
    table, projection = best_rank_factors(model.embeddings.word_embeddings.weight, rank)
    factored.embeddings.word_embeddings = LowRankEmbedding(table, projection)
    return factored.eval()


@torch.no_grad()
def rank_limited_word_table(model: nn.Module, rank: int) -> nn.Module:
    """A copy whose V x H word table is replaced by its best rank-``rank`` approximation, kept as V x H.

    The same numbers as the factorized V x E + E x H table, stored so that a masked-LM head tied to the table
    (``AlbertForPreTraining``) reads the cut table at its output too: a BERT given ALBERT's embedding after
    training, in and out.
    """
    encoder = model.albert if hasattr(model, "albert") else model
    if encoder.config.has_projection:
        raise ValueError("the model already has a factorized embedding (E != H): cut a BERT-shaped model")
    cut = copy.deepcopy(model)
    weight = (cut.albert if hasattr(cut, "albert") else cut).embeddings.word_embeddings.weight
    table, projection = best_rank_factors(weight, rank)
    weight.copy_(table @ projection)
    return cut.eval()


@torch.no_grad()
def share_one_layer(model: AlbertModel, source: int | str = "average", mode: str = "all") -> AlbertModel:
    """A copy in which every layer uses one block: the average of the trained layers' blocks, or layer ``source``'s.

    ``mode`` is what is shared, as ALBERT's Table 4 varies it: "all", "attention" (each layer keeps its own
    feed-forward block) or "ffn" (each keeps its own attention). Embeddings and pooler are copied as they are;
    the result's parameter count is ``count_parameters`` of its configuration.
    """
    config = model.config
    if config.sharing != "none":
        raise ValueError(f"sharing={config.sharing!r}: share_one_layer starts from a model that shares nothing")
    if mode not in ("all", "attention", "ffn"):
        raise ValueError(f"mode={mode!r} is not allowed: share 'all', 'attention' or 'ffn'")
    if source != "average":
        check_int("source", source, 0, config.num_layers - 1, " (a layer index), or 'average'")
    shared_config = config.replace(sharing=mode, group_size=config.num_layers) if mode == "all" else \
        config.replace(sharing=mode)
    shared = AlbertModel(shared_config)
    state = shared.state_dict()
    trained = model.state_dict()
    for name in state:
        if name.startswith(("encoder.attention.", "encoder.ffn.")):
            _, kind, index, rest = name.split(".", 3)  # encoder.<kind>.<index>.<rest>
            if mode in ("all", kind):  # one block of this kind stands for every layer's
                layers = [trained[f"encoder.{kind}.{i}.{rest}"] for i in range(config.num_layers)]
                state[name].copy_(torch.stack(layers).mean(0) if source == "average" else layers[source])
            else:
                state[name].copy_(trained[name])
        else:
            state[name].copy_(trained[name])
    return shared.eval()


def layer_weight_similarity(model: AlbertModel) -> torch.Tensor:
    """(L, L) cosine similarity between layers' weights, averaged over the six weight matrices of a layer."""
    encoder = model.encoder
    matrices = []
    for attention_index, ffn_index in encoder.plan:
        attention, ffn = encoder.attention[attention_index], encoder.ffn[ffn_index]
        matrices.append([m.weight.detach().flatten() for m in (attention.query, attention.key, attention.value,
                                                                attention.dense, ffn.ffn, ffn.ffn_output)])
    by_kind = [torch.nn.functional.normalize(torch.stack(kind), dim=-1) for kind in zip(*matrices, strict=True)]
    return torch.stack([m @ m.T for m in by_kind]).mean(0)


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """Linear centred kernel alignment of two sets of vectors for the same n tokens, (n, d1) and (n, d2): 1 when
    one is a rotation and rescaling of the other, near 0 when they share no linear structure. Unlike a cosine
    between weights, it compares what two layers compute, whatever basis each layer happens to use."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"the two sets describe different tokens: {x.shape[0]} and {y.shape[0]} rows")
    x, y = x.detach().double(), y.detach().double()
    x, y = x - x.mean(0), y - y.mean(0)
    return float((y.T @ x).norm() ** 2 / ((x.T @ x).norm() * (y.T @ y).norm()))


@torch.no_grad()
def layer_representation_similarity(model: AlbertModel, batch: dict, resamples: int = 0,
                                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(L, L) linear CKA between the layers' outputs on the real tokens of ``batch``, and its standard error
    from ``resamples`` bootstrap draws of whole sequences (tokens of one text are not independent; zeros when
    ``resamples`` is 0)."""
    model.eval()
    keep = batch["attention_mask"].bool()
    states = model(batch["input_ids"], batch.get("token_type_ids"), batch["attention_mask"],
                   output_hidden_states=True).hidden_states[1:]

    def matrix(rows: torch.Tensor) -> torch.Tensor:  # linear_cka for every pair, each layer centred once
        outputs = [state[rows][keep[rows]].double() for state in states]
        centred = [x - x.mean(0) for x in outputs]
        own = [(x.T @ x).norm() for x in centred]
        out = torch.ones(len(states), len(states), dtype=torch.float64)
        for i, j in itertools.combinations(range(len(states)), 2):
            out[i, j] = out[j, i] = (centred[j].T @ centred[i]).norm() ** 2 / (own[i] * own[j])
        return out

    generator = torch.Generator().manual_seed(seed)
    draws = [matrix(torch.randint(len(keep), (len(keep),), generator=generator)) for _ in range(resamples)]
    spread = torch.stack(draws).std(0) if resamples > 1 else torch.zeros(len(states), len(states))
    return matrix(torch.arange(len(keep))), spread
