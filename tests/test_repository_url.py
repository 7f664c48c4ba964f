"""The repository's address lives once, in _config.yml; every chapter's Colab link and install agree with it."""

from __future__ import annotations

import json
import shutil

import pytest

from scripts import sync_repository_url as sync

CHAPTERS = sorted((sync.ROOT / "notebooks").glob("*.ipynb"))


def test_every_chapter_agrees_with_the_config():
    assert sync.sync(CHAPTERS, write=False) == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_both_addresses(path):
    text = path.read_text(encoding="utf-8")
    assert sync.COLAB_LINK.search(text) and sync.INSTALL.search(text)
    assert f"/notebooks/{path.name}" in text  # the link opens this chapter, not another


def test_a_fork_changes_the_address_once(tmp_path, monkeypatch):
    for folder in ("notebooks",):
        shutil.copytree(sync.ROOT / folder, tmp_path / folder)
    config = (sync.ROOT / "_config.yml").read_text().replace("https://github.com/albert-book/albert-book",
                                                             "https://github.com/someone/fork")
    (tmp_path / "_config.yml").write_text(config)
    monkeypatch.setattr(sync, "ROOT", tmp_path)
    copies = sorted((tmp_path / "notebooks").glob("*.ipynb"))
    assert sync.sync(copies, write=False) == [p.name for p in copies]
    sync.sync(copies, write=True)
    assert sync.sync(copies, write=False) == []
    first = json.loads(copies[0].read_text())
    text = "".join("".join(c["source"]) for c in first["cells"])
    assert f"colab.research.google.com/github/someone/fork/blob/main/notebooks/{copies[0].name}" in text
    assert '"albert_lite[interop,packaged-bert] @ git+https://github.com/someone/fork"' in text  # extras kept
    assert "albert-book/albert-book" not in text


def test_a_non_github_address_is_refused(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/book\n")
    monkeypatch.setattr(sync, "ROOT", tmp_path)
    with pytest.raises(ValueError, match="github.com/OWNER/NAME"):
        sync.repository()
