"""Live preview: serve the site, rebuild on every change, reload the browser.

The reload script is added to HTML pages as they are served, never written into ``site/``.
A content error is shown in the page and in the terminal; the server keeps running.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from generator.errors import ContentError, PolicySiteError
from generator.pipeline import Paths, build
from generator.safety import allow_script
from generator.workers import WorkerStopped, process_pool

STATUS = "/_policy-site/status"

# Polls the build number; reloads when it changes; shows the problems of a failed build.
RELOAD_SCRIPT = """<script>
(function () {
  var seen = null;
  function show(errors) {
    var box = document.getElementById("ps-preview-errors");
    if (!errors.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "ps-preview-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;z-index:9999;max-height:50vh;"
        + "overflow:auto;background:#b3261e;color:#fff;font:14px/1.4 monospace;padding:1em;"
        + "white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = errors.join("\\n");
  }
  function poll() {
    fetch("__STATUS__", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.build !== seen && !s.errors.length) { location.reload(); return; }
        seen = s.build;
        show(s.errors);
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 500); });
  }
  poll();
})();
</script>""".replace("__STATUS__", STATUS)
_RELOAD_SCRIPT_BODY = RELOAD_SCRIPT.removeprefix("<script>").removesuffix("</script>")


class Preview:
    """The state the server reports: the build number and the last build's problems."""

    def __init__(
        self,
        paths: Paths,
        log: Callable[[str], None],
        jobs: int | None = None,
        *,
        pdfs: bool = True,
    ):
        self.paths = paths
        self.log = log
        self.jobs = jobs
        self.pdfs = pdfs
        """Write the PDFs on every rebuild; else keep the last ones (``build --no-pdfs``)."""
        self.build_number = 0
        self.errors: list[str] = []
        self.changed = threading.Event()
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        """Workers kept for every rebuild, so MkDocs and WeasyPrint are imported once."""

    def rebuild(self) -> None:
        try:
            try:
                self._build()
            except WorkerStopped:
                # A worker died since the last build (killed, out of memory): start new ones.
                self.close()
                self._build()
            errors: list[str] = []
        except ContentError as exc:
            errors = [str(problem) for problem in exc.problems]
        except PolicySiteError as exc:
            errors = [f"error: {exc}"]
            if isinstance(exc, WorkerStopped):
                self.close()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            # Anything else (a library's own error, even one outside Exception) is shown as
            # well: the preview keeps watching, and the next edit rebuilds.
            errors = [f"error: the build failed unexpectedly: {type(exc).__name__}: {exc}"]
            self._close_quietly()
        for line in errors:
            self.log(line)
        if errors:
            self.log(f"{len(errors)} problem(s); the preview shows the last good site.")
        with self.lock:
            self.errors = errors
            self.build_number += 1

    def _build(self) -> None:
        jobs = self.jobs or os.cpu_count() or 1
        if self.pool is None and jobs > 1:
            self.pool = process_pool(jobs)
        # What the rebuild replaced is deleted by a process of its own: the browser reloads
        # without waiting for it (a second or so at hundreds of organisations).
        build(
            self.paths, report=self.log, jobs=jobs, pool=self.pool, pdfs=self.pdfs, tidy_later=True
        )

    def close(self) -> None:
        """Stop the workers."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _close_quietly(self) -> None:
        """Start with new workers next time: after an unknown failure, these may be broken."""
        try:
            self.close()
        except Exception as exc:  # a broken pool may fail to stop; new ones are started
            self.log(f"note: the old worker processes could not be stopped: {exc}")
            self.pool = None

    def status(self) -> bytes:
        with self.lock:
            return json.dumps({"build": self.build_number, "errors": self.errors}).encode()

    def watch(self) -> BaseObserver:
        """Rebuild (after a short quiet spell) whenever content, forms or templates change."""
        preview = self

        class Changed(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if not event.is_directory and event.event_type in (
                    "created",
                    "modified",
                    "deleted",
                    "moved",
                ):
                    preview.changed.set()

        observer = Observer()
        folders = [self.paths.content, self.paths.forms, self.paths.templates]
        for folder in folders:
            if folder.is_dir():
                observer.schedule(Changed(), str(folder), recursive=True)
        observer.start()

        def loop() -> None:
            while True:
                self.changed.wait()
                time.sleep(0.3)  # editors write files in several steps
                self.changed.clear()
                try:
                    self.log("Change seen, rebuilding...")
                    self.rebuild()
                except Exception as exc:  # the watcher must outlive any one rebuild
                    with contextlib.suppress(Exception):
                        self.log(f"error: the rebuild failed: {type(exc).__name__}: {exc}")

        threading.Thread(target=loop, daemon=True).start()
        return observer


class _Handler(http.server.SimpleHTTPRequestHandler):
    preview: Preview

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == STATUS:
            self._send(200, "application/json", self.preview.status())
            return
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            html = target.read_text(encoding="utf-8", errors="replace")
            html = allow_script(html, _RELOAD_SCRIPT_BODY)  # the page's policy allows it by hash
            html = html.replace("</body>", RELOAD_SCRIPT + "</body>", 1)
            self._send(200, "text/html; charset=utf-8", html.encode())
            return
        super().do_GET()

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    preview: Preview

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that reloads drops its requests: no traceback for that, one line for
        # anything else; the server goes on either way.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            self.preview.log(f"error: serving a page failed: {type(error).__name__}: {error}")


def make_server(preview: Preview, port: int) -> http.server.ThreadingHTTPServer:
    """A server on 127.0.0.1 for the preview's site folder (port 0 picks a free one)."""
    handler = type("Handler", (_Handler,), {"preview": preview})
    bound = functools.partial(handler, directory=str(preview.paths.site))
    server = _Server(("127.0.0.1", port), bound)
    server.preview = preview
    return server
