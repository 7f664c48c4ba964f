"""The Chinese edition: catalogs that say what is translated, translations that keep their numbers and roles,
and a build in which a translated paragraph shows the English edition's glued number."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


translations = _load("translations", ROOT / "scripts" / "translations.py")
editions = _load("editions", ROOT / "book" / "_ext" / "editions.py")


def test_a_translation_must_keep_numbers_math_and_role_targets():
    english = "A {term}`next sentence prediction` head scores 52.0% of $V \\times H$, see {doc}`how_to_use`."
    good = "{term}`下一句预测 <next sentence prediction>` 头得 52.0%，$V \\times H$，见{doc}`使用方法 <how_to_use>`。"
    assert translations.translation_problems(english, good) == []
    assert "numbers differ" in translations.translation_problems(english, good.replace("52.0", "52"))[0]
    assert "math differs" in translations.translation_problems(english, good.replace("\\times", "x"))[0]
    assert "roles differ" in translations.translation_problems(english, good.replace("how_to_use", "intro"))[0]
    assert "roles differ" in translations.translation_problems(
        "{glue:text}`claims_held` hold", "成立的有 {glue:text}`claims_hold` 条")[0]


@pytest.fixture
def catalogs(tmp_path, monkeypatch):
    """One page of 20 paragraphs extracted, its catalog under a scratch locales/, declared translated."""
    template = Catalog()
    for i in range(20):
        template.add(f"Paragraph {i}.")
    (tmp_path / "pot" / "book").mkdir(parents=True)
    with (tmp_path / "pot" / "book" / "page.pot").open("wb") as handle:
        write_po(handle, template)
    monkeypatch.setattr(translations, "CATALOGS", tmp_path / "locales")
    (tmp_path / "pages.txt").write_text("# declared\nbook/page\n")
    monkeypatch.setattr(translations, "PAGES", tmp_path / "pages.txt")
    monkeypatch.setattr(translations, "ROOT", tmp_path)
    return tmp_path / "pot"


def _translate(folder: Path, done: int, fuzzy: int = 0) -> None:
    translations.update(folder)
    path = translations.CATALOGS / "book" / "page.po"
    catalog = translations._read(path, "zh_CN")
    for i in range(done + fuzzy):
        message = catalog.get(f"Paragraph {i}.")
        message.string = f"第 {i} 段。"
        if i >= done:
            message.flags.add("fuzzy")
    translations._write(catalog, path)


def test_the_check_holds_declared_pages_at_95_percent(catalogs):
    _translate(catalogs, 19)
    (row,) = translations.status(catalogs)
    assert (row.total, row.translated, row.percent) == (20, 19, 95.0)
    assert translations.check([row]) == 0
    _translate(catalogs, 18, fuzzy=1)  # a fuzzy translation (English changed since) does not count
    (row,) = translations.status(catalogs)
    assert row.translated == 18 and row.fuzzy == ["Paragraph 18."] and row.missing == ["Paragraph 19."]
    assert translations.check([row]) == 1


def test_a_changed_english_paragraph_becomes_untranslated(catalogs, tmp_path):
    _translate(catalogs, 20)
    template = Catalog()
    for i in range(20):
        template.add(f"Paragraph {i}." if i else "Paragraph zero, rewritten.")
    with (catalogs / "book" / "page.pot").open("wb") as handle:
        write_po(handle, template)
    (row,) = translations.status(catalogs)
    assert row.translated == 19 and "Paragraph zero, rewritten." in row.missing + row.fuzzy


def test_glue_in_a_translation_reads_the_page_and_links_cross_editions():
    assert editions.glue_from_page("成立 {glue:text}`claims_held` 条，{glue:text}`t:.1f` 分钟",
                                   "notebooks/06_sop_vs_nsp.ipynb") == (
        "成立 {glue:text}`/notebooks/06_sop_vs_nsp.ipynb::claims_held:s` 条，"
        "{glue:text}`/notebooks/06_sop_vs_nsp.ipynb::t:.1f` 分钟")
    assert editions.other_edition_link("notebooks/01_bert", "en") == ("../../zh/_build/html/notebooks/01_bert.html",
                                                                     "中文版")
    assert editions.other_edition_link("index", "zh_CN") == ("../../../html/index.html", "English")


def test_the_chinese_edition_builds_with_translated_prose_and_glued_numbers(tmp_path):
    work = tmp_path / "book"
    for name in ("book", "notebooks", "locales"):
        shutil.copytree(ROOT / name, work / name)
    shutil.copy(ROOT / "_toc.yml", work / "_toc.yml")
    shutil.copy(ROOT / "_config.yml", work / "_config.yml")
    # A translated paragraph that glues a number: it must show the number the English page shows.
    po = work / "locales" / "zh_CN" / "LC_MESSAGES" / "notebooks" / "06_sop_vs_nsp.po"
    catalog = translations._read(po, "zh_CN")
    english = next(m for m in catalog if m.id.startswith("**Why the claims should hold.**"))
    english.string = "**测试。** 成立的有 {glue:text}`claims_held` 条。"
    translations._write(catalog, po)
    config = yaml.safe_load((work / "_config.yml").read_text())
    config["sphinx"]["local_extensions"] = {k: str(work / v) for k, v in config["sphinx"]["local_extensions"].items()}
    config["sphinx"]["config"]["language"] = "zh_CN"
    (work / "zh.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    build = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(work), "-W", "-n",
                            "--keep-going", "--config", str(work / "zh.yml")], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    html = work / "_build" / "html"
    assert "三个思想" in (html / "book" / "intro.html").read_text()
    # A numbered heading is translated (not parsed as a list), and so are the table of contents' captions.
    numbered = translations._read(work / "locales" / "zh_CN" / "LC_MESSAGES" / "notebooks" /
                                  "01_bert_in_one_notebook.po", "zh_CN").get("2. Embeddings").string
    chapter = (html / "notebooks" / "01_bert_in_one_notebook.html").read_text()
    assert numbered.startswith("2. ") and f"<h2>{numbered}" in chapter
    captions = translations._read(work / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "intro.po", "zh_CN")
    assert f'caption-text">{captions.get("Chapters").string}<' in chapter
    page = (html / "notebooks" / "06_sop_vs_nsp.html").read_text()
    outputs = [o for c in json.loads((ROOT / "notebooks" / "06_sop_vs_nsp.ipynb").read_text())["cells"]
               for o in c.get("outputs", []) if o.get("metadata", {}).get("scrapbook", {}).get("name") == "claims_held"]
    english_page_glue = outputs[0]["data"]["application/papermill.record/text/plain"].strip("'")  # as in English
    assert f"成立的有 {english_page_glue} 条" in re.sub(r"<[^>]+>", "", page)
    assert 'href="../../../../html/notebooks/06_sop_vs_nsp.html"' in page and ">English<" in page


def test_a_glossary_term_is_shown_in_chinese_the_way_the_glossary_gives_it():
    terms = translations.glossary_terms()
    assert terms["cross-layer parameter sharing"] == "跨层参数共享"  # the article's own term
    assert terms["feed-forward network"] == "Feed Forward层"
    good = "{term}`跨层参数共享 <Cross-layer parameter sharing>`，以及 {term}`Feed Forward层 <feed-forward network>`"
    assert translations.term_problems(good, terms) == []
    assert translations.term_problems("{term}`Transformer Block <Transformer block>` 与 {term}`SentencePiece`",
                                      terms) == []  # no Chinese shown, nothing to compare
    (problem,) = translations.term_problems("{term}`前馈网络 <feed-forward network>`", terms)
    assert "'Feed Forward层'" in problem
