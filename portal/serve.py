"""The dev server: keeps the model in memory, renders each page when the browser asks for it, and tells the open
pages what changed after each batch of changes, over a websocket of its own (the page's dev script brings itself up
to date: see dev_overlay.js).

An edit re-reads only the files that changed, re-parses only those, and renders Markdown only for bodies not seen
before; the page that is open is then rendered on request, so an edit costs the same with 24 case studies or
4,000. Search is re-indexed in the background, in a lower-priority child process, after each change.

It answers only requests for its own loopback address, and takes its websocket only from its own pages, so that
another site open in the same browser can neither read the portal nor listen to it.

It is a few Tornado handlers rather than the livereload package: that would need its internals (its server's
`application`, its watcher's private list of changes, its handlers' class attributes) to render from memory, check
the host and batch the changes, and the page would still need livereload.js and a plugin for it; here the page's own
script does all the reloading it needs in a few lines.
"""
from __future__ import annotations

import asyncio
import contextlib
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
from tornado import httputil, ioloop, web, websocket
from tornado.log import LogFormatter
from tornado.routing import Matcher, Rule

from . import cache, load, markup, pipeline, render, source
from .pages import PageSpec, plan
from .problems import ContentError

ERRORS_FILE = "_dev/errors.json"
SOCKET = "/_dev/socket"  # where each open page listens for what changed
HOST = "127.0.0.1"
SETTLE_MS = 15  # a batch of changes ends after this long without another
READY_MS = 100  # how often the watching thread wakes when nothing changes: the first time tells it is watching
OPTIONS = render.Options(search=True, dev=True)
BINARY = "application/octet-stream"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})
FOREIGN_HOST = "forbidden: this server answers only to 127.0.0.1, localhost and [::1]\n"
CROSS_SITE = "forbidden: the request does not come from a page of this server\n"
INTERNAL = ("internal error: {} – this is a bug in the portal, not in your content; the full traceback is in the "
            "terminal")
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
    specs: dict[str, PageSpec] = field(default_factory=dict)

    @cached_property
    def others(self) -> dict[str, bytes]:
        """Data files, feed, sitemap and robots.txt: made on the first request for any of them."""
        return render.other_files(self.renderer, list(self.specs.values()))


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
        return Snapshot(renderer, {spec.path: spec for spec in plan(site, self.planned)})

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
        data = snap.renderer.static_files.get(key)
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
    the first index is written search finds nothing; every page works.

    The child is started without running any Python between fork and exec (no `preexec_fn`: that is not safe in a
    process with threads, and the server has several); it lowers its own priority as it starts (CHILD)."""

    QUIET_S = 1.0
    MODULE = "portal"  # the child runs `python -m portal build …`

    def __init__(self, paths: pipeline.Paths, folder: Path) -> None:
        self.command = [sys.executable, "-c", CHILD, str(os.getpid()), self.MODULE, "build", "--content",
                        str(paths.content.resolve()), "--out", str(folder)]
        self.folder = folder
        self._asked = time.monotonic()
        self._wanted = threading.Event()
        self._wanted.set()
        self._child: subprocess.Popen | None = None
        self._stopped = False
        self._lock = threading.Lock()  # a child is started only while not stopped, and stop sees every child
        threading.Thread(target=self._loop, daemon=True).start()

    def stop(self) -> None:
        """Stop indexing, and the child with everything it started, for good."""
        with self._lock:
            self._stopped = True
            child = self._child
        if child is not None and child.poll() is None:
            _end(child)

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
            path = os.pathsep.join(filter(None, [str(pipeline.CODE.parent), os.environ.get("PYTHONPATH")]))
            with self._lock:
                if self._stopped:
                    return
                child = self._child = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                                       stderr=subprocess.DEVNULL, start_new_session=True,
                                                       env={**os.environ, "PYTHONPATH": path})
            while child.poll() is None:
                if self._wanted.wait(0.1):  # changed again: this index would be out of date before it is done
                    _end(child)


def _end(child: subprocess.Popen) -> None:
    """Stop a child that has a session of its own, and everything it started."""
    with contextlib.suppress(ProcessLookupError):  # it has just ended by itself
        os.killpg(child.pid, signal.SIGTERM)
    child.wait()


# The search indexer's first lines, run in the child before the build (its argv: the server's pid, the module to
# run, the module's arguments): end if the server ends without stopping it (killed outright), and take the CPU only
# when nothing else wants it, so that the page being edited reloads at full speed. Here, in a process of its own,
# before it has any thread, rather than between fork and exec in the server.
CHILD = """import os, runpy, signal, sys
from portal import parallel
parallel.die_with_parent(int(sys.argv.pop(1)), signal.SIGTERM)
try:
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
except (AttributeError, OSError):
    os.nice(19)
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
"""


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


class Pages:
    """The open pages of the site, each listening on its websocket for what the last rebuild changed."""

    def __init__(self) -> None:
        self.listening: set[SocketHandler] = set()

    def tell(self, changed: list[str]) -> None:
        """Tell every open page which files changed, as the watcher shows them (relative to their folder)."""
        message = json.dumps({"changed": changed})
        for page in list(self.listening):
            try:
                page.write_message(message)
            except websocket.WebSocketClosedError:
                self.listening.discard(page)


class SocketHandler(websocket.WebSocketHandler):
    """The websocket an open page listens on, open only to this server's own pages."""

    def initialize(self, hosts: Hosts, pages: Pages) -> None:  # noqa: D102 (tornado's hook)
        self.hosts = hosts
        self.pages = pages

    def prepare(self) -> None:  # noqa: D102 (tornado's hook)
        if split_address(self.request.headers.get("Origin", "")) is None:  # Tornado's own check would fail: a 500
            forbid(self, CROSS_SITE)

    def check_origin(self, origin: str) -> bool:  # noqa: D102 (tornado's hook, for an Origin not the Host's)
        return self.hosts.allows_page(origin)

    def open(self) -> None:  # noqa: D102 (tornado's hook)
        self.pages.listening.add(self)
        print(f"Browser Connected ({len(self.pages.listening)} open)", flush=True)  # benchmarks/bench.py waits for it

    def on_close(self) -> None:  # noqa: D102 (tornado's hook)
        self.pages.listening.discard(self)

    async def head(self) -> None:  # noqa: D102 (a 400, as to a GET that asks for no websocket)
        await self.get()


class DevHandler(web.RequestHandler):
    """Answers every request from the DevSite."""

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


def application(dev: DevSite, search: Path, hosts: Hosts, pages: Pages) -> web.Application:
    """The dev server's routes, behind a host check: the pages' websocket, and everything else from the DevSite."""
    return web.Application([Rule(ForeignHost(hosts), Forbidden),  # first: it takes every route
                            (SOCKET, SocketHandler, {"hosts": hosts, "pages": pages}),
                            (r"/(.*)", DevHandler, {"dev": dev, "search": search})])


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


class BatchWatcher:
    """Told of changes by the operating system (through watchfiles), rebuilds once for each batch of changes that
    arrive together (a branch switch, a save of many files) and says which files they were."""

    def __init__(self, folders: list[Path], rebuild: Callable[[set[str]], None], quiet_ms: int = SETTLE_MS) -> None:
        self.folders = folders
        self.rebuild = rebuild
        self.quiet_ms = quiet_ms
        self._batches: list[set[str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
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

    def notify(self, wake: Callable[[], None]) -> None:
        """Call `wake` (from the watching thread) whenever a batch arrives, and once now for any that arrived since
        `begin`; `wake` has `examine` called where the rebuild should run."""
        with self._lock:
            self._wake = wake
        wake()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def examine(self) -> list[str]:
        """Rebuild once for every batch that arrived since the last look; return the files changed, as `shown`."""
        with self._lock:
            changed = sorted({os.path.realpath(path) for batch in self._batches for path in batch})
            self._batches.clear()
        if changed:
            self.rebuild(set(changed))
        return [self.shown(path) for path in changed]

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
    _log_to_terminal()
    signal.signal(signal.SIGTERM, _interrupt)  # a polite stop ends like Ctrl+C: the clean-up below runs
    pages = Pages()
    app = application(dev, scratch / "search", Hosts.of(HOST, port), pages)
    try:
        asyncio.run(_run(app, watcher, pages, port))
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        search.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


async def _run(app: web.Application, watcher: BatchWatcher, pages: Pages, port: int) -> None:
    """Listen on the port, and rebuild in this loop after each batch of changes, then tell the open pages: a page
    asked for after the rebuild has begun waits for it, and so is never the one before the change."""
    loop = ioloop.IOLoop.current()
    watcher.notify(lambda: loop.add_callback(lambda: _changed(watcher, pages)))
    app.listen(port, address=HOST)
    print(f"Serving on http://{HOST}:{port}/ (Ctrl+C to stop)", flush=True)
    await asyncio.Event().wait()


def _changed(watcher: BatchWatcher, pages: Pages) -> None:
    changed = watcher.examine()
    if changed:
        pages.tell(changed)


def _log_to_terminal() -> None:
    """Print Tornado's warnings and errors, and of its requests only those that went wrong (a missing page)."""
    channel = logging.StreamHandler()
    channel.setFormatter(LogFormatter())
    logging.getLogger("tornado").addHandler(channel)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
