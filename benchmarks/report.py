"""The printed report: the machine, corpus and tool versions, every measure's median and runs (and any failures),
the peers' figures, and the ratios of ours to each reference (a peer's figure or a fixed budget).
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from pathlib import Path

from benchmarks.corpus import Corpus
from benchmarks.measuring import Measure, Ours, capture, project_caches
from benchmarks.peers import Peers


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit, to a sensible precision."""
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:.1f} {unit}"


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
