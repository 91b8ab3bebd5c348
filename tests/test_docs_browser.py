"""The built site, looked at in a real browser (issue 14, items 1 and 5).

Builds the Sphinx site, opens the quick start, the chain page and the CLI page in
headless Chromium (Debian's ``chromium``) at a window 1280 px wide, and fails when a
code block is wider than the content column or scrolls sideways (``scrollWidth >
clientWidth`` of a ``pre``), when the theme has no dark mode, or when a page links to
a page or anchor that does not exist (``sphinx -b linkcheck`` for the links, plus a
walk of every ``href`` of the built pages).

Sphinx and furo come with the test extras; Chromium (Debian's ``chromium``) and
Graphviz are real parts that ``.ci/run`` installs: without them the tests skip, and
fail under CI.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
WIDTH = 1280
PAGES = ("quickstart.html", "chain.html", "cli.html")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

#: Loads a page of the site in a frame of the given width, then measures it and writes
#: the result, as JSON, into the element ``#result`` for ``--dump-dom`` to print.
_PROBE = """<!doctype html>
<html><body>
<iframe id="page" src="/{page}" style="width:{width}px;height:900px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {{
  const doc = frame.contentDocument;
  const win = frame.contentWindow;
  const column = doc.querySelector("article[role=main]") || doc.querySelector("article");
  const right = column.getBoundingClientRect().right;
  const blocks = [...doc.querySelectorAll("pre")].map((pre) => ({{
    text: pre.textContent.split("\\n")[0].slice(0, 80),
    scrollWidth: pre.scrollWidth,
    clientWidth: pre.clientWidth,
    right: Math.round(pre.getBoundingClientRect().right),
  }}));
  const background = (theme) => {{
    doc.body.dataset.theme = theme;
    return win.getComputedStyle(doc.body).backgroundColor;
  }};
  const result = {{
    title: doc.title,
    columnWidth: Math.round(column.getBoundingClientRect().width),
    columnRight: Math.round(right),
    pageScrollWidth: doc.documentElement.scrollWidth,
    viewportWidth: doc.documentElement.clientWidth,
    blocks,
    light: background("light"),
    dark: background("dark"),
  }};
  document.getElementById("result").textContent = JSON.stringify(result);
}});
</script>
</body></html>
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed (.ci/run installs Debian's chromium package)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _sphinx(builder: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # -P: the source tree (the working folder) must not shadow an installed (wheel)
    # alphacast, whose alphacast.providers the tree does not have.
    return subprocess.run(
        [sys.executable, "-P", "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder, *extra]
        + [str(DOCS), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML site, built as CI builds it (warnings are errors)."""
    require_tool("dot")  # the diagrams are drawn by Graphviz at build time
    out = tmp_path_factory.mktemp("site")
    built = _sphinx("html", out)
    assert built.returncode == 0, built.stdout + built.stderr
    return out


class _Server(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/__probe__":
            page, _, width = unquote(parts.query).partition("@")
            body = _PROBE.format(page=page, width=int(width)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(root: Path) -> Iterator[str]:
    handler = functools.partial(_Server, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    yield from _serve(site)


def measure(base_url: str, page: str, profile: Path, *, width: int = WIDTH) -> dict[str, object]:
    """Open ``page`` in headless Chromium in a frame ``width`` px wide and measure it."""
    chromium = _chromium()
    profile.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width + 100},1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{base_url}/__probe__?{page}@{width}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert found and found[1] != "pending", (
        f"chromium did not measure {page} (exit {done.returncode}): {done.stderr[-2000:]}"
    )
    import html

    return json.loads(html.unescape(found[1]))


def overflowing(result: dict[str, object]) -> list[str]:
    """The code blocks of a measured page that scroll sideways or stick out of the column."""
    problems = []
    column_right = int(result["columnRight"])  # type: ignore[call-overload]
    for block in result["blocks"]:  # type: ignore[attr-defined]
        if block["scrollWidth"] > block["clientWidth"]:
            problems.append(
                f"{block['text']!r}: {block['scrollWidth']} px of text in a "
                f"{block['clientWidth']} px block"
            )
        elif block["right"] > column_right + 1:
            problems.append(f"{block['text']!r}: ends at {block['right']} > {column_right} px")
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_no_code_block_is_wider_than_the_content_column(
    page: str, served: str, tmp_path: Path
) -> None:
    result = measure(served, page, tmp_path / "chromium-profile")
    assert result["blocks"], f"{page}: no code block found: is the probe looking at the page?"
    assert int(result["columnWidth"]) >= 600, result  # type: ignore[call-overload]
    assert not overflowing(result), f"{page} at {WIDTH} px: " + "; ".join(overflowing(result))
    assert result["pageScrollWidth"] <= result["viewportWidth"], (  # type: ignore[operator]
        f"{page} scrolls sideways at {WIDTH} px"
    )


def test_the_theme_has_a_light_and_a_dark_mode(served: str, tmp_path: Path) -> None:
    result = measure(served, "index.html", tmp_path / "chromium-profile")
    assert result["light"] != result["dark"], result


def test_the_probe_sees_an_overflowing_block(tmp_path: Path) -> None:
    """The measurement can fail: a page with one long unbreakable line is caught."""
    site = tmp_path / "site"
    site.mkdir()
    long_line = "x" * 400
    (site / "wide.html").write_text(
        "<!doctype html><html><head><title>wide</title></head><body>"
        f"<article role='main' style='width:700px'><pre>{long_line}</pre>"
        "<pre>short</pre></article></body></html>",
        encoding="utf-8",
    )
    for base in _serve(site):
        result = measure(base, "wide.html", tmp_path / "chromium-profile")
    problems = overflowing(result)
    assert len(problems) == 1 and "xxxx" in problems[0], problems


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])  # type: ignore[arg-type]
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])  # type: ignore[arg-type]


def broken_internal_links(site: Path) -> list[str]:
    """Every relative ``href`` of the built pages whose file or anchor does not exist."""
    parsed: dict[Path, _Links] = {}

    def links(path: Path) -> _Links:
        if path not in parsed:
            parser = _Links()
            parser.feed(path.read_text(encoding="utf-8"))
            parsed[path] = parser
        return parsed[path]

    broken = []
    for page in sorted(site.rglob("*.html")):
        if "_modules" in page.parts or "_sources" in page.parts:
            continue
        for href in links(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)} -> {href}"
            if not target.exists():
                broken.append(f"{where}: no such file")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in links(target).ids:
                    broken.append(f"{where}: no such anchor")
    return broken


def test_no_internal_link_is_broken(site: Path) -> None:
    assert not broken_internal_links(site)


def test_the_link_walk_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">ok</a><a href="b.html#gone">anchor</a><a href="c.html">file</a>'
        '<a href="https://example.com/x">external</a>',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text('<h1 id="there">b</h1>', encoding="utf-8")
    assert broken_internal_links(tmp_path) == [
        "a.html -> b.html#gone: no such anchor",
        "a.html -> c.html: no such file",
    ]


def test_sphinx_linkcheck_finds_no_broken_internal_link(tmp_path: Path) -> None:
    """``sphinx -b linkcheck``, external URLs left out (CI has no network for them)."""
    out = tmp_path / "linkcheck"
    checked = _sphinx("linkcheck", out, "-D", r"linkcheck_ignore=^https?://")
    report = (out / "output.json").read_text(encoding="utf-8") if out.exists() else ""
    rows = [json.loads(line) for line in report.splitlines() if line.strip()]
    bad = [row for row in rows if row["status"] not in ("working", "ignored", "unchecked")]
    assert checked.returncode == 0 and not bad, (checked.stdout + checked.stderr, bad)
