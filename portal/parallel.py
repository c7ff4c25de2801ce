"""The worker processes both heavy stages share: how many, and how they start."""
from __future__ import annotations

import os
from multiprocessing import get_context
from multiprocessing.pool import Pool

MAX_WORKERS = 8


def workers() -> int:
    """One worker per core, up to MAX_WORKERS."""
    return min(os.cpu_count() or 1, MAX_WORKERS)


def pool() -> Pool:
    """A pool of forked workers: they inherit the model instead of unpickling it."""
    return get_context("fork").Pool(workers())
