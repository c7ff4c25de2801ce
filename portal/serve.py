"""The dev server: serves a dev build with livereload and rebuilds once for each batch of changes.

It knows nothing of content: it is given a `rebuild` callable, the folders to watch and the folder to serve.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from livereload import Server
from livereload.handlers import LiveReloadHandler
from livereload.watcher import Watcher
from tornado import ioloop

from . import pipeline
from .problems import ContentError
from .render import DEV_OVERLAY, Options

ERRORS_FILE = "_dev/errors.json"
POLL_MS = 100


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
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
    """Polls the watched folders and, once a batch of changes has settled, rebuilds once."""

    def __init__(self, folders: list[Path], rebuild: Callable[[], None], settle: float = 0.05) -> None:
        super().__init__()
        self.folders = folders
        self.rebuild = rebuild
        self.settle = settle
        self.last = snapshot(folders)
        self._tasks = {str(f): {} for f in folders}

    def start(self, callback: Callable[[], None]) -> bool:
        """Poll every POLL_MS milliseconds."""
        ioloop.PeriodicCallback(callback, POLL_MS).start()
        return True

    def examine(self) -> tuple[str | None, float | None]:
        """Rebuild once if anything changed since the last look; return a changed path for the reload."""
        if self._changes:
            return self._changes.pop()
        current = snapshot(self.folders)
        if current == self.last:
            return None, None
        while True:  # wait until a batch (a branch switch, a save of many files) has settled
            time.sleep(self.settle)
            later = snapshot(self.folders)
            if later == current:
                break
            current = later
        changed = sorted(set(current.items()) ^ set(self.last.items()))
        self.last = current
        self.filepath = changed[0][0] if changed else "*"
        self.rebuild()
        return self.filepath, None


def dev_rebuild(paths: pipeline.Paths) -> Callable[[], None]:
    """A rebuild that keeps the last good site and, on failure, leaves the errors for the page to show."""
    options = Options(search=True, dev=True)

    def rebuild() -> None:
        started = time.perf_counter()
        try:
            pipeline.build(paths, options)
        except ContentError as error:
            print(error.report(), flush=True)
            write_errors(paths.out, [str(p) for p in error.problems])
            return
        print(f"Rebuilt in {time.perf_counter() - started:.2f} s", flush=True)

    return rebuild


def write_errors(out: Path, problems: list[str]) -> None:
    """Leave the problems beside the last good site, where the dev script shows them over the page."""
    target = out / ERRORS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"problems": problems}, indent=1), encoding="utf-8")
    if not (out / "index.html").exists():
        (out / "index.html").write_text("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                                        "<title>Build failed</title><script src=\"/assets/dev.js\" defer></script>"
                                        "</head><body><h1>Build failed</h1></body></html>", encoding="utf-8")
        (out / "assets").mkdir(exist_ok=True)
        shutil.copy(DEV_OVERLAY, out / "assets" / "dev.js")


def serve(paths: pipeline.Paths, port: int) -> int:
    """Build into a temporary folder, serve it on 127.0.0.1:port and rebuild on every change, until interrupted."""
    out = Path(tempfile.mkdtemp(prefix="portal-serve-")) / "site"
    dev_paths = pipeline.Paths(paths.content, out, paths.templates, paths.static)
    rebuild = dev_rebuild(dev_paths)
    rebuild()
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0  # reload on every rebuild, however soon after the last
    server = Server(watcher=BatchWatcher([paths.content, paths.templates, paths.static], rebuild))
    print(f"Serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve(root=str(out), host="127.0.0.1", port=port, open_url_delay=None)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0
