"""Index the written site for search with Pagefind, then make its index byte-identical from build to build.

Pagefind 1.5 writes its filter indexes in hash-map order, which changes from run to run (Pagefind issue 638),
so the filter files, the metadata file that names them and the entry file are rewritten in sorted order.
"""
from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import cbor2
import pagefind_bin

from . import parallel

SIGNATURE = b"pagefind_dcd"
T = TypeVar("T")


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message holds what it printed."""


SPLIT_FROM = 1000  # pages to search; from this many, they are indexed in parts at once
# Of every 20 pages to search, how many each part indexes: a fixed number of parts, not one per core, so that the
# same content gives the same site on every machine. The first part's pages are written first and its Pagefind
# starts sooner (3 s at 4,000 case studies), so it takes more of them, and the two finish together.
SHARES = (11, 9)
PARTS = len(SHARES)


def bundles(count: int) -> list[str]:
    """The folders of the search index, relative to the site root, for a site with `count` pages to search:
    `pagefind/`, and from SPLIT_FROM pages also `pagefind/part-2/` and so on. Pagefind writes its index on one core
    with maximum compression, which takes longer than reading the pages; parts are written at the same time, and
    the search page merges them (Pagefind's multisite search), at the cost of downloading Pagefind's WebAssembly
    and index metadata once per part on the first search."""
    parts = PARTS if count >= SPLIT_FROM else 1
    return ["pagefind/"] + [f"pagefind/part-{number}/" for number in range(2, parts + 1)]


def parts(pages: Sequence[T]) -> dict[str, list[T]]:
    """Each folder of the search index, with the pages it indexes: the pages dealt to the parts in turn, in SHARES."""
    folders = bundles(len(pages))
    turns = [folder for folder, share in zip(folders, SHARES if len(folders) > 1 else (1,)) for _ in range(share)]
    dealt: dict[str, list[T]] = {folder: [] for folder in folders}
    for number, page in enumerate(pages):
        dealt[turns[number % len(turns)]].append(page)
    return dealt


class Indexer:
    """Pagefind over the pages of one part of the search index, writing the index folder `bundle` of `site_dir`.

    The part's pages are written into a folder of their own inside the site's, `pages`, so that Pagefind reads them
    and nothing else: not the other parts' pages, nor the evidence packs, each of which holds every case study of
    an area. `start` runs Pagefind over them once they are written, in its own process, so the build can go on with
    the pages search does not read; `wait` waits for it, makes the index deterministic and moves the pages into the
    site (a rename each, folder by folder); `stop`, on failure, stops Pagefind and moves them back all the same.

    A large page is shown to Pagefind as a slim copy (`show_slim`), the page itself going straight into the site;
    `copies` names them, so that they are deleted rather than moved."""

    def __init__(self, site_dir: Path, bundle: str = "pagefind/") -> None:
        self.site_dir = site_dir
        self.index_dir = site_dir / bundle
        self.pages = Path(tempfile.mkdtemp(prefix=".search-", dir=site_dir))  # removed with the site if it fails
        self.process: subprocess.Popen[str] | None = None
        self.copies: set[str] = set()

    def start(self) -> None:
        """Index the pages written into `pages`."""
        self.process = subprocess.Popen([str(pagefind_bin.get_executable()), "--site", str(self.pages),
                                         "--output-path", str(self.index_dir), "--quiet"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        preexec_fn=partial(parallel.die_with_parent, os.getpid()))

    def wait(self) -> None:
        """Wait for Pagefind to finish, make its index canonical and move the pages into the site;
        SearchIndexError if it failed."""
        assert self.process is not None, "start the indexer before waiting for it"
        printed, _ = self.process.communicate()
        if self.process.returncode != 0:
            _no_room(self.site_dir)
            raise SearchIndexError(f"Pagefind failed (exit status {self.process.returncode}): "
                                   f"{' '.join(printed.split())[:300] or 'it printed nothing'}")
        try:
            canonicalise(self.index_dir)
        except OSError:
            raise
        except Exception as error:  # noqa: BLE001 (whatever a truncated file makes the readers raise)
            _no_room(self.site_dir)
            raise SearchIndexError(f"Pagefind said it had finished, but its index cannot be read "
                                   f"({type(error).__name__}: {str(error)[:200]})") from error
        self._return_pages(strict=True)

    def stop(self) -> None:
        """Stop Pagefind if it is still running (the build failed while it ran), and move the pages into the site,
        where the site does not have them already."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self._return_pages(strict=False)

    def _return_pages(self, strict: bool) -> None:
        if not self.pages.exists():
            return
        for copy in self.copies:
            (self.pages / copy).unlink(missing_ok=True)
        _move_into(self.pages, self.site_dir, strict)
        shutil.rmtree(self.pages)


LITTLE_ROOM = 16 * 1024 * 1024  # bytes free: below this, a failed Pagefind is taken to have run out of room


def _no_room(folder: Path) -> None:
    """Raise OSError if Pagefind, which says nothing when it cannot write (and may even exit 0), most likely failed
    for want of room: a nearly full disk, or a limit on the size of files (ulimit -f)."""
    if shutil.disk_usage(folder).free < LITTLE_ROOM:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder))
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(folder))


def _move_into(source: Path, target: Path, strict: bool) -> None:
    """Move everything in the folder `source` to the same place in `target`: a whole folder at a time where `target`
    has none of that name, otherwise what is in it. A file `target` already has is never overwritten: with
    `strict`, it is an error."""
    for entry in sorted(os.scandir(source), key=lambda entry: entry.name):
        to = target / entry.name
        if entry.is_dir(follow_symlinks=False) and to.is_dir():
            _move_into(Path(entry.path), to, strict)
        elif not to.exists():
            os.rename(entry.path, to)
        elif strict:
            raise FileExistsError(f"{to} was written twice")


SLIM_FROM = 65_536  # characters: from this size, a page is shown to search as a slim copy


def show_slim(pages: Path, site_dir: Path, page: str) -> None:
    """Move `page` from `pages` (what Pagefind reads) into `site_dir`, and leave a slim copy of it in its place."""
    html = (pages / page).read_text(encoding="utf-8")
    _move(page, pages, site_dir)
    (pages / page).write_text(slim(html), encoding="utf-8")


def _move(page: str, source: Path, target: Path) -> None:
    """Move one page from the folder `source` to the same place in `target`."""
    (target / page).parent.mkdir(parents=True, exist_ok=True)
    os.rename(source / page, target / page)


IGNORED = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\s[^>]*?\bdata-pagefind-ignore\b[^>]*>")
# What Pagefind reads from inside an ignored element even so: filters, metadata and the like, and the first image
# and heading of a page, which it takes as the result's image and title.
READ_EVEN_SO = re.compile(r"data-pagefind-(?!ignore)|<img\b|<h1\b", re.IGNORECASE)
VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"])


def slim(html: str) -> str:
    """`html` without the elements search leaves out (data-pagefind-ignore) and all they hold, except any that hold
    something search reads even so (READ_EVEN_SO). Pagefind makes the same index from it, and reads it much faster
    when those elements are lists of other pages: at 4,000 case studies, the card lists of the area, action and
    group pages and the evidence map's table are 33 MB, two fifths of the HTML search would otherwise read, and
    took 2.1 of Pagefind's 23 CPU-seconds. For well-formed HTML, such as the templates make: an element whose end
    it cannot find is kept."""
    kept: list[str] = []
    at = 0
    while (match := IGNORED.search(html, at)) is not None:
        end = _element_end(html, match)
        if end is None:  # kept, and what is inside it looked at in turn
            kept.append(html[at:match.end()])
            at = match.end()
        else:
            kept.append(html[at:end] if READ_EVEN_SO.search(html, match.end(), end) else html[at:match.start()])
            at = end
    kept.append(html[at:])
    return "".join(kept)


def _element_end(html: str, start: re.Match[str]) -> int | None:
    """Where the element whose start tag is `start` ends, counting the elements of the same name within it."""
    name = start[1].lower()
    if name in VOID:
        return start.end()
    tags = re.compile(rf"<(/?){name}(?=[\s>/])", re.IGNORECASE)
    depth = 1
    at = start.end()
    while depth:
        tag = tags.search(html, at)
        if tag is None:
            return None
        depth += -1 if tag[1] else 1
        at = tag.end()
    close = html.find(">", at)
    return None if close < 0 else close + 1


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
