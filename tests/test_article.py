"""The article's claims: every verdict computed, checked against hand counts, and able to change."""

import pytest

from albert_lite.chapters import article


def test_every_claim_has_a_verdict_evidence_and_a_chapter():
    table = article.claims_table()
    assert len(table) == 15 and table["key"].is_unique
    assert set(table["verdict"]) <= set(article.VERDICTS)
    assert table["evidence"].str.len().min() > 40
    assert table["measured in"].str.match(r"chapter \d+$").all()


def test_the_article_figures_are_recounted_by_hand():
    verdict, evidence = dict((c.key, c.judge()) for c in article.CLAIMS)["figures"]
    assert verdict == "holds"
    assert "23,040,000" in evidence and "3,938,304" in evidence  # 30000 * 768; 30000 * 128 + 128 * 768
    verdict, evidence = dict((c.key, c.judge()) for c in article.CLAIMS)["memory"]
    assert "17,683,968" in evidence and "334,607,360" in evidence and "1/19" in evidence
    assert verdict == "holds only in part"


def test_verdicts_follow_the_numbers(monkeypatch):
    judge = {c.key: c.judge for c in article.CLAIMS}
    assert judge["sharing"]()[0] == "does not hold"
    # Were all-shared as good as not shared, the claim would no longer be refuted by Table 4.
    assert judge["all-ffn"]()[0] == "holds"
    monkeypatch.setitem(article.PAPER_TABLE_4, "all", ("12M", 81.6))
    assert judge["sharing"]()[0] == "holds"
    assert judge["all-ffn"]()[0] == "holds only in part"  # all-shared would then lose nothing at E = 128
    assert judge["average"]()[0] == "holds"
    monkeypatch.setitem(article.PAPER_TABLE_5_DOWNSTREAM, "MLM + NSP", 80.5)  # NSP would then add 1.5 points
    assert judge["average"]()[0] == "does not hold"


def test_an_unknown_verdict_is_refused(monkeypatch):
    bad = article.Claim("bad", "a claim", "chapter 1", lambda: ("maybe", "evidence of some length here"))
    monkeypatch.setattr(article, "CLAIMS", (bad,))
    with pytest.raises(ValueError, match="maybe"):
        article.claims_table()
