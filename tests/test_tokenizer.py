"""SentencePiece with ALBERT's conventions: special ids, word starts, round trips, files."""

import io
import pickle

import pytest
import sentencepiece as spm

from albert_lite.data import synthetic_corpus
from albert_lite.data.tokenizer import Tokenizer, train_tokenizer

EXTRA = [
    "The President of the United States spoke to the Congress in 1801.",
    "Inflation fell to 1.7 percent! Can it last? We think so.",
    "Fellow-Citizens of the Senate and House of Representatives:",
]


@pytest.fixture(scope="module")
def docs():
    return synthetic_corpus(80, 8, seed=0)


@pytest.fixture(scope="module")
def tok(docs):
    return train_tokenizer(list(docs) + EXTRA * 20, 400, seed=0)


def test_special_ids_follow_albert(tok):
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
    assert [tok.id_to_piece(i) for i in range(5)] == ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
    assert tok.piece_to_id("[MASK]") == 4
    assert tok.vocab_size == 400 == len(tok)
    assert tok.special_ids == {0, 2, 3, 4}


def test_control_symbols_never_come_from_text(tok):
    ids = tok.encode("[CLS] a [MASK] b [SEP]")
    assert not {tok.cls_id, tok.sep_id, tok.mask_id, tok.pad_id} & set(ids)


def test_round_trip(tok, docs):
    for text in [s for d in docs[:10] for s in d.sentences] + EXTRA:
        ids = tok.encode(text)
        assert all(isinstance(i, int) and 0 <= i < tok.vocab_size for i in ids)
        assert tok.unk_id not in ids
        assert tok.decode(ids) == text
    assert tok.encode_batch(EXTRA) == [tok.encode(t) for t in EXTRA]


def test_pieces_and_word_starts(tok):
    text = "The baker kneads the dough."
    pieces = tok.pieces(text)
    ids = tok.encode(text)
    assert [tok.id_to_piece(i) for i in ids] == pieces
    assert "".join(pieces).replace("\u2581", " ").strip() == text
    starts = [tok.is_word_start(i) for i in ids]
    assert starts == [p.startswith("\u2581") for p in pieces]
    assert sum(starts) == len(text.split())  # one word start per word
    assert not any(tok.is_word_start(i) for i in range(5))
    assert list(tok.word_start_table[ids]) == starts


def test_save_load_and_pickle(tok, tmp_path):
    path = tok.save(tmp_path / "sub" / "albert.model")
    again = Tokenizer.load(path)
    assert again.encode(EXTRA[0]) == tok.encode(EXTRA[0])
    # the file is an ordinary SentencePiece model
    assert spm.SentencePieceProcessor(model_file=str(path)).encode(EXTRA[1]) == tok.encode(EXTRA[1])
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.encode(EXTRA[2]) == tok.encode(EXTRA[2])
    with pytest.raises(FileNotFoundError, match="missing.model"):
        Tokenizer.load(tmp_path / "missing.model")


def test_foreign_model_is_rejected(docs):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([s for d in docs for s in d.sentences]), model_writer=buf, vocab_size=100, minloglevel=2
    )
    with pytest.raises(ValueError, match="ALBERT's convention"):
        Tokenizer(buf.getvalue())


def test_training_is_seeded_and_bpe_works(docs):
    sentences = [s for d in docs for s in d.sentences]
    a = train_tokenizer(sentences, 200, seed=1)
    b = train_tokenizer(sentences, 200, seed=1)
    assert a.model_proto == b.model_proto
    bpe = train_tokenizer(sentences, 200, "bpe")
    assert bpe.cls_id == 2 and bpe.decode(bpe.encode(sentences[0])) == sentences[0]
    assert bpe.model_proto != a.model_proto


def test_lowercase_option(docs):
    tok = train_tokenizer(docs, 200, lowercase=True)
    assert tok.pieces("THE BAKER") == tok.pieces("the baker")


def test_bad_arguments(docs):
    with pytest.raises(ValueError, match="model_type"):
        train_tokenizer(docs, 200, "wordpiece")
    with pytest.raises(ValueError, match="no text"):
        train_tokenizer(["", "  "], 200)
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(docs, 4)
    with pytest.raises(ValueError, match="could not train"):
        train_tokenizer(["tiny text"], 5000)
    with pytest.raises(TypeError):
        train_tokenizer([1, 2, 3], 100)
