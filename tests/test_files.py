"""Atomic writes: the old file or the new one, never half of one, and no leftovers."""

import pytest

from albert_lite.data.tokenizer import Tokenizer, train_tokenizer
from albert_lite.files import atomic_path, write_text_atomically


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "history.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


def test_a_finished_write_replaces_and_keeps_the_suffix(tmp_path):
    target = tmp_path / "sub" / "curves.png"
    with atomic_path(target) as temporary:
        assert temporary.suffix == ".png" and temporary.parent == target.parent
        temporary.write_bytes(b"png")
    assert target.read_bytes() == b"png"
    write_text_atomically(target, "again")
    assert target.read_text() == "again" and len(list(target.parent.iterdir())) == 1


def test_tokenizer_save_is_atomic(tmp_path, monkeypatch):
    from albert_lite.data import synthetic_corpus

    tokenizer = train_tokenizer(synthetic_corpus(20), 60)
    path = tokenizer.save(tmp_path / "tokenizer.model")
    before = path.read_bytes()

    def crash(self, data):
        raise OSError("disk full")

    monkeypatch.setattr(type(path), "write_bytes", crash)
    with pytest.raises(OSError):
        tokenizer.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and Tokenizer.load(path).vocab_size == tokenizer.vocab_size
