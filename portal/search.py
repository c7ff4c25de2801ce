"""Index the written site for search with Pagefind, then make its index byte-identical from build to build.

Pagefind 1.5 writes its filter indexes in hash-map order, which changes from run to run (Pagefind issue 638),
so the filter files, the metadata file that names them and the entry file are rewritten in sorted order.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import cbor2

SIGNATURE = b"pagefind_dcd"


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message holds what it printed."""


def glob_for(pages: list[str]) -> str:
    """A Pagefind glob naming the folders of the pages to index, so that it never reads the others (the evidence
    packs: each holds every case study of an area, and reading them costs more time and memory than all the rest)."""
    shapes = {"/".join([parts[0], *["*"] * (len(parts) - 2), parts[-1]]) if len(parts) > 2 else path
              for path in pages for parts in [path.split("/")]}
    return "{" + ",".join(sorted(shapes)) + "}"


class Indexer:
    """Pagefind, started over the pages of `site_dir` that match `glob`; `wait` for it to write a deterministic
    `site_dir/pagefind/`. It runs in its own process, so the build can go on with pages search does not read."""

    def __init__(self, site_dir: Path, glob: str = "**/*.html") -> None:
        self.site_dir = site_dir
        self.process = subprocess.Popen([sys.executable, "-m", "pagefind_bin", "--site", str(site_dir), "--glob", glob,
                                         "--output-subdir", "pagefind", "--quiet"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait(self) -> None:
        """Wait for Pagefind to finish, then make its index canonical; SearchIndexError if it failed."""
        printed, _ = self.process.communicate()
        if self.process.returncode != 0:
            raise SearchIndexError(f"Pagefind failed:\n{printed}")
        canonicalise(self.site_dir / "pagefind")

    def stop(self) -> None:
        """Stop Pagefind if it is still running (the build failed while it ran)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def index(site_dir: Path, glob: str = "**/*.html") -> None:
    """Run Pagefind over the pages of `site_dir` that match `glob`, writing a deterministic `site_dir/pagefind/`."""
    Indexer(site_dir, glob).wait()


def _read(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise SearchIndexError(f"{path} is not a Pagefind index file")
    return cbor2.loads(data[len(SIGNATURE):])


def _encode(value: Any) -> bytes:
    return gzip.compress(SIGNATURE + cbor2.dumps(value), mtime=0)


def _digest(data: bytes, length: int) -> str:
    return hashlib.sha256(data).hexdigest()[:length]


def canonicalise(bundle: Path) -> None:
    """Rewrite each language's filter indexes and metadata in sorted order, with names from their contents."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read(meta_path)
        meta[3] = sorted(_canonical_filter(bundle, language, name, digest) for name, digest in meta[3])
        data = _encode(meta)
        info["hash"] = f"{language}_{_digest(data, 13)}"
        meta_path.unlink()
        (bundle / f"pagefind.{info['hash']}.pf_meta").write_bytes(data)
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _canonical_filter(bundle: Path, language: str, name: str, digest: str) -> list[str]:
    path = bundle / "filter" / f"{digest}.pf_filter"
    filter_name, values = _read(path)
    data = _encode([filter_name, sorted(values, key=lambda pair: pair[0])])
    new_digest = f"{language}_{_digest(data, 7)}"
    path.unlink()
    (bundle / "filter" / f"{new_digest}.pf_filter").write_bytes(data)
    return [name, new_digest]
