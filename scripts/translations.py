"""The Chinese edition's message catalogs: extract the English text, keep the catalogs in step with it, and say
how much of each page is translated.

    python scripts/translations.py update    # catalogs follow the English (changed paragraphs become fuzzy)
    python scripts/translations.py status    # per page: translated, fuzzy, missing; the missing paragraphs
    python scripts/translations.py check     # fails when a page of locales/zh_CN/pages.txt is under 95%
    python scripts/translations.py config    # writes the Chinese edition's _config.yml under _build/

The English text is read fresh from the pages and notebooks every time (Sphinx's gettext builder, a few
seconds), so a paragraph edited in English counts as untranslated until its translation is updated.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = "zh_CN"
CATALOGS = ROOT / "locales" / LOCALE / "LC_MESSAGES"
PAGES = ROOT / "locales" / LOCALE / "pages.txt"  # the pages the Chinese edition gives as translated
EXTRACTED = ROOT / "_build" / "gettext-source"
THRESHOLD = 95.0
HEADER = "# The Chinese translation of one page of the book; `make translations` keeps it in step with the English."


def extract(quiet: bool = True) -> Path:
    """Write one .pot per page from the current English sources; return their folder."""
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "custom",
               "--custom-builder", "gettext", "--path-output", str(EXTRACTED)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"extracting the English text failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return EXTRACTED / "_build" / "gettext"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".po.partial")
    with partial.open("wb") as handle:
        write_po(handle, catalog, width=120, no_location=True, sort_output=False)
    partial.replace(path)


def templates(folder: Path) -> dict[str, Catalog]:
    """Page name (``notebooks/01_bert_in_one_notebook``) -> its extracted catalog."""
    return {pot.relative_to(folder).with_suffix("").as_posix(): _read(pot) for pot in sorted(folder.rglob("*.pot"))}


def update(folder: Path) -> list[str]:
    """Bring every page's catalog in step with its template; return the pages written."""
    written = []
    for page, template in templates(folder).items():
        target = CATALOGS / f"{page}.po"
        if target.exists():
            catalog = _read(target, LOCALE)
            catalog.update(template, update_header_comment=False, update_creation_date=False)
            catalog.obsolete.clear()  # a paragraph that left the English has no place in the catalog
        else:
            catalog = Catalog(locale=LOCALE, project="ALBERT, built and measured", fuzzy=False,
                              copyright_holder="The ALBERT book authors", header_comment=HEADER, version="1",
                              msgid_bugs_address="https://github.com/albert-book/albert-book/issues",
                              last_translator="The ALBERT book authors", language_team="The ALBERT book authors")
            for message in template:
                if message.id:
                    catalog.add(message.id, locations=message.locations)
        _write(catalog, target)
        written.append(page)
    return written


@dataclass
class PageStatus:
    page: str
    total: int
    translated: int
    fuzzy: list[str]
    missing: list[str]
    problems: list[str]  # translations that changed a number, a formula or a role of their paragraph

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def status(folder: Path) -> list[PageStatus]:
    """Per page: how many of the paragraphs the English has now carry a translation that is not fuzzy."""
    rows = []
    terms = glossary_terms()
    for page, template in templates(folder).items():
        path = CATALOGS / f"{page}.po"
        catalog = _read(path, LOCALE) if path.exists() else Catalog(locale=LOCALE)
        ids = [message.id for message in template if message.id]
        done, fuzzy, missing, problems = 0, [], [], []
        for message_id in ids:
            entry = catalog.get(message_id)
            if entry is not None and entry.string and not entry.fuzzy:
                done += 1
                problems += [f"{_short(message_id)}: {p}" for p in translation_problems(message_id, entry.string)
                             + term_problems(entry.string, terms)]
            elif entry is not None and entry.string:
                fuzzy.append(message_id)
            else:
                missing.append(message_id)
        rows.append(PageStatus(page, len(ids), done, fuzzy, missing, problems))
    return rows


_NUMBER = re.compile(r"\d+(?:[,.]\d+)*")
_ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
_MATH = re.compile(r"\$[^$]+\$")


def _role_targets(text: str) -> Counter:
    """(role, target) of every MyST role: a term may be shown in Chinese, but it must point at the same entry."""
    found = Counter()
    for role, content in _ROLE.findall(text):
        target = re.search(r"<([^>]*)>\s*$", content)
        target = (target.group(1) if target else content).strip()
        found[role, target.lower() if role == "term" else target] += 1
    return found


def translation_problems(english: str, chinese: str) -> list[str]:
    """What a translation changed that it must not: its numbers, its math, its roles (glue, cite, doc, term)."""
    problems = []
    if Counter(_NUMBER.findall(english)) != Counter(_NUMBER.findall(chinese)):
        problems.append(f"numbers differ: {sorted(_NUMBER.findall(english))} in English, "
                        f"{sorted(_NUMBER.findall(chinese))} in Chinese")
    if Counter(_MATH.findall(english)) != Counter(_MATH.findall(chinese)):
        problems.append("math differs")
    if _role_targets(english) != _role_targets(chinese):
        problems.append(f"roles differ: {sorted(_role_targets(english) - _role_targets(chinese))} missing, "
                        f"{sorted(_role_targets(chinese) - _role_targets(english))} added")
    return problems


_CJK = re.compile(r"[\u4e00-\u9fff]")
GLOSSARY = ROOT / "book" / "glossary.md"


def glossary_terms(path: Path = GLOSSARY) -> dict[str, str]:
    """English term (lower case) -> the Chinese term its glossary entry gives (the article's, or the usual one)."""
    text = path.read_text(encoding="utf8")
    body = text[text.index("```{glossary}"):]
    terms, group = {}, []
    for line in body.splitlines()[1:]:
        if line.startswith("```"):
            break
        if line.startswith(":") or not line.strip():
            continue
        if line.startswith(" "):  # a definition ends the group of names above it
            chinese = [name for name in group if _CJK.search(name)]
            for name in group:
                if chinese and not _CJK.search(name):
                    terms[name.lower()] = chinese[0]
            group = []
        else:
            group.append(line.strip())
    return terms


def term_problems(chinese: str, terms: dict[str, str]) -> list[str]:
    """A glossary term shown in Chinese must be shown as the glossary's Chinese term, the same everywhere."""
    problems = []
    for role, content in _ROLE.findall(chinese):
        target = re.search(r"^(.*)<([^>]*)>\s*$", content)
        if role != "term" or not target:
            continue
        shown, entry = target.group(1).strip(), target.group(2).strip().lower()
        if _CJK.search(shown) and entry in terms and terms[entry] not in shown:
            problems.append(f"the term {entry!r} is shown as {shown!r}; the glossary says {terms[entry]!r}")
    return problems


def declared_pages() -> list[str]:
    if not PAGES.exists():
        return []
    return [line.strip() for line in PAGES.read_text(encoding="utf8").splitlines()
            if line.strip() and not line.startswith("#")]


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def print_status(rows: list[PageStatus], details: bool) -> None:
    declared = set(declared_pages())
    print(f"{'page':48} {'translated':>10} {'fuzzy':>6} {'missing':>8}  in the Chinese edition as translated")
    for row in rows:
        print(f"{row.page:48} {row.percent:9.1f}% {len(row.fuzzy):6} {len(row.missing):8}  "
              f"{'yes' if row.page in declared else 'no'}")
        if details and row.page in declared:
            for message_id in row.fuzzy:
                print(f"    fuzzy:   {_short(message_id)}")
            for message_id in row.missing:
                print(f"    missing: {_short(message_id)}")
    total = sum(row.total for row in rows)
    done = sum(row.translated for row in rows)
    print(f"whole book: {done} of {total} paragraphs translated ({100 * done / max(total, 1):.1f}%)")


def check(rows: list[PageStatus]) -> int:
    """0 when every declared page is translated to THRESHOLD % or more; else 1, naming the paragraphs missing."""
    by_page = {row.page: row for row in rows}
    failures = []
    for page in declared_pages():
        if page not in by_page:
            failures.append(f"{page}: listed in {PAGES.relative_to(ROOT)} but not a page of the book")
        elif by_page[page].percent < THRESHOLD:
            row = by_page[page]
            failures.append(f"{page}: {row.percent:.1f}% translated (under {THRESHOLD:g}%); not translated:\n"
                            + "\n".join(f"    {_short(m)}" for m in row.fuzzy + row.missing))
    for row in rows:
        failures += [f"{row.page}: {problem}" for problem in row.problems]
    for failure in failures:
        print(failure)
    return 1 if failures else 0


def write_config() -> Path:
    """The book's _config.yml with language zh_CN and the paths it names made relative to _build/."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: f"../{path}" for name, path in sphinx.get("local_extensions", {}).items()}
    sphinx.setdefault("config", {})["language"] = LOCALE
    config["title"] = f"{config['title']} (中文版)"
    target = ROOT / "_build" / "zh-config.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("update", "status", "check", "config"))
    parser.add_argument("--details", action="store_true", help="status: list the fuzzy and missing paragraphs")
    args = parser.parse_args(argv)
    if args.command == "config":
        print(write_config())
        return 0
    folder = extract()
    if args.command == "update":
        pages = update(folder)
        print(f"{len(pages)} catalogs in step with the English under {CATALOGS.relative_to(ROOT)}")
        return 0
    rows = status(folder)
    if args.command == "status":
        print_status(rows, args.details)
        return 0
    print_status(rows, details=False)
    return check(rows)


if __name__ == "__main__":
    sys.exit(main())
