"""The worker processes the heavy stages share: how many, how they start, and how work is handed to them."""
from __future__ import annotations

import gc
import os
from multiprocessing import get_context
from multiprocessing.pool import Pool
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 8
SHARES_PER_WORKER = 4  # more shares than workers, so that one slow share does not leave a core idle


def workers() -> int:
    """One worker per core, up to MAX_WORKERS."""
    return min(os.cpu_count() or 1, MAX_WORKERS)


def pool() -> Pool:
    """A pool of forked workers: they inherit the model instead of unpickling it.

    Everything is frozen out of the garbage collector's reach while they fork: otherwise their first full
    collection writes to every object they inherited, and the kernel copies each page of the parent's memory."""
    frozen_before = gc.get_freeze_count()  # the dev server freezes its first model for good: keep it so
    gc.freeze()
    try:
        return get_context("fork").Pool(workers())
    finally:
        if not frozen_before:
            gc.unfreeze()


def map_in_order(func: Callable[[T], R], items: Sequence[T], parallel_from: int) -> list[R]:
    """`[func(item) for item in items]`, across all cores when there are at least `parallel_from` items.

    The forked workers inherit `func` and `items` instead of unpickling them: only the results travel back."""
    if len(items) < parallel_from or workers() == 1:
        return [func(item) for item in items]
    global _JOB  # noqa: PLW0603 (read by the forked workers)
    shares = workers() * SHARES_PER_WORKER
    _JOB = (func, items, shares)
    try:
        with pool() as workers_pool:
            parts = workers_pool.map(_share, range(shares))
    finally:
        _JOB = None
    results: list[Any] = [None] * len(items)
    for share, part in enumerate(parts):
        results[share::shares] = part
    return results


_JOB: tuple[Callable[[Any], Any], Sequence[Any], int] | None = None


def _share(share: int) -> list[Any]:
    assert _JOB is not None
    func, items, shares = _JOB
    return [func(item) for item in items[share::shares]]
