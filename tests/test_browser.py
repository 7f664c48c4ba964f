"""Open every page of the rendered book in headless Chromium, as a reader would.

The HTML is built from the committed notebook outputs (no execution). A page fails if it shows
a Python traceback, a widget printed as plain text, a missing image or unrendered math.
Screenshots are saved under artifacts/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WIDGET_AS_TEXT = re.compile(r"\b(HBox|VBox|interactive|IntSlider|FloatSlider|Dropdown|ToggleButtons|Output)\(")
UNRENDERED_MATH = re.compile(r"\\\(|\\\[|\$\$")

if CHROMIUM is None and os.environ.get("ALBERT_BOOK_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is required here (ALBERT_BOOK_REQUIRE_BROWSER is set) but was not found")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium: apt-get install chromium")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test log readable
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book from committed outputs in a scratch copy and serve it on 127.0.0.1."""
    work = tmp_path_factory.mktemp("book")
    for name in ("book", "notebooks"):
        shutil.copytree(ROOT / name, work / name)
    shutil.copy(ROOT / "_toc.yml", work / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (work / "_config.yml").write_text(yaml.safe_dump(config))
    build = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(work), "-W", "-n", "--keep-going"],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = work / "_build" / "html"
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def pages(html: Path) -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{f}.html" for f in files]


def test_every_page_renders_cleanly(site):
    from playwright.sync_api import sync_playwright

    html, base = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name in pages(html):
            assert (html / name).exists(), f"{name} was not rendered"
            page.goto(f"{base}/{name}", wait_until="load")
            page.wait_for_function(
                "typeof MathJax === 'undefined' || (MathJax.Hub && MathJax.Hub.queue.pending === 0"
                " && MathJax.Hub.queue.running === 0)",
                timeout=30_000,
            )
            text = page.inner_text("article")
            shot = SCREENSHOTS / (name.replace("/", "__").removesuffix(".html") + ".png")
            page.screenshot(path=str(shot), full_page=True)
            outputs = " ".join(page.locator("article .cell_output").all_inner_texts())
            # Chapters print some ValueError messages on purpose; an uncaught error shows a traceback.
            tracebacks = page.locator("article .cell_output .traceback").count()
            if tracebacks or "Traceback (most recent call last)" in outputs:
                problems.append(f"{name}: shows a Python traceback")
            if match := WIDGET_AS_TEXT.search(outputs):
                problems.append(f"{name}: a widget is shown as text ({match.group(0)}...)")
            if match := UNRENDERED_MATH.search(text):
                problems.append(f"{name}: unrendered math near {text[max(0, match.start() - 40):match.end() + 40]!r}")
            broken = page.evaluate(
                "Array.from(document.querySelectorAll('article img'))"
                ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            problems += [f"{name}: missing image {src}" for src in broken]
        browser.close()
    assert not problems, "\n".join(problems)


def test_every_chapter_links_to_colab(site):
    html, _ = site
    chapters = [p for p in pages(html) if p.startswith("notebooks/")]
    assert chapters
    for name in chapters:
        notebook = name.removesuffix(".html") + ".ipynb"
        page = (html / name).read_text(encoding="utf-8")
        assert f"colab.research.google.com/github/albert-book/albert-book/blob/main/{notebook}" in page, name
