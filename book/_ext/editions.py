"""Two editions from one source: the English book and its Chinese translation, built from the same notebooks.

The Chinese edition is the same build with ``language = zh_CN``: Sphinx replaces each paragraph by its translation
from ``locales/zh_CN/LC_MESSAGES/<page>.po`` (the gettext workflow), so code, outputs and glued numbers are the
very ones of the English edition. What this extension adds:

* every page links to the same page in the other edition (``_build/html`` and ``_build/zh/_build/html``);
* numbered headings ("1. Embeddings") in translation: Sphinx parses a translated title as a document of its own,
  where a leading "1." would open a list, so the number's dot is escaped;
* the table of contents' captions, which sphinx-external-toc inserts after the translation pass has run;
* glued numbers inside translated paragraphs. Sphinx parses each translation as a small document of its own, and
  myst-nb's glue roles look for the notebook's glued outputs on that document, which a fragment lacks. A
  translation's ``{glue:text}`key``` is read as ``{glue:text}`/<this page>::key```, the form myst-nb resolves
  after reading, from the glue data it saved for the page: the same number the English paragraph shows.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath
from typing import Any

from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform, i18n

ENGLISH_ROOT = "html"  # under _build/
CHINESE_ROOT = "zh/_build/html"  # under _build/: `jupyter-book build --path-output _build/zh`
_LEADING_NUMBER = re.compile(r"^(\d+)\.(\s)")
_GLUE_TEXT = re.compile(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`")


def glue_from_page(text: str, page: str) -> str:
    """``{glue:text}`key``` (or ``key:format``) in a translation -> the same key of ``page``, a path under the
    book's root."""
    return _GLUE_TEXT.sub(lambda m: f"{{glue:text}}`/{page}::{m.group(1)}:{m.group(2) or 's'}`", text)


def _publish_with_page_glue(publish):
    def wrapped(app, source, *args, **kwargs):
        page = PurePosixPath(app.env.doc2path(app.env.docname, False)).as_posix()
        return publish(app, _LEADING_NUMBER.sub(r"\1\\.\2", glue_from_page(source, page)), *args, **kwargs)

    wrapped.editions = True
    return wrapped


def other_edition_link(pagename: str, language: str | None) -> tuple[str, str]:
    """The relative address of ``pagename`` in the other edition, and the link's text."""
    depth = len(PurePosixPath(pagename).parts) - 1
    if language and language.startswith("zh"):
        return "../" * (depth + 3) + f"{ENGLISH_ROOT}/{pagename}.html", "English"
    return "../" * (depth + 1) + f"{CHINESE_ROOT}/{pagename}.html", "中文版"


def _add_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if doctree is None or "body" not in context:
        return
    href, text = other_edition_link(pagename, app.config.language)
    context["body"] = (f'<p class="edition-link"><a href="{href}" hreflang="{"en" if text == "English" else "zh"}">'
                       f"{text}</a></p>\n" + context["body"])


class TranslateTocCaptions(SphinxTransform):
    """The captions of the table of contents ("Chapters", "Appendix") from the page's catalog."""

    default_priority = 101  # sphinx-external-toc inserts the toctrees at 100, after Sphinx translated the page

    def apply(self, **kwargs: Any) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        folders = [os.path.join(self.env.srcdir, folder) for folder in self.config.locale_dirs]
        catalog, found = init_locale(folders, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            if toctree.get("caption"):
                toctree["caption"] = catalog.gettext(toctree["caption"])


def setup(app: Sphinx) -> dict[str, Any]:
    if not getattr(i18n.publish_msgstr, "editions", False):
        i18n.publish_msgstr = _publish_with_page_glue(i18n.publish_msgstr)
    app.add_transform(TranslateTocCaptions)
    app.connect("html-page-context", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
