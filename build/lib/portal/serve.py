"""The dev server: keeps the model in memory, renders each page when the browser asks for it, and reloads the
open page after each batch of changes.

An edit re-reads only the files that changed, re-parses only those, and renders Markdown only for bodies not seen
before; the page that is open is then rendered on request, so an edit costs the same with 24 case studies or
4,000. Search is re-indexed in the background, in a lower-priority child process, after each change.

It answers only requests for its own loopback address, and takes reloads and its websocket only from its own pages,
so that another site open in the same browser can neither read the portal nor drive it.
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
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable
from urllib.parse import SplitResult, unquote, urlsplit

import jinja2
import watchfiles
from livereload import Server
from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptInjector
from livereload.watcher import Watcher
from tornado import httputil, ioloop, web
from tornado.routing import Matcher, Rule

from . import cache, load, markup, pipeline, render, source
from .pages import PageSpec, plan
from .problems import ContentError

ERRORS_FILE = "_dev/errors.json"
PR_SET_PDEATHSIG = 1  # Linux prctl: the signal a child gets when its parent dies
SETTLE_MS = 15  # a batch of changes ends after this long without another
READY_MS = 100  # how often the watching thread wakes when nothing changes: the first time tells it is watching
OPTIONS = render.Options(search=True, dev=True)
BINARY = "application/octet-stream"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})
FOREIGN_HOST = "forbidden: this server answers only to 127.0.0.1, localhost and [::1]\n"
CROSS_SITE = "forbidden: the request does not come from a page of this server\n"
INTERNAL = ("internal error: {} – this is a bug in the portal, not in your content; the full traceback is in the "
            "terminal")
# livereload's own snippet (Server.application builds it there and nowhere we can reach): load livereload.js from
# the port the page came from
LIVE_SCRIPT = (b'<script type="text/javascript">(function(){var s=document.createElement("script");'
               b'var port=(window.location.port || (window.location.protocol == \'https:\' ? 443: 80));'
               b's.src="//"+window.location.hostname+":"+port+ "/livereload.js?port=" + port;'
               b'document.head.appendChild(s);})();</script>')
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
        template error, or a bug, keep the last good model and say what went wrong."""
        try:
            snapshot = self._build(changed)
        except ContentError as error:
            self.problems = [str(p) for p in error.problems]
            print(error.report(), flush=True)
            return False
        except jinja2.TemplateError as error:
            self.problems = [f"{getattr(error, 'filename', None) or 'templates'}:{getattr(error, 'lineno', 0)}: "
                             f"{error}"]
            print(self.problems[0], flush=True)
            return False
        except Exception as error:  # a bug: the server must go on serving the last good site and building edits
            self._internal_error(error)
            return False
        self.snapshot = snapshot
        self.problems = []
        return True

    def _build(self, changed: set[str] | None) -> Snapshot:
        quick = source.reread(self.tree, self.known, changed) if changed and self.tree else None
        tree = self.tree = quick or source.read_tree(self.paths.content, self.known, changed)
        site = load.load(tree, self._markdown, self.memo)
        static = render.assets(self.paths.static, site) | render.dev_assets()
        renderer = render.renderer(self._environment(), site, static, OPTIONS)
        return Snapshot(renderer, static, {spec.path: spec for spec in plan(site, self.planned)})

    def _internal_error(self, error: Exception) -> None:
        traceback.print_exc()
        described = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.problems = [INTERNAL.format(described)]
        print(self.problems[0], file=sys.stderr, flush=True)
        # What was read and worked out may be half updated: the next refresh starts again from the files.
        self.known, self.tree, self.memo, self.planned, self._templates = {}, None, load.Memo(), {}, None

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
    try:
        target = (folder / path).resolve()
        inside = target.is_relative_to(folder.resolve())
        data = target.read_bytes() if inside and target.is_file() else None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system, a file the indexer just removed
        data = None
    if data is None:
        return Response(404, "text/plain; charset=utf-8", b"not found")
    return Response(200, _type(path) if target.suffix in (".js", ".css", ".json", ".wasm") else BINARY, data)


class SearchIndexer:
    """Builds the search index in a child process that runs only when the machine is otherwise idle, once the
    files have been quiet for QUIET_S seconds; a change while it runs stops it and starts it again later. Until
    the first index is written search finds nothing; every page works."""

    QUIET_S = 1.0

    def __init__(self, paths: pipeline.Paths, folder: Path) -> None:
        self.command = [sys.executable, "-m", "portal", "build", "--content",
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
            path = os.pathsep.join(filter(None, [str(pipeline.CODE.parent), os.environ.get("PYTHONPATH")]))
            child = self._child = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, preexec_fn=_idle_priority,
                                                   start_new_session=True, env={**os.environ, "PYTHONPATH": path})
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


@dataclass(frozen=True)
class Hosts:
    """The host names the server answers to, so that a page of another site cannot reach it by pointing its own
    name at 127.0.0.1 (DNS rebinding): the loopback names and the host it listens on, with its port or none."""

    names: frozenset[str]
    port: int

    @classmethod
    def of(cls, host: str, port: int) -> Hosts:
        """The loopback names and `host` (an IPv6 address in brackets, as a Host header has it)."""
        host = host.lower()
        return cls(LOOPBACK | {f"[{host}]" if ":" in host and not host.startswith("[") else host}, port)

    def allows(self, netloc: str) -> bool:
        """Whether a Host header (or an address's host and port) names this server."""
        name, port = httputil.split_host_and_port(netloc.lower())
        return name in self.names and port in (None, self.port)

    def allows_page(self, address: str) -> bool:
        """Whether an Origin or Referer is a page of this server."""
        parts = split_address(address)
        return parts is not None and parts.scheme == "http" and self.allows(parts.netloc)


def split_address(address: str) -> SplitResult | None:
    """An address's parts; None if it has none (such as with an unclosed [ in its host)."""
    try:
        return urlsplit(address)
    except ValueError:
        return None


class ForeignHost(Matcher):
    """Matches every request for a host the server does not answer to, whatever its path (tornado's routing hook)."""

    def __init__(self, hosts: Hosts) -> None:
        self.hosts = hosts

    def match(self, request: httputil.HTTPServerRequest) -> dict | None:  # noqa: D102
        return None if self.hosts.allows(request.host) else {}


def forbid(handler: web.RequestHandler, reason: str) -> None:
    """Answer 403 with a short plain-text reason."""
    handler.set_status(403)
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(reason)


class Forbidden(web.RequestHandler):
    """Refuses every request it is given."""

    def prepare(self) -> None:  # noqa: D102 (tornado's hook: finishing here skips the method)
        forbid(self, FOREIGN_HOST)


class SocketHandler(LiveReloadHandler):
    """livereload's websocket, open only to this server's own pages."""

    def initialize(self, hosts: Hosts) -> None:  # noqa: D102 (tornado's hook)
        self.hosts = hosts

    def prepare(self) -> None:  # noqa: D102 (tornado's hook)
        if split_address(self.request.headers.get("Origin", "")) is None:  # Tornado's own check would fail: a 500
            forbid(self, CROSS_SITE)

    def check_origin(self, origin: str) -> bool:  # noqa: D102 (tornado's hook; livereload's accepts any origin)
        return self.hosts.allows_page(origin)


class ReloadHandler(ForceReloadHandler):
    """livereload's /forcereload, refused to other sites' pages (a link or image on any page could call it)."""

    def initialize(self, hosts: Hosts) -> None:  # noqa: D102 (tornado's hook)
        self.hosts = hosts

    def prepare(self) -> None:  # noqa: D102 (tornado's hook)
        headers = self.request.headers
        if headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none") or not all(
                self.hosts.allows_page(headers[name]) for name in ("Origin", "Referer") if name in headers):
            forbid(self, CROSS_SITE)


class ScriptHandler(LiveReloadJSHandler):
    """livereload.js, also to a HEAD."""

    def head(self) -> None:  # noqa: D102
        self.get()


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

    def head(self, path: str) -> None:  # noqa: D102 (Tornado sends GET's status and headers, without the body)
        self.get(path)


class DevServer(Server):
    """livereload's server, answering from memory instead of from a folder."""

    def __init__(self, dev: DevSite, search: Path, watcher: Watcher) -> None:
        super().__init__(watcher=watcher)
        self.dev = dev
        self.search = search

    def get_web_handlers(self, script: bytes) -> list:  # noqa: D102 (livereload's hook)
        return [(r"/(.*)", DevHandler, {"dev": self.dev, "search": self.search})]

    def application(self, port: int, host: str, liveport: int | None = None, debug: bool | None = None,
                    live_css: bool = True) -> None:
        """livereload's app on one port (`serve` passes no liveport) behind a host check, with its websocket and
        /forcereload checking where the request comes from."""
        LiveReloadHandler.watcher = self.watcher  # as livereload's own `application` does: its tasks read them there
        LiveReloadHandler.live_css = live_css
        hosts = Hosts.of(host, port)

        class Injector(LiveScriptInjector):
            script = LIVE_SCRIPT

        app = web.Application([Rule(ForeignHost(hosts), Forbidden),  # first: it takes every route
                               (r"/livereload", SocketHandler, {"hosts": hosts}),
                               (r"/forcereload", ReloadHandler, {"hosts": hosts}),
                               (r"/livereload.js", ScriptHandler),
                               *self.get_web_handlers(LIVE_SCRIPT)], debug=bool(debug), transforms=[Injector])
        app.listen(port, address=host)


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
        self.filepath = self.shown(changed[0])
        self.rebuild(set(changed))
        return self.filepath, None

    def shown(self, path: str) -> str:
        """`path` as the browser is told it: relative to the watched folder it is in, never where it is on disk
        (the page needs only its name, to reload a stylesheet in place)."""
        for folder in self.folders:
            root = os.path.realpath(folder)
            if os.path.commonpath([root, path]) == root:
                return Path(os.path.relpath(path, root)).as_posix()
        return os.path.basename(path)


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
