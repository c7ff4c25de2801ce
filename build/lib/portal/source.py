"""The one place content is read from disk: each content file's bytes, with the path shown in messages."""
from __future__ import annotations

import difflib
import errno
import os
import posixpath
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import limits
from .problems import Problem
from .schema import CONTENT_TYPES

SETTINGS_FILE = "site.yaml"
SYNONYMS_FILE = "synonyms.yaml"  # optional: residents' words and the evidence's, for search
TOP_FILES = (SETTINGS_FILE, SYNONYMS_FILE)


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
    """The content tree: the settings file and the Markdown files of each folder, sorted by name, and what could
    not be read (each a problem: nothing in the content folder is left out without a word)."""

    root: str
    settings: Source | None
    folders: dict[str, tuple[Source, ...]]
    dates: dict[str, str] = field(default_factory=dict)
    unread: tuple[Problem, ...] = ()
    synonyms: Source | None = None

    def files(self, folder: str) -> tuple[Source, ...]:
        """The Markdown files of one folder (`casestudies`, `actions`, …)."""
        return self.folders.get(folder, ())


Known = dict[str, tuple[tuple[int, int], Source]]
FOLDERS = tuple(ctype.folder for ctype in CONTENT_TYPES)
KEPT_HIDDEN = frozenset({".gitkeep"})  # a file Git users put in an empty folder, which holds nothing to read


def read_tree(content_dir: Path, known: Known | None = None, changed: set[str] | None = None) -> Tree:
    """Read every file below `content_dir` that the portal uses, and say what it cannot use.

    With `known` (what an earlier call read, updated in place), a file whose size and modification time are
    unchanged is not read again: the dev server re-reads only what was edited. With `changed` as well (the paths
    the operating system reported), the other known files are not even looked at."""
    memo: Known = {} if known is None else known
    seen: Known = {}
    shown = _show(content_dir)
    root = os.path.realpath(content_dir)
    unread: list[Problem] = _unknown_entries(root, shown)
    trusted = {path: entry for path, entry in memo.items() if path not in changed} if changed is not None else {}
    folders = {}
    for folder in FOLDERS:
        found = _folder_files(root, folder, f"{shown}/{folder}", unread)
        read = [_read(path, name, memo, seen, trusted, unread) for path, name in found]
        folders[folder] = tuple(source for source in read if source is not None)
    settings, synonyms = (_top_file(root, name, shown, memo, seen, trusted, unread) for name in TOP_FILES)
    if known is not None:
        known.clear()
        known.update(seen)
    return Tree(shown, settings, folders, history_dates(content_dir), tuple(unread), synonyms)


def _top_file(root: str, name: str, shown: str, memo: Known, seen: Known, trusted: Known,
              unread: list[Problem]) -> Source | None:
    """One of the files at the top of the content folder, if it is there."""
    path = os.path.join(root, name)
    if not os.path.lexists(path) or not _usable(root, path, f"{shown}/{name}", unread):
        return None
    return _read(path, f"{shown}/{name}", memo, seen, trusted, unread)


def _unknown_entries(root: str, shown: str) -> list[Problem]:
    """A problem for each file or folder at the top of the content folder that the portal does not read."""
    problems = []
    for entry in sorted(os.scandir(root), key=lambda entry: entry.name):
        name = entry.name
        if name in FOLDERS or name in TOP_FILES or name in KEPT_HIDDEN:
            continue
        close = difflib.get_close_matches(name.rstrip("/"), [*FOLDERS, *TOP_FILES], n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        problems.append(Problem(f"{shown}/{name}", 1, f"this is not read: {hint}the content folder holds only "
                                f"{' and '.join(TOP_FILES)} and the folders {', '.join(sorted(FOLDERS))}"))
    return problems


def _folder_files(root: str, folder: str, shown: str, unread: list[Problem]) -> list[tuple[str, str]]:
    """The Markdown files of one content folder (their paths, and their paths for messages), sorted by name; a
    problem for everything else in it."""
    path = os.path.join(root, folder)
    if not os.path.lexists(path) or not _usable(root, path, shown, unread, folder=True):
        return []
    found = []
    for entry in sorted(os.scandir(path), key=lambda entry: entry.name):
        name, where = entry.name, f"{shown}/{entry.name}"
        if name in KEPT_HIDDEN:
            continue
        if name.startswith("."):
            unread.append(Problem(where, 1, f"this file is hidden (its name starts with a dot), so it is not read: "
                                  f"rename it to `{name.lstrip('.') or 'a-name.md'}`, or delete it"))
        elif not _usable(root, entry.path, where, unread):
            continue
        elif not name.endswith(".md"):
            unread.append(Problem(where, 1, f"this file is not read, because only names ending in `.md` are: rename it "
                                  f"to `{stem(where)}.md` (or move it out of the content folder)"))
        else:
            found.append((entry.path, where))
    return found


def _usable(root: str, path: str, shown: str, unread: list[Problem], folder: bool = False) -> bool:
    """Whether `path` is a regular file (or, with `folder`, a folder) inside the content folder, following links
    that stay inside it; if not, a problem says why."""
    what = "folder" if folder else "file"
    try:
        real = os.path.realpath(path, strict=True)
        info = os.stat(real)
    except OSError as error:
        target = os.readlink(path) if os.path.islink(path) else path
        reason = "leads round in a circle" if error.errno == errno.ELOOP else f"leads to {target}, which does not exist"
        unread.append(Problem(shown, 1, f"this is a link that {reason}: replace it with the {what} itself"))
        return False
    if os.path.commonpath([root, real]) != root:
        unread.append(Problem(shown, 1, f"this is a link to {real}, outside the content folder, which is not read: "
                              f"put the {what} itself in the content folder"))
        return False
    if folder != stat.S_ISDIR(info.st_mode) or not (folder or stat.S_ISREG(info.st_mode)):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        where = "" if folder else f" here: move its files into {posixpath.dirname(shown)}/ itself"
        unread.append(Problem(shown, 1, f"this is {kind}, so it is not read{where or ': make it a folder'}"))
        return False
    too_big = None if folder else limits.file_size_problem(shown, info.st_size)
    if too_big is not None:
        unread.append(too_big)
        return False
    return True


def reread(tree: Tree, known: Known, changed: set[str]) -> Tree | None:
    """`tree` (which `read_tree` returned, updating `known`) with the `changed` files read again, if each is a file
    it already has: an edit, which leaves every folder's listing as it was. None if a file was added or removed
    (or a changed path is not content at all): then only `read_tree` will do."""
    fresh: dict[str, Source] = {}
    for path in changed:
        if path not in known or os.path.islink(path) or not os.path.isfile(path):
            return None
        before = known[path][1]
        source = _read(path, before.path, known, known, {}, [])
        if source is None:
            return None
        fresh[before.path] = source
    folders = {folder: tuple(fresh.get(source.path, source) for source in sources) if fresh else sources
               for folder, sources in tree.folders.items()}
    settings = fresh.get(tree.settings.path, tree.settings) if tree.settings else None
    synonyms = fresh.get(tree.synonyms.path, tree.synonyms) if tree.synonyms else None
    return Tree(tree.root, settings, folders, tree.dates, tree.unread, synonyms)


def _read(path: str, shown: str, known: Known, seen: Known, trusted: Known, unread: list[Problem]) -> Source | None:
    """A file's Source (`shown` is its path for messages), read again only if its size or time has changed; None,
    and a problem, if it cannot be read."""
    if path in trusted:
        seen[path] = trusted[path]
        return trusted[path][1]
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size)
        if path in known and known[path][0] == stamp:
            seen[path] = known[path]
            return known[path][1]
        with open(path, "rb") as file:
            source = Source(shown, file.read(limits.MAX_FILE_BYTES + 1))
    except OSError as error:
        unread.append(Problem(shown, 1, f"this file cannot be read ({error.strerror or error}): check that it exists "
                              "and that you may read it"))
        return None
    too_big = limits.file_size_problem(shown, len(source.data))  # it grew after it was looked at
    if too_big is not None:
        unread.append(too_big)
        return None
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
