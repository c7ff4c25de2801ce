"""The dev server in headless Chromium: a content change reloads the open page; a broken file shows its problem."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import watchfiles
from playwright.sync_api import Page, expect
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from portal.serve import SOCKET, BatchWatcher
from tests.conftest import PROJECT

STUDY = "casestudies/24-friends-of-parks.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`build.py serve` on a copy of the real content; yields its URL and the content folder; logs to serve.log."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "serve", "--content", str(content),
                                "--port", str(port)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url, content
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def wait_for_page_socket(log: Path) -> None:
    """Until the open page's dev script has connected to the server's websocket, which the server logs."""
    deadline = time.monotonic() + 10
    while "Browser Connected" not in log.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the page's dev script did not connect"
        time.sleep(0.02)


def in_own_loop(work: Coroutine[None, None, None]) -> None:
    """Run `work` to the end in a thread of its own: Playwright's sync API keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def listener(port: int) -> WebSocketClientConnection:
    """The websocket an open page listens on, as this server's page at 127.0.0.1 opens it."""
    return await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}{SOCKET}",
                                               headers={"Origin": f"http://127.0.0.1:{port}"}))


async def next_message(socket_: WebSocketClientConnection) -> dict:
    """The next message the server sends."""
    message = await asyncio.wait_for(socket_.read_message(), 10)
    assert message is not None, "the server closed the websocket"
    return json.loads(message)


def test_edit_reloads_and_errors_show_then_clear(page: Page, dev_server: tuple[str, Path]) -> None:
    url, content = dev_server
    page.goto(url + "casestudies/24-friends-of-parks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Friends of Parks")
    wait_for_page_socket(content.parent / "serve.log")  # a change made before it connects is never announced
    study = content / STUDY
    good = study.read_text(encoding="utf-8")

    page.evaluate("window.sameDocument = true")
    study.write_text(good.replace('title: "Friends of Parks"', 'title: "Friends of the Parks"'), encoding="utf-8")
    expect(page.get_by_role("heading", level=1)).to_have_text("Friends of the Parks", timeout=10_000)
    assert page.evaluate("window.sameDocument === true"), "the change should be swapped in, not reloaded"
    expect(page).to_have_title(re.compile("^Friends of the Parks"))

    study.write_text(good.replace("number: 24", "number: twenty-four"), encoding="utf-8")
    alert = page.locator("#dev-errors")
    expect(alert).to_contain_text(f"{study.relative_to(content.parent).as_posix()}:3: `number` must be a whole "
                                  "number, such as `number: 7`; found 'twenty-four'", timeout=10_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Friends of the Parks")

    study.write_text(good, encoding="utf-8")
    expect(alert).to_have_count(0, timeout=10_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Friends of Parks")


def test_errors_file_is_empty_when_the_last_build_succeeded(dev_server: tuple[str, Path]) -> None:
    url, content = dev_server
    with urllib.request.urlopen(url + "_dev/errors.json", timeout=5) as response:  # a 500 would raise HTTPError
        assert (response.status, response.read()) == (204, b"")
    assert "Traceback" not in (content.parent / "serve.log").read_text(encoding="utf-8")


def test_published_build_has_no_dev_script(built: tuple[Path, object]) -> None:
    out, _site = built
    assert not (out / "assets" / "dev.js").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "dev.js" not in page and "_dev/" not in page and "livereload" not in page


def rebuilds(log: Path) -> int:
    return log.read_text(encoding="utf-8").count("Rebuilt in")


def test_many_files_changed_together_rebuild_once(dev_server: tuple[str, Path]) -> None:
    url, content = dev_server
    log = content.parent / "serve.log"
    studies = sorted((content / "casestudies").glob("*.md"))

    async def check() -> None:
        socket_ = await listener(int(url.rsplit(":", 1)[1].strip("/")))
        assert rebuilds(log) == 1
        for study in studies:  # like a branch switch: every case study changes at once
            study.write_text(study.read_text(encoding="utf-8").replace("## What we did", "## What we did\n\nEdited."),
                             encoding="utf-8")
        message = await next_message(socket_)  # one message for each rebuild, sent once it is done
        socket_.close()
        assert message == {"changed": [study.relative_to(content).as_posix() for study in studies]}
        assert rebuilds(log) == 2, log.read_text(encoding="utf-8")

    in_own_loop(check())


def test_watcher_sees_a_change_made_as_soon_as_it_has_begun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watchfiles.watch

    def slow_to_start(*args: object, **kwargs: object) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        time.sleep(0.3)  # as on a busy machine, or a large tree: until the folders are watched, a change is missed
        yield from watch(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", slow_to_start)
    seen: list[set[str]] = []
    watcher = BatchWatcher([tmp_path], seen.append)
    watcher.begin()
    try:
        (tmp_path / "new.md").write_text("written at once", encoding="utf-8")
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            watcher.examine()
            time.sleep(0.02)
    finally:
        watcher.stop()
    assert seen == [{os.path.realpath(tmp_path / "new.md")}]


def builds_of(content: Path) -> dict[int, str]:
    """The running processes that build this content folder: their command lines by process id."""
    found = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"build" in args and str(content).encode() in args:
            found[int(cmdline.parent.name)] = " ".join(a.decode(errors="replace") for a in args)
    return found


def test_search_is_indexed_in_the_background_and_stopped_with_the_server(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    port = free_port()
    process = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "serve", "--content", str(content),
                                "--port", str(port)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.2)
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/pagefind/pagefind.js", timeout=2).status
            except OSError:
                status = 0
        assert status == 200, "the dev server never served a search index"
        (content / STUDY).write_text((content / STUDY).read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not builds_of(content.resolve()):
            time.sleep(0.1)
        assert builds_of(content.resolve()), "no background index started after the change"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert builds_of(content.resolve()) == {}  # the server waited for it to end
