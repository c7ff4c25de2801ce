"""The worker processes the heavy stages share: how many, how they start, and how work is handed to them."""
from __future__ import annotations

import ctypes
import gc
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
PR_SET_PDEATHSIG = 1  # Linux prctl: the signal a process gets when the one that started it ends
MAX_WORKERS = 8
SHARES_PER_WORKER = 4  # more shares than workers, so that one slow share does not leave a core idle


def workers() -> int:
    """One worker per core, up to MAX_WORKERS; none but this process while other threads run (the dev server),
    since forking a process with threads can leave a child waiting for ever on a lock a thread held."""
    if threading.active_count() > 1:
        return 1
    return min(os.cpu_count() or 1, MAX_WORKERS)


@contextmanager
def forked(work: Any) -> Iterator[Pool]:
    """A pool of forked workers that inherit `work` (read in them with `job()`) instead of unpickling it: the
    model, the pages to render, the files to parse. Only what the workers return travels back.

    Everything is frozen out of the garbage collector's reach while they fork: otherwise their first full
    collection writes to every object they inherited, and the kernel copies each page of the parent's memory."""
    global _JOB  # noqa: PLW0603 (read by the forked workers)
    _JOB = work
    frozen_before = gc.get_freeze_count()  # the dev server freezes its first model for good: keep it so
    try:
        gc.freeze()
        try:
            workers_pool = get_context("fork").Pool(workers(), die_with_parent, (os.getpid(),))
        finally:
            if not frozen_before:
                gc.unfreeze()
        with workers_pool:
            yield workers_pool
    finally:
        _JOB = None


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child process (a worker, Pagefind): end when `parent` ends, even if it is killed outright, rather than
    run on (Linux; elsewhere nothing is done)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:  # it ended before the signal was asked for
        os.kill(os.getpid(), sig)


def job() -> Any:
    """In a worker of `forked`: the job it inherited."""
    assert _JOB is not None, "only a worker of parallel.forked has a job"
    return _JOB


_JOB: Any = None


def map_in_order(func: Callable[[T], R], items: Sequence[T], parallel_from: int) -> list[R]:
    """`[func(item) for item in items]`, across all cores when there are at least `parallel_from` items.

    Each worker hands its share of the results back in a file of its own rather than through the pool's pipe,
    which drains megabytes slowly: the 22 MB of rendered Markdown of 4,000 case studies took 0.25 s longer that
    way, as long as a second core saves."""
    if len(items) < parallel_from or workers() == 1:
        return [func(item) for item in items]
    shares = workers() * SHARES_PER_WORKER
    with tempfile.TemporaryDirectory(prefix="portal-results-") as folder:
        with forked((func, items, shares, Path(folder))) as workers_pool:
            files = workers_pool.map(_share, range(shares))
        results: list[Any] = [None] * len(items)
        for share, file in enumerate(files):
            results[share::shares] = pickle.loads(file.read_bytes())  # written by our own workers just now
    return results


def _share(share: int) -> Path:
    func, items, shares, folder = job()
    file = folder / f"{share}.pickle"
    file.write_bytes(pickle.dumps([func(item) for item in items[share::shares]], protocol=pickle.HIGHEST_PROTOCOL))
    return file
