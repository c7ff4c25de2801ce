"""The dev server answers only its own pages: a foreign Host or a foreign websocket Origin is refused; it never tells
the browser where files are on disk; odd requests and its own bugs do not break it; it needs no livereload, and
never forks while it has threads."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal import pipeline, source
from portal.serve import SOCKET, BatchWatcher, DevSite, Hosts, SearchIndexer
from tests.conftest import PROJECT
from tests.test_serve import (STUDY, builds_of, dev_server, free_port, in_own_loop,  # noqa: F401 (a fixture)
                              listener, next_message, wait_for_page_socket)

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
# Runs `build.py` as if the livereload package were not installed: importing it fails.
WITHOUT_LIVERELOAD = """import runpy, sys
sys.modules["livereload"] = None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
# Runs `build.py` with the search indexer's child running the module named first instead of the portal's build, and
# says in the log whenever the server forks while it has other threads (os.fork, a pool of workers, a preexec_fn).
WATCHED = """import os, runpy, sys, threading
from portal import serve
def forking():
    if threading.active_count() > 1:
        print(f"forked while {threading.active_count()} threads ran", flush=True)
os.register_at_fork(before=forking)
serve.SearchIndexer.MODULE, sys.argv = sys.argv[1], sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
# Runs `build.py` with its static files read from the folder named first, a copy a test may change.
OWN_STATIC = """import dataclasses, runpy, sys
from pathlib import Path
from portal import serve
static, real, sys.argv = Path(sys.argv[1]), serve.serve, sys.argv[2:]
serve.serve = lambda paths, port: real(dataclasses.replace(paths, static=static), port)
runpy.run_path(sys.argv[0], run_name="__main__")
"""
WAITS = "import time\ntime.sleep(600)\n"  # a search index child that never ends by itself


@contextlib.contextmanager
def running(folder: Path, launcher: list[str], env: dict[str, str] | None = None,
            port: int | None = None) -> Iterator[tuple[int, Path, subprocess.Popen]]:
    """`build.py serve` (after `launcher`) on `folder`/content, a copy of the real content unless there is one
    already; yields its port, content folder and process."""
    content = folder / "content"
    if not content.exists():
        shutil.copytree(PROJECT / "content", content)
    port = port or free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen([*launcher, str(PROJECT / "build.py"), "serve", "--content", str(content), "--port",
                                str(port)], cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        time.sleep(0.1)
    try:
        yield port, content, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """One dev server for the tests that change nothing; yields its port and its log."""
    folder = tmp_path_factory.mktemp("served")
    with running(folder, [sys.executable]) as (port, _content, _process):
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


ROUTES = ["/", "/casestudies/24-friends-of-parks/", "/_dev/errors.json", "/no-such-page", "/pagefind/pagefind.js",
          "/assets/dev.js", SOCKET, "/forcereload", "/forcereload?path=x.css"]


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
    assert ask(port, SOCKET, {"Host": host, **UPGRADE, **origin})[:3:2] == (403, FOREIGN)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}", "localhost", "localhost:{port}",
                                  "LocalHost:{port}", "[::1]", "[::1]:{port}"])
def test_the_loopback_names_are_answered(served: tuple[int, Path], host: str) -> None:
    port, _log = served
    host = host.format(port=port)
    status, headers, body = ask(port, "/casestudies/24-friends-of-parks/", {"Host": host})
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"Friends of Parks" in body and re.search(rb'<script src="[./]*assets/dev\.js\?v=\w+" defer>', body)
    assert ask(port, "/assets/dev.js", {"Host": host})[0] == 200
    assert ask(port, SOCKET, {"Host": host, **UPGRADE, "Origin": f"http://{host}"})[0] == 101


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
    assert ask(port, SOCKET, {**UPGRADE, "Origin": origin})[0] == status
    assert " 500 " not in log.read_text(encoding="utf-8", errors="replace")


def test_there_is_no_reload_to_call(served: tuple[int, Path]) -> None:
    port, _log = served
    for path in ("/forcereload", "/forcereload?path=style.css", "/livereload.js"):
        assert ask(port, path)[0] == 404, path  # the site's own "not found" page, as for any other missing page
        assert ask(port, path, {"Host": "evil.example"})[:3:2] == (403, FOREIGN), path


def test_the_reload_names_the_changed_file_relative_to_its_folder(dev_server: tuple[str, Path]) -> None:
    url, content = dev_server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    study = content / STUDY

    async def check() -> None:
        socket_ = await listener(port)
        study.write_text(study.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        message = await next_message(socket_)
        socket_.close()
        assert message == {"changed": [STUDY]}

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
        assert (found, examined(watcher)) == (["style.css"], ["casestudies/01-new.md"])
    finally:
        watcher.stop()


def examined(watcher: BatchWatcher) -> list[str]:
    """The paths `examine` names for the next batch of changes."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        changed = watcher.examine()
        if changed:
            return changed
        time.sleep(0.02)
    return []


def test_a_changed_stylesheet_is_applied_in_place(page: Page, tmp_path: Path) -> None:
    static = tmp_path / "static"
    shutil.copytree(PROJECT / "static", static)
    with running(tmp_path, [sys.executable, "-c", OWN_STATIC, str(static)]) as (port, _content, _process):
        page.goto(f"http://127.0.0.1:{port}/casestudies/24-friends-of-parks/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Friends of Parks")
        wait_for_page_socket(tmp_path / "serve.log")
        assert heading.evaluate("h => getComputedStyle(h).color") != "rgb(1, 2, 3)"
        page.evaluate("window.sameBody = document.body")
        style = static / "style.css"
        style.write_text(style.read_text(encoding="utf-8") + "\nh1 { color: rgb(1, 2, 3) !important; }\n",
                         encoding="utf-8")
        expect(heading).to_have_css("color", "rgb(1, 2, 3)", timeout=10_000)
        assert page.evaluate("window.sameBody === document.body"), "the page or its body was reloaded"
        expect(page.locator("link[rel=stylesheet]")).to_have_count(1)


HEAD_PATHS = ["/", "/casestudies/24-friends-of-parks/", "/casestudies", "/no-such-page", "/_dev/errors.json",
              "/assets/style.css?v=1", "/assets/dev.js", "/data/casestudies.json", SOCKET]


def test_head_is_answered_like_get_without_a_body(served: tuple[int, Path]) -> None:
    port, _log = served
    for path in HEAD_PATHS:
        status, headers, body = ask(port, path)
        head_status, head_headers, head_body = ask(port, path, method="HEAD")
        headers.pop("Date"), head_headers.pop("Date")
        assert (head_status, head_headers, head_body) == (status, headers, b""), path
    assert [ask(port, path)[0] for path in HEAD_PATHS] == [200, 200, 301, 404, 204, 200, 200, 200, 400]


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
    with running(tmp_path, [sys.executable, "-c", BUGGY, str(flag)]) as (port, content, _process):
        page.goto(f"http://127.0.0.1:{port}/casestudies/24-friends-of-parks/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Friends of Parks")
        wait_for_page_socket(tmp_path / "serve.log")
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


def test_the_server_needs_no_livereload(tmp_path: Path) -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [need for need in project["dependencies"] if need.startswith("livereload")]
    with running(tmp_path, [sys.executable, "-c", WITHOUT_LIVERELOAD]) as (port, content, process):
        assert process.poll() is None, (tmp_path / "serve.log").read_text(encoding="utf-8")
        status, _headers, body = ask(port, "/casestudies/24-friends-of-parks/")
        assert status == 200 and b"Friends of Parks" in body
        study = content / STUDY

        async def check() -> None:
            socket_ = await listener(port)
            study.write_text(study.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
            assert await next_message(socket_) == {"changed": [STUDY]}
            socket_.close()

        in_own_loop(check())


def add_studies(content: Path, count: int) -> None:
    """`count` more case studies, copies of the last: enough to load with worker processes, where it may."""
    text = (content / STUDY).read_text(encoding="utf-8")
    for number in range(25, 25 + count):
        (content / f"casestudies/{number}-copy-{number}.md").write_text(
            text.replace("number: 24", f"number: {number}").replace("Friends of Parks", f"Copy {number}"),
            encoding="utf-8")


def indexers(content: Path, other_than: set[int] = frozenset(), timeout: float = 15) -> set[int]:
    """The search index children building `content`, once there is one not in `other_than` (none if there is none
    within `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = set(builds_of(content.resolve()))
        if found - other_than:
            return found
        time.sleep(0.05)
    return set()


def idle(pid: int) -> bool:
    """Whether the process runs only when nothing else wants the CPU (SCHED_IDLE; or nice 19, where there is none)."""
    deadline = time.monotonic() + 10  # the child lowers its priority itself, as it starts
    while time.monotonic() < deadline:
        if os.sched_getscheduler(pid) == os.SCHED_IDLE or os.getpriority(os.PRIO_PROCESS, pid) == 19:
            return True
        time.sleep(0.02)
    return False


def gone(pid: int) -> bool:
    """Whether the process has ended (waiting up to 10 s for it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}/cmdline").exists() or not Path(f"/proc/{pid}/cmdline").read_bytes():
            return True  # no such process, or one that has ended but not been reaped yet
        time.sleep(0.02)
    return False


def test_the_search_indexer_runs_idle_and_nothing_forks_while_threads_run(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    add_studies(content, 200)
    (tmp_path / "waits.py").write_text(WAITS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "TMPDIR": str(tmp_path)}
    with running(tmp_path, [sys.executable, "-c", WATCHED, "waits"], env) as (_port, content, _process):
        log = tmp_path / "serve.log"
        (first,) = indexers(content) or [None]
        assert first is not None, log.read_text(encoding="utf-8")
        assert idle(first)
        assert "Rebuilt in" in log.read_text(encoding="utf-8")  # the 224 case studies were loaded
        assert "forked while" not in log.read_text(encoding="utf-8")  # by then, any fork to start it was logged
        (content / STUDY).write_text((content / STUDY).read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        assert gone(first), "a change did not stop the search index child"  # which never ends by itself
        (second,) = indexers(content, {first}) or [None]
        assert second is not None and idle(second)
        assert "forked while" not in log.read_text(encoding="utf-8")
    assert builds_of(content.resolve()) == {}  # the server stopped it, and waited for it to end


def test_stopping_the_search_indexer_stops_its_child_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "waits.py").write_text(WAITS, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(SearchIndexer, "MODULE", "waits")
    monkeypatch.setattr(SearchIndexer, "QUIET_S", 0.0)
    content = tmp_path / "content"
    content.mkdir()
    indexer = SearchIndexer(pipeline.Paths(content, tmp_path / "unused"), tmp_path / "search")
    try:
        assert indexers(content), "the search indexer started no child"
        indexer.stop()  # in this process, which lives on: only `stop` can end the child
        assert builds_of(content.resolve()) == {}
    finally:
        for pid in builds_of(content.resolve()):
            os.kill(pid, signal.SIGKILL)


def test_the_search_indexer_ends_when_the_server_is_killed_outright(tmp_path: Path) -> None:
    (tmp_path / "waits.py").write_text(WAITS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "TMPDIR": str(tmp_path)}
    with running(tmp_path, [sys.executable, "-c", WATCHED, "waits"], env) as (_port, content, process):
        (child,) = indexers(content) or [None]
        assert child is not None, (tmp_path / "serve.log").read_text(encoding="utf-8")
        process.kill()
        process.wait()
        assert gone(child), "the search index child outlived the server"  # it never ends by itself


def test_the_page_reconnects_when_the_server_restarts(page: Page, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running(tmp_path, [sys.executable]) as (port, content, _process):
        page.goto(f"http://127.0.0.1:{port}/casestudies/24-friends-of-parks/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Friends of Parks")
        wait_for_page_socket(log)
        page.evaluate("window.sameDocument = true")
    study = content / STUDY
    study.write_text(study.read_text(encoding="utf-8").replace('title: "Friends of Parks"',
                                                               'title: "Friends of the Parks"'), encoding="utf-8")
    with running(tmp_path, [sys.executable], port=port):
        expect(heading).to_have_text("Friends of the Parks", timeout=15_000)
        assert page.evaluate("window.sameDocument === true"), "the change should be swapped in, not reloaded"
