"""Open every page of the rendered book in headless Chromium, as a reader would, with no network.

The HTML is built from the committed notebook outputs (no execution). Every request to a host other
than the local server is refused and is a failure. A page fails if it shows a Python traceback, a
widget printed as plain text, a missing image, unrendered math, a printed line or a table cut off by its
box, or if it asks the book for a file the book does not serve (a font, a script).
The parameter widgets of chapters 1-3 must render and answer a moved control with the count
`count_parameters` gives. Screenshots are saved under artifacts/screenshots/.
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
from urllib.parse import urlparse

import pytest
import yaml

from albert_lite import AlbertConfig, count_parameters

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


def built_and_served(work: Path, language: str | None = None):
    """Build the book (or its translation) from committed outputs in a scratch copy; serve it on 127.0.0.1."""
    for name in ("book", "notebooks") + (("locales",) if language else ()):
        shutil.copytree(ROOT / name, work / name)
    shutil.copy(ROOT / "_toc.yml", work / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    if language:
        config["sphinx"]["config"]["language"] = language
    (work / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The English edition."""
    yield from built_and_served(tmp_path_factory.mktemp("book"))


def pages(html: Path) -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{f}.html" for f in files]


@pytest.fixture(scope="module")
def browser_page(site):
    """A Chromium page that refuses, and records, every request to another host than the book's."""
    from playwright.sync_api import sync_playwright

    _, base = site
    external: list[str] = []
    missing: list[str] = []  # files a page asks the book's own server for and does not get

    def only_local(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_local)
        page.on("response", lambda response: response.status >= 400 and missing.append(response.url))
        yield page, external, missing
        browser.close()


# Lines of printed output wider than their box (their text would be hidden behind a scroll bar).
CUT_OFF_LINES = """Array.from(document.querySelectorAll('article .cell_output pre'))
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => pre.innerText.slice(0, 80))"""
# Tables (pandas' HTML) wider than the output box that holds them: their last columns would be out of view.
CUT_OFF_TABLES = """Array.from(document.querySelectorAll('article .cell_output table'))
    .filter(t => t.getBoundingClientRect().width > t.closest('.cell_output').clientWidth + 1)
    .map(t => t.innerText.slice(0, 80))"""


def layout_and_requests(page, name: str, external: list[str], missing: list[str]) -> list[str]:
    """Lines or tables cut off by their box, and requests to other hosts or for files the book lacks (then
    forgotten, so that the next page starts clean)."""
    problems = [f"{name}: a printed line is cut off: {line!r}" for line in page.evaluate(CUT_OFF_LINES)]
    problems += [f"{name}: a table is wider than the page: {head!r}" for head in page.evaluate(CUT_OFF_TABLES)]
    problems += [f"{name}: asked another host for {url}" for url in external]
    problems += [f"{name}: the book does not serve {url}" for url in missing]
    external.clear()
    missing.clear()
    return problems


def test_every_page_renders_cleanly(site, browser_page):
    html, base = site
    page, external, missing = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in pages(html):
        assert (html / name).exists(), f"{name} was not rendered"
        page.goto(f"{base}/{name}", wait_until="load")
        page.wait_for_function(
            "typeof MathJax === 'undefined' || (MathJax.Hub && MathJax.Hub.queue.pending === 0"
            " && MathJax.Hub.queue.running === 0)",
            timeout=30_000,
        )
        page.wait_for_load_state("networkidle")  # fonts and scripts asked for after "load" are counted too
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
        problems += layout_and_requests(page, name, external, missing)
    assert not problems, "\n".join(problems)


def move(page, name: str, value) -> None:
    """Set a control of the page's parameter widget as a reader would, and let the widget redraw."""
    page.locator(f".albert-widget [name={name}]").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", str(value))


def shown(page, what: str = "total") -> int:
    cell = page.locator(f'.albert-widget [data-count="{what}"]')
    return int(cell.get_attribute("data-value") or cell.inner_text().replace(",", ""))


def bert(V: int, H: int, L: int, heads: int) -> AlbertConfig:
    return AlbertConfig(vocab_size=V, embedding_size=H, hidden_size=H, num_layers=L, num_heads=heads, sharing="none")


# Each widget chapter: the moves a reader makes and the configuration they should show.
WIDGET_CHECKS = {
    "notebooks/01_bert_in_one_notebook.html": [
        ({}, "total", count_parameters(bert(30000, 768, 12, 12))["total"]),
        ({"hidden_size": 1024, "num_heads": 16}, "total", count_parameters(bert(30000, 1024, 12, 16))["total"]),
        ({"vocab_size": 100000, "num_layers": 24}, "total", count_parameters(bert(100000, 1024, 24, 16))["total"]),
    ],
    "notebooks/02_factorized_embedding.html": [
        ({}, "total", 30000 * 128 + 128 * 768),
        ({"embedding_size": 256, "hidden_size": 4096}, "total", 30000 * 256 + 256 * 4096),
        ({}, "albert block", sum(count_parameters(AlbertConfig(embedding_size=256, hidden_size=4096, num_heads=1))[k]
                                 for k in ("embedding", "projection"))),
    ],
    "notebooks/03_cross_layer_sharing.html": [
        ({}, "total", count_parameters(AlbertConfig.from_preset("albert-base"))["total"]),
        ({"sharing": "attention"}, "total",
         count_parameters(AlbertConfig.from_preset("albert-base", sharing="attention"))["total"]),
        ({"num_layers": 24, "group_size": 6}, "total",
         count_parameters(AlbertConfig.from_preset("albert-base", sharing="attention", num_layers=24,
                                                   group_size=6))["total"]),
        ({"sharing": "all", "embedding_size": 768}, "total",
         count_parameters(AlbertConfig.from_preset("albert-base", embedding_size=768, num_layers=24,
                                                   group_size=6))["total"]),
    ],
}


# Ask for the widget manager's icon font (Font Awesome), as a widget with an icon does.
ICON_FONTS = """Promise.allSettled(['16px FontAwesome', '900 16px "Font Awesome 5 Free"']
    .map(font => document.fonts.load(font)))"""


def answer_every_move(page, url: str, name: str) -> None:
    """Open a widget chapter and make each of its moves: the widget must show the expected count every time."""
    page.goto(url, wait_until="load")
    page.wait_for_selector(".albert-widget [data-count=total]", timeout=30_000)
    for moves, what, expected in WIDGET_CHECKS[name]:
        for control, value in moves.items():
            move(page, control, value)
        assert shown(page, what) == expected, (name, moves, what)


@pytest.mark.parametrize("name", sorted(WIDGET_CHECKS))
def test_parameter_widgets_answer_without_a_kernel(site, browser_page, name):
    _, base = site
    page, external, missing = browser_page
    answer_every_move(page, f"{base}/{name}", name)
    page.locator(".albert-widget").screenshot(path=str(SCREENSHOTS / (Path(name).stem + "__widget.png")))
    # A widget with an icon makes the browser fetch the manager's icon font: it must be served by the book.
    page.evaluate(ICON_FONTS)
    page.wait_for_load_state("networkidle")
    assert not external, f"{name} asked other hosts for {external}"
    assert not missing, f"{name} asked the book for files it does not serve: {missing}"


def test_every_chapter_links_to_colab(site):
    from scripts.sync_repository_url import repository

    url, branch = repository()
    owner_name = urlparse(url).path.strip("/")
    html, _ = site
    chapters = [p for p in pages(html) if p.startswith("notebooks/")]
    assert chapters
    for name in chapters:
        notebook = name.removesuffix(".html") + ".ipynb"
        page = (html / name).read_text(encoding="utf-8")
        assert f"colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}" in page, name


# ------------------------------------------------------------------------------------------ the Chinese edition
CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_pages() -> list[str]:
    """The pages the Chinese edition gives as translated (locales/zh_CN/pages.txt), as rendered files."""
    listed = (ROOT / "locales" / "zh_CN" / "pages.txt").read_text(encoding="utf-8").splitlines()
    return [f"{line.strip()}.html" for line in listed if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def zh_site(tmp_path_factory):
    """The Chinese edition, built from the same committed outputs and the catalogs."""
    yield from built_and_served(tmp_path_factory.mktemp("book-zh"), language="zh_CN")


def fonts_for(page, selector: str) -> dict[str, int]:
    """The fonts Chromium really drew a node's text with, and how many glyphs each drew (DevTools' CSS domain)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def cjk_families() -> set[str]:
    """Font families on this machine that cover Chinese (fontconfig)."""
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def test_the_chinese_edition_reads_in_chinese(zh_site, browser_page):
    html, base = zh_site
    page, external, missing = browser_page
    families = cjk_families()
    assert families, "no font on this machine covers Chinese: install fonts-wqy-microhei or fonts-noto-cjk"
    problems = []
    for name in chinese_pages():
        assert (html / name).exists(), f"{name} was not rendered"
        page.goto(f"{base}/{name}", wait_until="load")
        page.wait_for_load_state("networkidle")
        if page.evaluate("document.documentElement.lang") != "zh-CN":
            problems.append(f"{name}: the page does not declare zh-CN")
        # The book's prose, not what stays English by design (bibliography entries, code, outputs).
        prose = page.evaluate("""Array.from(document.querySelectorAll('article p, article li, article h1'))
            .filter(e => !e.closest('.citation, .cell_output, pre, .highlight')).map(e => e.innerText).join(' ')""")
        share = len(CJK.findall(prose)) / max(1, len(re.sub(r"\s", "", prose)))
        if share < 0.2:
            problems.append(f"{name}: only {share:.0%} of the prose is Chinese")
        page.evaluate("""() => { const p = Array.from(document.querySelectorAll('article p'))
            .find(e => /[\\u4e00-\\u9fff]{8}/.test(e.innerText)); if (p) p.id = 'cjk-probe'; }""")
        drawn = fonts_for(page, "#cjk-probe")
        chinese = sum(count for family, count in drawn.items() if family in families)
        if not chinese:
            problems.append(f"{name}: Chinese drawn without a Chinese font (tofu): {drawn}")
        problems += layout_and_requests(page, name, external, missing)
        page.screenshot(path=str(SCREENSHOTS / ("zh__" + name.replace("/", "__").removesuffix(".html") + ".png")),
                        full_page=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [n for n in sorted(WIDGET_CHECKS) if n in chinese_pages()])
def test_parameter_widgets_answer_in_the_chinese_edition(zh_site, browser_page, name):
    _, base = zh_site
    page, _, _ = browser_page
    answer_every_move(page, f"{base}/{name}", name)
    words = page.locator(".albert-widget").inner_text()  # the widget speaks the page's language
    assert "参数" in words and not re.search(r"\b(parameters|component|share|ratio)\b", words), words[:200]
    page.locator(".albert-widget").screenshot(path=str(SCREENSHOTS / ("zh__" + Path(name).stem + "__widget.png")))
