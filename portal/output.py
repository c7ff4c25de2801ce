"""The one place the site is written: file by file into a fresh folder beside the target (by the render stage,
as pages are made), swapped in only when complete."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


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


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out`; on success it replaces `out`, on failure it is removed and `out` kept."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    replace(stage, out)


def replace(stage: Path, out: Path) -> None:
    """Swap the staged folder in for `out` with two renames, then delete the old site."""
    stage.chmod(0o755)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
    stage.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
