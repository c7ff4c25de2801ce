"""The dev server answers only its own pages: a foreign Host, a foreign websocket Origin or a cross-site reload is
refused; it never tells the browser where files are on disk; odd requests and its own bugs do not break it."""
from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from portal import pipeline, source
from portal.serve import BatchWatcher, DevSite, Hosts
from tests.conftest import PROJECT
from tests.test_serve import STUDY, dev_server, free_port, wait_for_livereload  # noqa: F401 (a fixture)

FOREIGN = b"forbidden: this server answers only to 127.0.0.1, localhost and [::1]\n"
CROSS_SITE = b"forbidden: the request does not come from a page of this server\n"
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
           "Sec-WebSocket-Version": "13"}
BUG = ("internal error: RuntimeError: boom – this is a bug in the portal, not in your content; the full traceback "
       "is in the terminal")
# Runs `build.py` with load.load failing while the file named first exists: a bug in a rebuild, on demand.
BUGGY = """import runpy, sys
from pathlib import Path
from portal import load
flag, real, sys.argv = Path(sys.argv[1]), load.load, sys.argv[2:]
def load_or_fail(*args, **kwargs):
    if flag.exists():
        raise RuntimeError("boom")
    return real(*args, **kwargs)
load.load = load_or_fail
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@contextlib.contextmanager
def running(folder: Path, launcher: list[str]) -> Iterator[tuple[int, Path]]:
    """`build.py serve` (after `launcher`) on a copy of the real content in `folder`; yields its port and content."""
    content = folder / "content"
    shutil.copytree(PROJECT / "content", content)
    port = free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen([*launcher, str(PROJECT / "build.py"), "serve", "--content", str(content), "--port",
                                str(port)], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        time.sleep(0.1)
    try:
        yield port, content
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """One dev server for the tests that change nothing; yields its port and its log."""
    folder = tmp_path_factory.mktemp("served")
    with running(folder, [sys.executable]) as (port, _content):
        yield port, folder / "serve.log"


def ask(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    """Status, headers and body of one request, with the Host header given (127.0.0.1:port if not)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{port}", **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_status(port: int, target: bytes) -> int:
    """The status of a GET of `target` sent byte for byte, as no well-behaved client would send it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + f" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        answer = sock.makefile("rb").readline()
    return int(answer.split()[1])


def in_own_loop(work: Coroutine[None, None, None]) -> None:
    """Run `work` to the end in a thread of its own: Playwright's sync API keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def listener(port: int) -> WebSocketClientConnection:
    """A websocket that has greeted the server as livereload.js does, and so is told of every reload."""
    socket_ = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload",
                                                  headers={"Origin": f"http://127.0.0.1:{port}"}))
    await socket_.write_message(json.dumps({"command": "hello"}))
    await socket_.read_message()
    await socket_.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/", "plugins": {}}))
    await socket_.write_message(json.dumps({"command": "hello"}))
    await socket_.read_message()  # answered after the info before it was taken: from now on, reloads come here
    return socket_


async def next_reload(socket_: WebSocketClientConnection) -> dict:
    """The next message the server sends."""
    return json.loads(await asyncio.wait_for(socket_.read_message(), 10))


ROUTES = ["/", "/casestudies/24-friends-of-parks/", "/_dev/errors.json", "/no-such-page", "/pagefind/pagefind.js",
          "/livereload.js", "/forcereload", "/forcereload?path=x.css"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}",
                                  "localhost.evil.example:{port}", "localhost:{other}", "[::2]:{port}", ""])
def test_a_foreign_host_is_refused_on_every_route(served: tuple[int, Path], host: str) -> None:
    port, _log = served
    host = host.format(port=port, other=port + 1)
    for method in ("GET", "HEAD", "POST"):
        for path in ROUTES:
            status, headers, body = ask(port, path, {"Host": host}, method)
            assert (status, headers["Content-Type"]) == (403, "text/plain; charset=utf-8"), (method, path)
            assert body == (b"" if method == "HEAD" else FOREIGN)
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    assert ask(port, "/livereload", {"Host": host, **UPGRADE, **origin})[:3:2] == (403, FOREIGN)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}", "localhost", "localhost:{port}",
                                  "LocalHost:{port}", "[::1]", "[::1]:{port}"])
def test_the_loopback_names_are_answered(served: tuple[int, Path], host: str) -> None:
    port, _log = served
    host = host.format(port=port)
    status, headers, body = ask(port, "/casestudies/24-friends-of-parks/", {"Host": host})
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"Friends of Parks" in body and b"livereload.js" in body
    assert ask(port, "/livereload.js", {"Host": host})[0] == 200
    assert ask(port, "/livereload", {"Host": host, **UPGRADE, "Origin": f"http://{host}"})[0] == 101


def test_the_host_listened_on_is_answered_too() -> None:
    hosts = Hosts.of("192.168.0.5", 8000)
    assert [hosts.allows(host) for host in ("192.168.0.5:8000", "192.168.0.5", "localhost:8000", "192.168.0.6:8000",
                                            "192.168.0.5:8001")] == [True, True, True, False, False]
    assert Hosts.of("fe80::1", 8000).allows("[fe80::1]:8000") and Hosts.of("fe80::1", 8000).allows_page(
        "http://[fe80::1]:8000")


@pytest.mark.parametrize(("origin", "status"), [
    ("http://127.0.0.1:{port}", 101), ("http://localhost:{port}", 101), ("http://[::1]:{port}", 101),
    ("http://evil.example", 403), ("http://evil.example:{port}", 403), ("http://localhost:{port}.evil.example", 403),
    ("https://localhost:{port}", 403), ("http://127.0.0.1:{other}", 403), ("null", 403), ("http://[::1", 403)])
def test_the_websocket_takes_only_this_servers_pages(served: tuple[int, Path], origin: str, status: int) -> None:
    port, log = served
    origin = origin.format(port=port, other=port + 1)
    assert ask(port, "/livereload", {**UPGRADE, "Origin": origin})[0] == status
    assert " 500 " not in log.read_text(encoding="utf-8", errors="replace")


def test_a_reload_is_refused_to_other_sites(served: tuple[int, Path]) -> None:
    port, _log = served
    refused = [{"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"},
               {"Referer": f"http://localhost:{port + 1}/"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
               {"Sec-Fetch-Site": "same-site"},
               {"Origin": f"http://127.0.0.1:{port}", "Referer": "http://evil.example/"}]
    allowed = [{}, {"Origin": f"http://127.0.0.1:{port}"}, {"Referer": f"http://localhost:{port}/casestudies/"},
               {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}]

    async def check() -> None:
        socket_ = await listener(port)
        for number, headers in enumerate(refused):
            assert ask(port, f"/forcereload?path=refused{number}", headers)[:3:2] == (403, CROSS_SITE), headers
        for number, headers in enumerate(allowed):
            assert ask(port, f"/forcereload?path=allowed{number}", headers)[:3:2] == (200, b"ok"), headers
            # the first reload after the refused ones is this one: none of those reached the page
            assert (await next_reload(socket_))["path"] == f"allowed{number}"
        socket_.close()

    in_own_loop(check())


def test_the_reload_names_the_changed_file_relative_to_its_folder(dev_server: tuple[str, Path]) -> None:
    url, content = dev_server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    study = content / STUDY

    async def check() -> None:
        socket_ = await listener(port)
        study.write_text(study.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        message = await next_reload(socket_)
        socket_.close()
        assert (message["command"], message["path"]) == ("reload", STUDY)

    in_own_loop(check())


def test_the_watcher_gives_paths_relative_to_the_watched_folder(tmp_path: Path) -> None:
    static, content = tmp_path / "static", tmp_path / "content"
    static.mkdir()
    (content / "casestudies").mkdir(parents=True)
    watcher = BatchWatcher([content, static], lambda _changed: None)
    watcher.begin()
    try:
        (static / "style.css").write_text("body { color: red }", encoding="utf-8")
        found = examined(watcher)
        (content / "casestudies" / "01-new.md").write_text("---\n---\n", encoding="utf-8")
        assert (found, examined(watcher)) == ("style.css", "casestudies/01-new.md")
    finally:
        watcher.stop()


def examined(watcher: BatchWatcher) -> str | None:
    """The path `examine` names for the next batch of changes."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        path, _delay = watcher.examine()
        if path is not None and path != "__livereload__":
            return path
        time.sleep(0.02)
    return None


def test_a_relative_stylesheet_path_reloads_the_stylesheet_in_place(page: Page, served: tuple[int, Path]) -> None:
    port, log = served
    connected = connections(log)
    page.goto(f"http://127.0.0.1:{port}/casestudies/24-friends-of-parks/")
    expect(page.locator("#dev-errors")).to_have_count(0)
    deadline = time.monotonic() + 10
    while connections(log) == connected:  # this page's livereload script has not connected yet
        assert time.monotonic() < deadline, "the page's livereload script did not connect"
        time.sleep(0.02)
    page.evaluate("window.sameDocument = true")
    assert ask(port, "/forcereload?path=style.css")[0] == 200
    # livereload.js swaps in the stylesheet again with a fresh address; the overlay leaves it to it
    expect(page.locator("link[rel=stylesheet][href*=livereload]")).to_have_count(1, timeout=10_000)
    assert page.evaluate("window.sameDocument === true")
    assert page.evaluate("new window.LiveReloadPluginPortalBodySwap().reload('style.css')") is False


def connections(log: Path) -> int:
    """How many livereload scripts (or listeners) have connected to the server so far."""
    return log.read_text(encoding="utf-8", errors="replace").count("Browser Connected")


HEAD_PATHS = ["/", "/casestudies/24-friends-of-parks/", "/casestudies", "/no-such-page", "/_dev/errors.json",
              "/assets/style.css?v=1", "/assets/dev.js", "/data/casestudies.json", "/livereload.js"]


def test_head_is_answered_like_get_without_a_body(served: tuple[int, Path]) -> None:
    port, _log = served
    for path in HEAD_PATHS:
        status, headers, body = ask(port, path)
        head_status, head_headers, head_body = ask(port, path, method="HEAD")
        headers.pop("Date"), head_headers.pop("Date")
        assert (head_status, head_headers, head_body) == (status, headers, b""), path
    assert [ask(port, path)[0] for path in HEAD_PATHS] == [200, 200, 301, 404, 204, 200, 200, 200, 200]


ODD_PATHS = [b"/pagefind/%00", b"/%00", b"/pagefind/%2500", b"/pagefind/a%00b.js", b"/pagefind/" + b"a" * 5000,
             b"/pagefind/" + b"a/" * 3000, b"/" + b"a" * 60_000, b"/pagefind/../../../../etc/passwd",
             b"/pagefind/..%2f..%2f..%2f..%2fetc%2fpasswd", b"/../../etc/passwd", b"/pagefind/..\\..\\serve.log",
             b"/a\\b", b"/pagefind/%5c..%5cx", b"/%zz", b"/pagefind/%zz%", b"/%", b"/%ff", b"/pagefind/%c3%28",
             b"/\xff\xfe", b"/pagefind/\xc3", b"/casestudies/%00/", b"/assets/%00?v=1"]


def test_odd_paths_are_not_found_without_a_traceback(served: tuple[int, Path]) -> None:
    port, log = served
    for target in ODD_PATHS:
        assert raw_status(port, target) in (400, 404), target[:40]
    assert raw_status(port, b"/casestudies/24-friends-of-parks/") == 200
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and " 500 " not in text, text[-3000:]


def test_a_bug_in_a_rebuild_is_reported_and_the_next_edit_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    content = (tmp_path / "content").resolve()
    shutil.copytree(PROJECT / "content", content)
    dev = DevSite(pipeline.Paths(content, tmp_path / "unused", cache=tmp_path / "cache"))
    assert dev.refresh()
    good = dev.snapshot
    study, other = content / STUDY, content / "casestudies/01-school-improvement-strategy.md"
    reread = source.reread

    def read_then_fail(*args: object) -> None:
        reread(*args)  # the edited file has been read: a bug after this must not lose the edit
        raise RuntimeError("boom")

    monkeypatch.setattr(source, "reread", read_then_fail)
    study.write_text(study.read_text(encoding="utf-8").replace("Friends of Parks", "Friends of the Parks"),
                     encoding="utf-8")
    assert dev.refresh({str(study)}) is False
    assert dev.problems == [BUG] and dev.snapshot is good
    error = capsys.readouterr().err
    assert "Traceback (most recent call last)" in error and "RuntimeError: boom" in error and BUG in error
    assert json.loads(dev.respond("/_dev/errors.json").body) == {"problems": [BUG]}
    assert b"Friends of Parks" in dev.respond("/casestudies/24-friends-of-parks/").body

    monkeypatch.setattr(source, "reread", reread)
    other.write_text(other.read_text(encoding="utf-8") + "\nEdited after the bug.\n", encoding="utf-8")
    assert dev.refresh({str(other)}) is True
    assert (dev.problems, dev.respond("/_dev/errors.json").status) == ([], 204)
    assert b"Edited after the bug." in dev.respond("/casestudies/01-school-improvement-strategy/").body
    assert b"Friends of the Parks" in dev.respond("/casestudies/24-friends-of-parks/").body


def test_a_bug_in_a_rebuild_shows_in_the_page_and_the_next_edit_reloads(page: Page, tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    with running(tmp_path, [sys.executable, "-c", BUGGY, str(flag)]) as (port, content):
        page.goto(f"http://127.0.0.1:{port}/casestudies/24-friends-of-parks/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Friends of Parks")
        wait_for_livereload(tmp_path / "serve.log")
        study = content / STUDY
        good = study.read_text(encoding="utf-8")

        flag.touch()
        study.write_text(good.replace('title: "Friends of Parks"', 'title: "Friends of the Parks"'), encoding="utf-8")
        alert = page.locator("#dev-errors")
        expect(alert).to_contain_text(BUG, timeout=10_000)
        expect(heading).to_have_text("Friends of Parks")
        log = (tmp_path / "serve.log").read_text(encoding="utf-8")
        assert re.search(r"Traceback \(most recent call last\):\n(.*\n)*RuntimeError: boom\n", log), log

        flag.unlink()
        study.write_text(good.replace('title: "Friends of Parks"', 'title: "Friends of Parks and Gardens"'),
                         encoding="utf-8")
        expect(heading).to_have_text("Friends of Parks and Gardens", timeout=10_000)
        expect(alert).to_have_count(0)
