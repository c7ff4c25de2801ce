"""The one place the site is written: file by file into a fresh folder beside the target (by the render stage,
as pages are made), swapped in only when complete.

Nothing the portal did not write is ever deleted. A site it builds holds a list of its files (MARKER); a folder
is replaced only if it is new, empty, or holds no more than such a list names, and never if it is or holds the
content, the project, the home folder or a Git repository (`refuse`). Work folders (the site being built, the
old site being deleted, scratch folders) are locked while in use (`work_folder`), so that the next build removes
those a killed build left and no others.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".portal-site"
MARKER_HEAD = "# Written by the equality evidence portal: the files of this site, which a rebuild may replace.\n"
LOCK = ".portal-work"  # in a work folder: locked while the process using it runs


class RefusedFolder(Exception):
    """The output folder given cannot be used: the message says why, in one sentence, and what to pass instead."""


class WriteError(Exception):
    """The site could not be written (a full disk, a read-only folder): the last good site is left as it was."""


def write_file(folder: Path | None, relative: str, data: bytes) -> None:
    """Write one file of the site into the staging folder, creating folders as needed; None writes nothing (a
    check renders every page without keeping any)."""
    if folder is None:
        return
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


BATCH = 4096  # pieces joined before each write


def write_pieces(folder: Path | None, relative: str, pieces: Iterable[str]) -> int:
    """Write one page of the site as UTF-8 from the pieces of text it is made in, a batch at a time, so that a
    large page is never held whole; None renders the pieces without keeping them (a check). Returns the number of
    characters written."""
    if folder is None:
        for _piece in pieces:
            pass
        return 0
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(target, "w", encoding="utf-8", newline="") as file:
        batch: list[str] = []
        for piece in pieces:
            batch.append(piece)
            if len(batch) == BATCH:
                written += file.write("".join(batch))
                batch.clear()
        written += file.write("".join(batch))
    return written


def refuse(out: Path, content: Path, project: Path) -> None:
    """Raise RefusedFolder if building into `out` could destroy anything the portal did not write."""
    shown = out.as_posix()
    if out.is_symlink():
        raise RefusedFolder(f"the output folder {shown} is a link to {os.path.realpath(out)}: pass the folder itself, "
                            "or a new folder such as --out site")
    target, content, project = out.resolve(), content.resolve(), project.resolve()
    home = Path.home().resolve()
    if target.exists() and not target.is_dir():
        raise RefusedFolder(f"{shown} is a file, not a folder: pass a new folder for the site, such as --out site")
    for what, place in (("content folder", content), ("project folder", project), ("home folder", home)):
        if target == place or place.is_relative_to(target):
            raise RefusedFolder(f"the output folder {shown} is or holds the {what} {place}, which the build would "
                                "replace: pass a new folder for the site, such as --out site")
    if target.is_relative_to(content):
        raise RefusedFolder(f"the output folder {shown} is inside the content folder {content}: pass a folder "
                            "outside it, such as --out site")
    if target.is_dir():
        _refuse_existing(target, shown)


def _refuse_existing(target: Path, shown: str) -> None:
    if (target / ".git").exists():
        raise RefusedFolder(f"the output folder {shown} holds a Git repository (.git), which the build would delete: "
                            "pass a new folder for the site, such as --out site")
    if os.path.ismount(target):
        raise RefusedFolder(f"the output folder {shown} is a mount point, which the build cannot replace: pass a "
                            f"folder inside it, such as --out {shown.rstrip('/')}/site")
    listed = written_by_portal(target)
    stranger = next((path for path in files_below(target) if path not in listed), None)
    if stranger is not None:
        raise RefusedFolder(f"the output folder {shown} holds files the portal did not write (such as "
                            f"{shown.rstrip('/')}/{stranger}), which building would delete: move them away or pass "
                            "a new folder with --out (a site that an earlier version of the portal built must be "
                            "deleted by hand, once)")


def written_by_portal(folder: Path) -> frozenset[str]:
    """The files the portal wrote into a site folder, as its MARKER lists them (with the marker itself); empty if
    the folder has no marker."""
    try:
        lines = (folder / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return frozenset()
    if not lines or lines[0] != MARKER_HEAD.rstrip("\n"):
        return frozenset()
    return frozenset([MARKER, LOCK, *lines[1:]])


def files_below(folder: Path) -> Iterator[str]:
    """Every file (or link, or anything not a folder) below `folder`, as a path relative to it."""
    def walk(directory: str, prefix: str) -> Iterator[str]:
        for entry in sorted(os.scandir(directory), key=lambda entry: entry.name):
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path, f"{prefix}{entry.name}/")
            else:
                yield prefix + entry.name
    yield from walk(str(folder), "")


def mark(stage: Path) -> None:
    """Write the MARKER listing every file of the finished site."""
    names = [name for name in files_below(stage) if name not in (MARKER, LOCK)]
    (stage / MARKER).write_text(MARKER_HEAD + "".join(name + "\n" for name in names), encoding="utf-8")


@contextmanager
def work_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder in `parent`, locked while it is in use and removed afterwards; folders of the same prefix
    that a killed process left (their lock free) are removed first."""
    clear_abandoned(parent, prefix)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    lock = os.open(folder / LOCK, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(lock)
        shutil.rmtree(folder, ignore_errors=True)


def clear_abandoned(parent: Path, prefix: str) -> None:
    """Remove the work folders of `prefix` in `parent` whose process has ended without removing them."""
    for folder in _folders(parent, prefix):
        if _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _folders(parent: Path, prefix: str) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(parent)
                if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _abandoned(folder: Path) -> bool:
    """True if `folder` is a work folder whose lock no running process holds."""
    try:
        lock = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(lock)


def new_prefix(out: Path) -> str:
    """The prefix of the folders a site is built in, beside it."""
    return f".{out.name}-new-"


def old_prefix(out: Path) -> str:
    """The prefix of the folder an old site is moved to, beside the new one, while it is deleted."""
    return f".{out.name}-old-"


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out`; on success it replaces `out`, on failure it is removed and `out` kept.
    An error writing either (a full disk, a read-only folder) is a WriteError."""
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for old in _folders(out.parent, old_prefix(out)):  # a killed build's old site: only what it listed goes
            _delete_site(old)
        with work_folder(out.parent, new_prefix(out)) as stage:
            yield stage
            mark(stage)
            replace(stage, out)
    except OSError as error:
        raise WriteError(_write_error(error, out)) from error


def _write_error(error: OSError, out: Path) -> str:
    where = error.filename or out
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EROFS: "the folder is read-only", errno.EACCES: "permission was refused",
              errno.EPERM: "permission was refused", errno.EFBIG: "a file is larger than this system allows"}.get(error.errno or 0, error.strerror or str(error))
    return (f"could not write the site into {out}: {reason} ({where}); nothing was published, and the last good "
            "site is as it was")


def replace(stage: Path, out: Path) -> None:
    """Swap the staged folder in for `out` with two renames, then delete the old site; if the second rename fails,
    the old site is put back."""
    os.chmod(stage, 0o755)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=old_prefix(out), dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
    try:
        os.rename(stage, out)
    except OSError:
        if old is not None:
            os.rename(old, out)
        raise
    os.unlink(out / LOCK)
    if old is not None:
        _delete_site(old)


def _delete_site(folder: Path) -> None:
    """Delete an old site: only the files its marker lists, and the folders they leave empty."""
    listed = written_by_portal(folder)
    for name in files_below(folder):
        if name in listed:
            (folder / name).unlink(missing_ok=True)
    for directory, _dirs, _files in sorted(os.walk(folder), key=lambda walked: -len(walked[0])):
        try:
            os.rmdir(directory)
        except OSError:
            pass  # not empty: it holds something the portal did not write, kept
