"""The one place content is read from disk: each content file's bytes, with the path shown in messages."""
from __future__ import annotations

from dataclasses import dataclass
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
    return Tree(root, Source(_show(settings), settings.read_bytes()) if settings.is_file() else None, folders)


def _show(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
