"""The one place the site is written: file by file into a fresh folder beside the target (by the render stage,
as pages are made), swapped in only when complete."""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def write_file(folder: Path | None, relative: str, data: bytes) -> None:
    """Write one file of the site into the staging folder, creating folders as needed; None writes nothing (a
    check renders every page without keeping any)."""
    if folder is None:
        return
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


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
