"""Running and timing builds: each child process is run in a session of its own and timed, with its peak memory from
os.wait4 (the largest resident set of the child or of any process it waited for), and killed after a timeout; runs
are taken in rounds, every tool once per round. Also our own generator's measures: cold and warm builds without
search, cold builds with search, and the real site, each run as `python build.py build` from the project folder, with
the last output moved aside before each cold build.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from benchmarks.corpus import CONTENT, PROJECT, Corpus

WORK = PROJECT / "benchmarks" / "work"
CACHE_NAMES = (".cache", ".portal-cache")
SET_ASIDE = "set-aside"  # in the run folder: outputs cleared for a cold build (`set_aside`)
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
    benchmark runs, that weighs on every tool alike and the ratios stay fair."""
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
# Our generator


def set_aside(path: Path, run_dir: Path) -> None:
    """Clear `path` for a cold build by moving it into the run folder's `set-aside/`, which is deleted at the end.

    Not deleted on the spot: on some file systems (ext4 without a journal), for minutes after many files are
    deleted, making new ones is slowed down, so deleting each tool's output just before its next build would charge
    that build for the deletion, ours most of all, which builds three times a round into the same folder (see
    docs/performance.md)."""
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
