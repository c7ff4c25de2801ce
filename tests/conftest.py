"""Shared fixtures: the real portal built once, a local HTTP server, and Chromium's launch settings."""
from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal import output, pipeline
from portal.model import Site
from portal.render import Options
from tests.htmltools import broken_links

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


SERVER_MODULES = ("test_serve", "test_serve_safety", "test_lighthouse")  # start servers and browsers of their own


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that drive Chromium or run a server as `browser`, and the Lighthouse ones as `lighthouse`, so
    that `pytest -m "not browser"` runs the rest quickly."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if {"page", "browser_name"} & set(getattr(item, "fixturenames", ())) or module in SERVER_MODULES:
            item.add_marker(pytest.mark.browser)
        if module == "test_lighthouse":
            item.add_marker(pytest.mark.lighthouse)


@pytest.fixture(autouse=True)
def _keep_cwd() -> Iterator[None]:
    """Tests may chdir into tmp_path; put the working directory back afterwards."""
    cwd = os.getcwd()
    yield
    os.chdir(cwd)


@pytest.fixture(autouse=True)
def _every_built_site_has_no_broken_links(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that had a temporary folder: every site the portal built in it links only to pages it has."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None  # kept until after
    yield
    if folder is None:
        return
    for marker in folder.rglob(output.MARKER):
        assert broken_links(marker.parent) == [], f"broken links in the site built at {marker.parent}"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Site]:
    """The real content built with search, once for the whole session."""
    out = tmp_path_factory.mktemp("real") / "site"
    site = pipeline.build(pipeline.Paths(PROJECT / "content", out), Options())
    return out, site


def serve_folder(folder: Path, prefix: str = "/") -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve a folder on 127.0.0.1 at a path prefix, in a daemon thread; return the server and its base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if not path.startswith(prefix):
                return str(folder / "__nothing_here__")
            return super().translate_path("/" + path[len(prefix):])

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            if code == 404 and (folder / "404.html").exists():
                body = (folder / "404.html").read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().send_error(code, message, explain)

        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}"


@pytest.fixture(scope="session")
def site_url(built: tuple[Path, Site]) -> Iterator[str]:
    """The real portal served over HTTP at the root."""
    server, url = serve_folder(built[0])
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, with the flags that work on a closed network as root."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}
