"""Search as a reader meets it, measured in Chromium: bytes transferred and time to the answer.

Run it on a built site::

    .venv/bin/python benchmarks/search.py site [--lang nb] [QUERY ...]

or call ``measure_search(site)`` (``benchmarks/build.py`` can, after its full build). The site
is served on 127.0.0.1 by Python's http.server (no compression: Pagefind's chunks are gzip
files already). Each query runs in a fresh browser context, so nothing is cached: the page is
opened, and once it is quiet the query is put into the search box at once, as a paste would.
Counted from that moment: every byte the page fetches (Pagefind's script, its WebAssembly, the
language's metadata, the index chunks of the words and the fragments of the results shown),
and the time until the result line gives the answer with the results in the list (a query
put in whole is searched at once; typed, the box waits 120 ms for the next letter).

Each query is measured twice: on the start page (no organisation: every organisation's pages)
and on the first organisation's own page (the search keeps to that organisation).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUERIES = ("forsikring", "pult", "hjemmekontor avtale")
"""Typical queries: a topic, a word in parentheses in the texts, two words."""

KB = 1024

CHROMIUM_ARGS = [  # the tests' browser too (tests/conftest.py)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_ANSWER = """query => new Promise((resolve, reject) => {
  const input = document.getElementById("ps-search-query");
  const meta = document.querySelector(".md-search-result__meta");
  const strings = JSON.parse(document.getElementById("ps-search").dataset.strings);
  input.focus();
  const start = performance.now();
  const done = () => !meta.textContent.endsWith("…") && meta.textContent !== strings.ready;
  const observer = new MutationObserver(() => {
    if (!done()) return;
    observer.disconnect();
    resolve([performance.now() - start, meta.textContent,
             document.querySelectorAll(".md-search-result__item").length]);
  });
  observer.observe(meta, { childList: true, characterData: true, subtree: true });
  input.value = query;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(() => reject(new Error("no answer within 30 s")), 30000);
})"""


@dataclass(frozen=True)
class QueryFigures:
    query: str
    page: str
    """The page the search was made on (below the site)."""
    transferred: int
    """Bytes fetched for the search (response bodies and headers)."""
    requests: int
    seconds: float
    """From the query in the box to the answer with its results listed."""
    answer: str
    """The result line ("12 treff", "3 treff i Kommunen")."""
    shown: int
    """Results in the list (the first ten at most)."""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _first_organisation(site: Path, lang: str) -> str | None:
    """The address of the first organisation's own page, from the organisation index."""
    import json

    manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    for entry in manifest["entries"]:
        if entry["lang"] == lang and entry["kind"] == "organisation":
            return "/" + entry["path"].removesuffix("index.html")
    orgs = sorted({e["org"] for e in manifest["entries"] if e["lang"] == lang and e["org"]})
    return f"/{lang}/{orgs[0]}/" if orgs else None


def _recorded(page: Any) -> list[Any]:
    """The requests ``page`` completes from now on."""
    fetched: list[Any] = []

    def add(request: Any) -> None:  # Playwright tags its handlers: no bound built-ins
        fetched.append(request)

    page.on("requestfinished", add)
    return fetched


def measure_search(
    site: Path, lang: str = "nb", queries: tuple[str, ...] = QUERIES
) -> list[QueryFigures]:
    """Search ``site`` (a built site folder) for each query, cold, in Chromium."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed: run `bash tools/system-deps.sh`")
    pages = [f"/{lang}/"]
    org_page = _first_organisation(site, lang)
    if org_page:
        pages.append(org_page)
    figures = []
    with _served(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for start in pages:
                for query in queries:
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(base + start)
                    page.wait_for_load_state("networkidle")
                    fetched = _recorded(page)
                    seconds, answer, shown = page.evaluate(_ANSWER, query)
                    page.wait_for_load_state("networkidle")
                    transferred = 0
                    for request in fetched:
                        sizes = request.sizes()
                        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                    figures.append(
                        QueryFigures(
                            query, start, transferred, len(fetched), seconds / 1000, answer, shown
                        )
                    )
                    context.close()
        finally:
            browser.close()
    return figures


def print_figures(figures: list[QueryFigures]) -> None:
    print(f"{'search':<42} {'transferred':>12} {'requests':>9} {'to answer':>10}  answer")
    for f in figures:
        what = f"{f.query!r} on {f.page}"
        print(
            f"{what:<42} {f.transferred / KB:9.1f} KB {f.requests:>9} {f.seconds:8.2f} s  "
            f"{f.answer} ({f.shown} shown)"
        )
    if figures:
        print(
            f"largest transfer {max(f.transferred for f in figures) / KB:.1f} KB (target "
            f"<= 300 KB), slowest answer {max(f.seconds for f in figures):.2f} s "
            "(target <= 0.5 s)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/search.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("site", type=Path, help="a built site folder (with manifest.json)")
    parser.add_argument("--lang", default="nb", help="written form to search (default nb)")
    parser.add_argument("queries", nargs="*", default=list(QUERIES), help="queries to measure")
    args = parser.parse_args(argv)
    if not (args.site / "manifest.json").is_file():
        parser.error(f"{args.site}: not a built site (no manifest.json)")
    print_figures(measure_search(args.site, args.lang, tuple(args.queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
