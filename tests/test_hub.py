"""The Hub loader fails fast offline, loads a cached checkpoint offline, and fill_mask ranks correctly.

Nothing here reaches the internet: the only connection attempted is to a closed local port.
"""

import socket
import threading
import time

import pandas as pd
import pytest
import torch
import transformers

from albert_lite import online
from albert_lite.data import load_corpus
from albert_lite.data.tokenizer import Tokenizer, train_tokenizer
from albert_lite.interop import from_transformers
from albert_lite.interop.hub import AlbertV2Tokenizer, HubUnavailable, fill_mask, load_albert_from_hub
from albert_lite.online import hub_reachable


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    docs = load_corpus("synthetic", max_documents=60)
    return train_tokenizer(docs, vocab_size=300, hard_vocab_limit=False)


def random_hf_model(vocab_size: int, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    config = transformers.AlbertConfig(
        vocab_size=vocab_size, embedding_size=16, hidden_size=32, num_hidden_layers=4, num_hidden_groups=2,
        num_attention_heads=4, intermediate_size=64, max_position_embeddings=64,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    return transformers.AlbertForPreTraining(config).eval()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clear_settings(monkeypatch):
    for name in (*online.OFFLINE_SETTINGS, "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def offline_env(monkeypatch):
    clear_settings(monkeypatch)
    monkeypatch.setattr(online, "HUB_HOST", "127.0.0.1")
    monkeypatch.setattr(online, "HUB_PORT", closed_port())


def test_unreachable_hub_fails_fast_with_advice(monkeypatch, tmp_path):
    offline_env(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(HubUnavailable) as caught:
        load_albert_from_hub("albert-base-v2", timeout=2.0, cache_dir=tmp_path)
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert "albert-base-v2" in message and "could not be reached" in message
    assert "Colab" in message and "random weights" in message and "from_transformers" in message
    assert isinstance(caught.value, RuntimeError)


def test_offline_setting_is_honoured_without_any_connection(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError("no connection may be attempted when HF_HUB_OFFLINE=1")

    monkeypatch.setattr(online.socket, "create_connection", refuse)
    assert not hub_reachable()
    with pytest.raises(HubUnavailable, match="HF_HUB_OFFLINE is set"):
        load_albert_from_hub(cache_dir=tmp_path)


def test_reachability_checks_the_proxy_when_one_is_set(monkeypatch):
    offline_env(monkeypatch)
    with socket.socket() as listener:  # a local "proxy" that accepts connections
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert hub_reachable(timeout=2.0)
        assert not hub_reachable(timeout=2.0, host="127.0.0.1", port=closed_port())  # an explicit host wins
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{closed_port()}")
    assert not hub_reachable(timeout=2.0)


def test_a_connection_that_hangs_is_abandoned_after_the_timeout(monkeypatch):
    clear_settings(monkeypatch)
    release = threading.Event()

    def hang(*args, **kwargs):  # a name lookup or SYN that never comes back
        release.wait(30)
        raise OSError("released")

    monkeypatch.setattr(online.socket, "create_connection", hang)
    start = time.perf_counter()
    try:
        assert not hub_reachable(timeout=0.5)
        assert time.perf_counter() - start < 2
    finally:
        release.set()


def write_cached_checkpoint(cache_dir, repo_id: str, hf_model, tokenizer: Tokenizer) -> None:
    """The layout huggingface_hub gives a downloaded repository: refs/main -> snapshots/<commit>/."""
    commit = "0" * 40
    repo = cache_dir / f"models--{repo_id}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    hf_model.save_pretrained(snapshot)
    tokenizer.save(snapshot / "spiece.model")


def test_cached_checkpoint_loads_offline_with_identical_outputs(monkeypatch, tmp_path, tokenizer):
    offline_env(monkeypatch)
    saved = random_hf_model(tokenizer.vocab_size, seed=3)
    write_cached_checkpoint(tmp_path, "tiny-albert", saved, tokenizer)
    model, tok, hf_model = load_albert_from_hub("tiny-albert", timeout=2.0, cache_dir=tmp_path)
    assert isinstance(tok, AlbertV2Tokenizer) and tok.vocab_size == tokenizer.vocab_size
    assert model.config.num_groups == 2 and not model.training
    ids = torch.tensor([[tok.cls_id, *tok.encode("First, the baker mixed the flour."), tok.sep_id]])
    with torch.no_grad():
        ours = model(ids)
        theirs = hf_model(input_ids=ids)
        original = saved(input_ids=ids)
    assert (ours.mlm_logits - theirs.prediction_logits).abs().max().item() <= 1e-5
    assert torch.equal(theirs.prediction_logits, original.prediction_logits)


def test_released_tokenizer_cleans_text_as_albert_does(tokenizer):
    released = AlbertV2Tokenizer(tokenizer.model_proto)
    text = "  Finally,   the   CAFÉ  served ``bread''  "
    assert AlbertV2Tokenizer.preprocess(text) == 'finally, the cafe served "bread"'
    assert released.encode(text) == tokenizer.encode('finally, the cafe served "bread"')
    assert released.encode_batch([text, "First"]) == [released.encode(text), released.encode("First")]


def test_fill_mask_ranks_the_model_scores(tokenizer):
    hf_model = random_hf_model(tokenizer.vocab_size)
    model = from_transformers(hf_model)
    text = "First, the [MASK] mixed the flour in the [MASK]."
    table = fill_mask(model, tokenizer, text, top_k=4)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["mask", "rank", "token", "token_id", "probability", "filled"]
    assert table["mask"].tolist() == [0] * 4 + [1] * 4
    assert table["rank"].tolist() == [1, 2, 3, 4] * 2

    ids = [tokenizer.cls_id, *tokenizer.encode("First, the"), tokenizer.mask_id,
           *tokenizer.encode("mixed the flour in the"), tokenizer.mask_id, *tokenizer.encode("."), tokenizer.sep_id]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).mlm_logits[0]
    for mask_index, position in enumerate(i for i, t in enumerate(ids) if t == tokenizer.mask_id):
        rows = table[table["mask"] == mask_index]
        expected = torch.softmax(logits[position], -1).topk(4)
        assert rows["token_id"].tolist() == expected.indices.tolist()
        assert rows["probability"].tolist() == pytest.approx(expected.values.tolist(), abs=1e-4)
        assert rows["token"].tolist() == [tokenizer.id_to_piece(i) for i in expected.indices.tolist()]
    first = table.iloc[0]
    word = tokenizer.decode([first["token_id"]]).strip()
    assert first["filled"] == f"First, the {word} mixed the flour in the [MASK]."

    same = fill_mask(hf_model, tokenizer, text, top_k=4)  # the transformers model gives the same table
    assert same["token_id"].tolist() == table["token_id"].tolist()


def test_fill_mask_ranks_only_pieces_the_tokenizer_knows(tokenizer):
    hf_model = random_hf_model(tokenizer.vocab_size + 50)
    table = fill_mask(from_transformers(hf_model), tokenizer, "[MASK] the baker.", top_k=tokenizer.vocab_size + 10)
    assert len(table) == tokenizer.vocab_size
    assert table["token_id"].max() < tokenizer.vocab_size
    assert table["probability"].sum() == pytest.approx(1.0, abs=1e-3)


def test_fill_mask_rejects_bad_input(tokenizer):
    model = from_transformers(random_hf_model(tokenizer.vocab_size))
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        fill_mask(model, tokenizer, "no mask here")
    with pytest.raises(ValueError, match="top_k"):
        fill_mask(model, tokenizer, "a [MASK]", top_k=0)
    with pytest.raises(TypeError, match="masked-LM head"):
        fill_mask(transformers.AlbertModel(random_hf_model(tokenizer.vocab_size).config), tokenizer, "a [MASK]")


@pytest.mark.parametrize("setting", online.OFFLINE_SETTINGS)
def test_every_offline_setting_switches_every_online_path_off(monkeypatch, setting):
    clear_settings(monkeypatch)
    monkeypatch.setenv(setting, "1")
    monkeypatch.setattr(online.socket, "create_connection", lambda *a, **k: pytest.fail("no connection allowed"))
    assert online.offline_by_setting() == setting and not hub_reachable()
    from albert_lite.data import load_corpus

    with pytest.raises((RuntimeError, ImportError), match="wikitext-2"):
        load_corpus("wikitext-2")


def test_a_missing_library_says_what_needs_it():
    with pytest.raises(ImportError, match="the chapter needs the `no_such_package` package: pip install no_such"):
        online.require("no_such_package", "the chapter")
