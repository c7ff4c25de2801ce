"""The dev server: keeps the model in memory, renders each page when the browser asks for it, and reloads the
open page after each batch of changes.

An edit re-reads only the files that changed, re-parses only those, and renders Markdown only for bodies not seen
before; the page that is open is then rendered on request, so an edit costs the same with 24 case studies or
4,000. Search is re-indexed in the background, in a lower-priority child process, after each change.
"""
from __future__ import annotations

import ctypes
import gc
import json
import logging
import mimetypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import jinja2
import watchfiles
from livereload import Server
from livereload.handlers import LiveReloadHandler
from livereload.watcher import Watcher
from tornado import ioloop, web

from . import cache, load, markup, pipeline, render, source
from .pages import PageSpec, plan
from .problems import ContentError

ERRORS_FILE = "_dev/errors.json"
PR_SET_PDEATHSIG = 1  # Linux prctl: the signal a child gets when its parent dies
SETTLE_MS = 15  # a batch of changes ends after this long without another
READY_MS = 100  # how often the watching thread wakes when nothing changes: the first time tells it is watching
OPTIONS = render.Options(search=True, dev=True)
BINARY = "application/octet-stream"
FAILED_PAGE = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed</title>"
               "<script src=\"/assets/dev.js\" defer></script></head><body><h1>Build failed</h1></body></html>")


@dataclass(frozen=True)
class Response:
    """What the dev server sends for one request."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """One good state of the site: the model, a renderer for it and its pages by path."""

    renderer: render.Renderer
    static: dict[str, bytes]
    specs: dict[str, PageSpec] = field(default_factory=dict)

    @cached_property
    def others(self) -> dict[str, bytes]:
        """Data files, feed, sitemap and robots.txt: made on the first request for any of them."""
        return render.other_files(self.renderer, list(self.specs.values()), self.static)


class DevSite:
    """The dev server's state: what was read, parsed and rendered last time, and the last good snapshot."""

    def __init__(self, paths: pipeline.Paths) -> None:
        self.paths = paths
        self.known: source.Known = {}
        self.tree: source.Tree | None = None
        self.memo = load.Memo()
        self.disk = cache.MarkdownCache(paths.cache) if paths.cache else None
        self.memory = cache.MemoryCache()
        self.snapshot: Snapshot | None = None
        self.planned: dict[tuple[int, int, int], PageSpec] = {}
        self.problems: list[str] = []
        self._templates: tuple[dict[str, tuple[int, int]], jinja2.Environment] | None = None

    def _environment(self) -> jinja2.Environment:
        """The template environment, made afresh (and every template compiled again) only when a template changes."""
        stamp = file_stamps([self.paths.templates])
        if self._templates is None or self._templates[0] != stamp:
            self._templates = (stamp, render.environment(self.paths.templates))
        return self._templates[1]

    def _markdown(self, texts: list[str]) -> dict[str, markup.Rendered]:
        first = not self.memory.entries and self.disk is not None
        rendered = markup.render_all(texts, self.disk if first else self.memory)
        self.memory.store(rendered)
        return rendered

    def refresh(self, changed: set[str] | None = None) -> bool:
        """Bring the model up to date with the files (only `changed` ones re-read, if given); on a content or
        template error keep the last good model."""
        try:
            quick = source.reread(self.tree, self.known, changed) if changed and self.tree else None
            tree = self.tree = quick or source.read_tree(self.paths.content, self.known, changed)
            site = load.load(tree, self._markdown, self.memo)
            static = render.assets(self.paths.static, site) | render.dev_assets()
            renderer = render.renderer(self._environment(), site, static, OPTIONS)
        except ContentError as error:
            self.problems = [str(p) for p in error.problems]
            print(error.report(), flush=True)
            return False
        except jinja2.TemplateError as error:
            self.problems = [f"{getattr(error, 'filename', None) or 'templates'}:{getattr(error, 'lineno', 0)}: "
                             f"{error}"]
            print(self.problems[0], flush=True)
            return False
        self.snapshot = Snapshot(renderer, static, {spec.path: spec for spec in plan(site, self.planned)})
        self.problems = []
        return True

    def respond(self, url_path: str, search_dir: Path | None = None) -> Response:
        """The response to a GET of a site-relative path, rendering a page if that is what is asked for."""
        path = unquote(url_path).lstrip("/")
        if path == ERRORS_FILE:
            if not self.problems:
                return Response(204, "text/plain; charset=utf-8", b"")
            return Response(200, "application/json", json.dumps({"problems": self.problems}, indent=1).encode())
        snap = self.snapshot
        if snap is None:
            if path == "assets/dev.js":
                return Response(200, "text/javascript", render.DEV_OVERLAY.read_bytes())
            return Response(503, "text/html; charset=utf-8", FAILED_PAGE.encode())
        if path.startswith("pagefind/") and search_dir is not None:
            return _file(search_dir, path)
        key = path + "index.html" if path == "" or path.endswith("/") else path
        if key in snap.specs:
            return Response(200, "text/html; charset=utf-8", snap.renderer.page(snap.specs[key]))
        if key + "/index.html" in snap.specs:
            return Response(301, "text/plain", b"", location=f"/{path}/")
        data = snap.static.get(key)
        if data is None and not key.endswith(".html"):
            data = snap.others.get(key)
        if data is not None:
            return Response(200, _type(key), data)
        return Response(404, "text/html; charset=utf-8", snap.renderer.page(snap.specs["404.html"]))


def _type(path: str) -> str:
    kind = mimetypes.guess_type(path)[0] or BINARY
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("json", "xml")) else kind


def _file(folder: Path, path: str) -> Response:
    """A file of the last search index, never one outside it."""
    target = (folder / path).resolve()
    if not target.is_relative_to(folder.resolve()) or not target.is_file():
        return Response(404, "text/plain; charset=utf-8", b"not found")
    return Response(200, _type(path) if target.suffix in (".js", ".css", ".json", ".wasm") else BINARY,
                    target.read_bytes())


class SearchIndexer:
    """Builds the search index in a child process that runs only when the machine is otherwise idle, once the
    files have been quiet for QUIET_S seconds; a change while it runs stops it and starts it again later. Until
    the first index is written search finds nothing; every page works."""

    QUIET_S = 1.0

    def __init__(self, paths: pipeline.Paths, folder: Path) -> None:
        self.command = [sys.executable, str(pipeline.PROJECT / "build.py"), "build", "--content",
                        str(paths.content.resolve()), "--out", str(folder)]
        self.folder = folder
        self._asked = time.monotonic()
        self._wanted = threading.Event()
        self._wanted.set()
        self._child: subprocess.Popen | None = None
        self._stopped = False
        threading.Thread(target=self._loop, daemon=True).start()

    def stop(self) -> None:
        """Stop indexing, and the child with everything it started, for good."""
        self._stopped = True
        child = self._child
        if child is not None and child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait()

    def request(self) -> None:
        """Ask for a fresh index: the files have changed."""
        self._asked = time.monotonic()
        self._wanted.set()

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            while time.monotonic() - self._asked < self.QUIET_S:
                time.sleep(0.1)
            self._wanted.clear()
            if self._stopped:
                return
            child = self._child = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, preexec_fn=_idle_priority,
                                                   start_new_session=True)
            while child.poll() is None:
                if self._wanted.wait(0.1):  # changed again: this index would be out of date before it is done
                    os.killpg(child.pid, signal.SIGTERM)
                    child.wait()


def _idle_priority() -> None:
    """In the child: take the CPU only when nothing else wants it, so the page being edited reloads at full speed;
    and end if the dev server ends without stopping it (killed outright)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (AttributeError, OSError):
        pass
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


class DevHandler(web.RequestHandler):
    """Answers every request from the DevSite; livereload adds its script to the HTML on the way out."""

    def initialize(self, dev: DevSite, search: Path) -> None:  # noqa: D102 (tornado's hook)
        self.dev = dev
        self.search = search

    def get(self, path: str) -> None:  # noqa: D102
        try:
            response = self.dev.respond(path, self.search)
        except jinja2.TemplateError as error:
            response = Response(500, "text/plain; charset=utf-8", f"template error: {error}".encode())
        self.set_status(response.status)
        self.set_header("Content-Type", response.content_type)
        versioned = path.startswith(f"{render.ASSET_DIR}/") and self.get_query_argument("v", None) is not None
        # An asset's address names its content (?v=hash), so the browser may keep it; everything else is fresh.
        self.set_header("Cache-Control", "max-age=31536000, immutable" if versioned else "no-store")
        if response.location:
            self.set_header("Location", response.location)
        self.finish(response.body or None)  # no body at all for a 204: Tornado 6.5 and later refuse even b""


class DevServer(Server):
    """livereload's server, answering from memory instead of from a folder."""

    def __init__(self, dev: DevSite, search: Path, watcher: Watcher) -> None:
        super().__init__(watcher=watcher)
        self.dev = dev
        self.search = search

    def get_web_handlers(self, script: bytes) -> list:  # noqa: D102 (livereload's hook)
        return [(r"/(.*)", DevHandler, {"dev": self.dev, "search": self.search})]


def file_stamps(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file below the folders."""
    found = {}
    for folder in folders:
        for directory, _dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    info = os.stat(path)
                except FileNotFoundError:
                    continue
                found[path] = (info.st_mtime_ns, info.st_size)
    return found


class BatchWatcher(Watcher):
    """Told of changes by the operating system (through watchfiles), rebuilds once for each batch of changes that
    arrive together (a branch switch, a save of many files) and has livereload reload the open pages."""

    def __init__(self, folders: list[Path], rebuild: Callable[[set[str]], None], quiet_ms: int = SETTLE_MS) -> None:
        super().__init__()
        self.folders = folders
        self.rebuild = rebuild
        self.quiet_ms = quiet_ms
        self._batches: list[set[str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tasks = {str(f): {} for f in folders}
        self._wake: Callable[[], None] | None = None

    def begin(self) -> None:
        """Start watching, and return once the operating system watches every folder: from then on no change is
        missed. The server calls this before its first build and before it opens its port, since whoever connects
        may change a file at once."""
        ready = threading.Event()

        def watch() -> None:
            try:
                for changes in watchfiles.watch(*self.folders, step=self.quiet_ms, stop_event=self._stop,
                                                raise_interrupt=False, rust_timeout=READY_MS, yield_on_timeout=True):
                    ready.set()  # the first yield, a timeout at the latest, comes once the folders are watched
                    if changes:
                        self._arrived({path for _change, path in changes})
            finally:
                ready.set()  # also if watching failed: its error is printed, and the server goes on without it

        threading.Thread(target=watch, daemon=True).start()
        ready.wait()

    def _arrived(self, batch: set[str]) -> None:
        with self._lock:
            self._batches.append(batch)
            wake = self._wake
        if wake is not None:
            wake()

    def start(self, callback: Callable[[], None]) -> bool:
        """Have each batch wake the server's loop, which calls `examine` through `callback` (livereload's hook)."""
        loop = ioloop.IOLoop.current()
        with self._lock:
            self._wake = lambda: loop.add_callback(callback)
        self._wake()  # for what changed between `begin` and now; with nothing, `examine` finds nothing to build
        return True

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def examine(self) -> tuple[str | None, float | None]:
        """Rebuild once for every batch that arrived since the last look; return a changed path for the reload."""
        with self._lock:
            changed = sorted({os.path.realpath(path) for batch in self._batches for path in batch})
            self._batches.clear()
        if not changed:
            return self._changes.pop() if self._changes else (None, None)
        self._changes.clear()  # livereload's own start-up entry: the rebuild's reload covers it
        self.filepath = changed[0]
        self.rebuild(set(changed))
        return self.filepath, None


def dev_rebuild(dev: DevSite, search: SearchIndexer) -> Callable[[set[str] | None], None]:
    """Bring the model up to date, report how long it took, and ask for a new search index."""

    def rebuild(changed: set[str] | None = None) -> None:
        started = time.perf_counter()
        if dev.refresh(changed):
            print(f"Rebuilt in {time.perf_counter() - started:.3f} s", flush=True)
            search.request()

    return rebuild


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve(paths: pipeline.Paths, port: int) -> int:
    """Serve the site from memory on 127.0.0.1:port, updating it on every change, until interrupted."""
    paths = pipeline.Paths(paths.content.resolve(), paths.out, paths.templates.resolve(), paths.static.resolve(),
                           paths.cache or pipeline.default_cache(paths.content))
    scratch = Path(tempfile.mkdtemp(prefix="portal-serve-"))
    dev = DevSite(paths)
    search = SearchIndexer(paths, scratch / "search")
    rebuild = dev_rebuild(dev, search)
    watcher = BatchWatcher([paths.content, paths.templates, paths.static], rebuild)
    watcher.begin()  # before the first build, so that a change made while it runs is built next
    rebuild()
    gc.freeze()  # the first model is the bulk of memory: later collections need not walk it (each would take ~60 ms)
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0  # reload on every rebuild, however soon after the last
    server = DevServer(dev, scratch / "search", watcher)
    print(f"Serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)", flush=True)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # log only what went wrong: a missing page
    signal.signal(signal.SIGTERM, _interrupt)  # a polite stop ends like Ctrl+C: the clean-up below runs
    try:
        server.serve(host="127.0.0.1", port=port, open_url_delay=None)
    finally:
        search.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0
