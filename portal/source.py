"""The one place content is read from disk: each content file's bytes, with the path shown in messages."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .schema import CONTENT_TYPES

SETTINGS_FILE = "site.yaml"


@dataclass(frozen=True)
class Source:
    """One content file: the path shown in messages and its raw bytes."""

    path: str
    data: bytes

    @property
    def stem(self) -> str:
        """The file name without folder or `.md`."""
        return stem(self.path)


def stem(path: str) -> str:
    """A shown path's file name without its folder and extension."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name[1:] else name


@dataclass(frozen=True)
class Tree:
    """The content tree: the settings file and the Markdown files of each folder, sorted by name."""

    root: str
    settings: Source | None
    folders: dict[str, tuple[Source, ...]]
    dates: dict[str, str] = field(default_factory=dict)
    unread: tuple[str, ...] = ()  # files in the content folders that are not read: their names do not end in .md

    def files(self, folder: str) -> tuple[Source, ...]:
        """The Markdown files of one folder (`casestudies`, `actions`, …)."""
        return self.folders.get(folder, ())


Known = dict[str, tuple[tuple[int, int], Source]]


def read_tree(content_dir: Path, known: Known | None = None, changed: set[str] | None = None) -> Tree:
    """Read every file below `content_dir` that the portal uses.

    With `known` (what an earlier call read, updated in place), a file whose size and modification time are
    unchanged is not read again: the dev server re-reads only what was edited. With `changed` as well (the paths
    the operating system reported), the other known files are not even looked at."""
    memo: Known = {} if known is None else known
    seen: Known = {}
    shown = _show(content_dir)
    unread: list[str] = []
    trusted = {path: entry for path, entry in memo.items() if path not in changed} if changed is not None else {}
    folders = {}
    for ctype in CONTENT_TYPES:
        folder = os.path.join(content_dir, ctype.folder)
        files = sorted(e.name for e in os.scandir(folder) if e.is_file() and not e.name.startswith(".")) \
            if os.path.isdir(folder) else []
        names = [name for name in files if name.endswith(".md")]
        unread += [f"{shown}/{ctype.folder}/{name}" for name in files if not name.endswith(".md")]
        folders[ctype.folder] = tuple(_read(os.path.join(folder, name), f"{shown}/{ctype.folder}/{name}", memo, seen,
                                            trusted) for name in names)
    settings = os.path.join(content_dir, SETTINGS_FILE)
    settings_source = _read(settings, f"{shown}/{SETTINGS_FILE}", memo, seen, trusted) \
        if os.path.isfile(settings) else None
    if known is not None:
        known.clear()
        known.update(seen)
    return Tree(shown, settings_source, folders, history_dates(content_dir), tuple(unread))


def reread(tree: Tree, known: Known, changed: set[str]) -> Tree | None:
    """`tree` (which `read_tree` returned, updating `known`) with the `changed` files read again, if each is a file
    it already has: an edit, which leaves every folder's listing as it was. None if a file was added or removed
    (or a changed path is not content at all): then only `read_tree` will do."""
    fresh: dict[str, Source] = {}
    for path in changed:
        if path not in known or not os.path.isfile(path):
            return None
        before = known[path][1]
        fresh[before.path] = _read(path, before.path, known, known, {})
    folders = {folder: tuple(fresh.get(source.path, source) for source in sources) if fresh else sources
               for folder, sources in tree.folders.items()}
    settings = fresh.get(tree.settings.path, tree.settings) if tree.settings else None
    return Tree(tree.root, settings, folders, tree.dates, tree.unread)


def _read(path: str, shown: str, known: Known, seen: Known, trusted: Known) -> Source:
    """A file's Source (`shown` is its path for messages), read again only if its size or time has changed."""
    if path in trusted:
        seen[path] = trusted[path]
        return trusted[path][1]
    info = os.stat(path)
    stamp = (info.st_mtime_ns, info.st_size)
    if path in known and known[path][0] == stamp:
        seen[path] = known[path]
        return known[path][1]
    with open(path, "rb") as file:
        source = Source(shown, file.read())
    seen[path] = (stamp, source)
    return source


def history_dates(content_dir: Path) -> dict[str, str]:
    """The date (YYYY-MM-DD) of the last commit that changed each file below `content_dir`, if it is in Git."""
    try:
        result = subprocess.run(["git", "log", "--format=%x00%cs", "--name-only", "--relative", "--", "."],
                                cwd=content_dir, capture_output=True, text=True, check=False)
    except OSError:
        return {}
    dates: dict[str, str] = {}
    for record in result.stdout.split("\0")[1:] if result.returncode == 0 else []:
        date, *names = record.strip().split("\n")
        for name in names:
            if name:
                dates.setdefault(_show(content_dir / name), date)
    return dates


def _show(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
