"""The one place content is read from disk: each content file's bytes, with the path shown in messages."""
from __future__ import annotations

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
        return Path(self.path).stem


@dataclass(frozen=True)
class Tree:
    """The content tree: the settings file and the Markdown files of each folder, sorted by name."""

    root: str
    settings: Source | None
    folders: dict[str, tuple[Source, ...]]
    dates: dict[str, str] = field(default_factory=dict)

    def files(self, folder: str) -> tuple[Source, ...]:
        """The Markdown files of one folder (`casestudies`, `actions`, …)."""
        return self.folders.get(folder, ())


def read_tree(content_dir: Path) -> Tree:
    """Read every file below `content_dir` that the portal uses."""
    settings = content_dir / SETTINGS_FILE
    folders = {}
    for ctype in CONTENT_TYPES:
        folder = content_dir / ctype.folder
        paths = sorted(folder.glob("*.md")) if folder.is_dir() else []
        folders[ctype.folder] = tuple(Source(_show(p), p.read_bytes()) for p in paths)
    root = _show(content_dir)
    return Tree(root, Source(_show(settings), settings.read_bytes()) if settings.is_file() else None, folders,
                history_dates(content_dir))


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
