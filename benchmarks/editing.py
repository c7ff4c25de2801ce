"""Edit to reload with the dev server: start `python build.py serve` on the corpus, open one case study's page in
headless Chromium (driven by Playwright), then for each run change a word of the study's body and time until the
open page shows it; the file is put back at the end.
"""
from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import PROJECT, Corpus, split_front_matter
from benchmarks.measuring import Measure, progress

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, child: subprocess.Popen, timeout: float) -> None:
    """Wait until the server accepts connections; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the dev server exited with status {child.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the dev server did not start within {timeout:.0f} s")


def body_word(text: str) -> str:
    """A word of five or more letters in a paragraph of the body, to change."""
    body = split_front_matter(text)[1]
    for line in body.splitlines():
        if line and not line.startswith(("#", "|", "-")):
            match = re.search(r"\b[a-z]{5,}\b", line)
            if match:
                return match.group(0)
    raise ValueError("no word to change in the case study's body")


def replace_in_body(text: str, old: str, new: str) -> str:
    """The text with the first whole-word `old` of the body replaced by `new`."""
    front, body = split_front_matter(text)
    return "---\n" + front + "---\n" + re.sub(rf"\b{re.escape(old)}\b", new, body, count=1)


def measure_edit_reload(corpus: Corpus, run_dir: Path, runs: int, timeout: float) -> tuple[Measure, list[float]]:
    """Edit one case study while `build.py serve` runs and time until the open page shows the new word."""
    measure = Measure("edit a case study to the open page showing it", "ms")
    study = corpus.studies[len(corpus.studies) // 2]
    port = free_port()
    log_path = run_dir / "serve.log"
    original = study.read_text(encoding="utf-8")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "build.py", "serve", "--content", str(corpus.content),
                                   "--port", str(port)], cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, server, timeout)
            progress("dev server up; measuring edit to reload")
            _edit_and_watch(f"http://127.0.0.1:{port}/casestudies/{study.stem}/", study, original, runs, timeout, measure,
                            log_path)
        except Exception as error:  # noqa: BLE001 (any failure is reported as the figure)
            measure.fail(f"{type(error).__name__}: {error}")
        finally:
            study.write_text(original, encoding="utf-8")
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    rebuilds = [float(s) for s in re.findall(r"Rebuilt in ([\d.]+) s", log_path.read_text(errors="replace"))]
    return measure, rebuilds


def wait_for_page_socket(log_path: Path, timeout: float) -> None:
    """Wait until the open page's dev script has connected to the server's websocket (the server logs it): an edit
    made before then is never announced to the page, and the wait for it would last until the timeout."""
    deadline = time.monotonic() + timeout
    while "Browser Connected" not in log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError("the page's dev script did not connect")
        time.sleep(0.01)


def _edit_and_watch(url: str, study: Path, original: str, runs: int, timeout: float, measure: Measure,
                    log_path: Path) -> None:
    """Open the page in headless Chromium, then for each run change a word and wait for the page to show it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url, timeout=timeout * 1000)
            wait_for_page_socket(log_path, timeout)
            old, text = body_word(original), original
            for i in range(runs):
                new = f"benchedit{i}{random.Random(i).randint(10000, 99999)}"
                text = replace_in_body(text, old, new)
                started = time.perf_counter()
                study.write_text(text, encoding="utf-8")
                page.wait_for_function("word => document.body !== null && document.body.innerText.includes(word)",
                                       arg=new, polling=10, timeout=timeout * 1000)
                elapsed = (time.perf_counter() - started) * 1000
                progress(f"edit to reload {i + 1}/{runs}: {elapsed:.0f} ms")
                measure.add(elapsed)
                old = new
                time.sleep(1.0)
        finally:
            browser.close()
