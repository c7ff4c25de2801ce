"""What is kept between builds, in one folder (`.portal-cache/` beside `content/` unless told otherwise).

Two things, both safe to delete at any time: rendered Markdown keyed by a hash of its text, and a stamp per
output folder recording what the last build of it read and wrote. A build whose inputs and output folder match
its stamp has nothing to do.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .markup import Heading, Rendered, cache_key
from .source import Tree

CODE = Path(__file__).resolve().parent
VERSIONED = ("jinja2", "markdown", "pyyaml", "pagefind-bin", "cbor2", "nh3")
Entry = tuple[str, tuple[tuple[int, str, str], ...], tuple[str, ...], bytes]  # html, headings, dropped, seal


def _replace(target: Path, data: bytes) -> None:
    """Write a file whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)


def secret() -> bytes:
    """This user's key for sealing cache entries, kept outside every project (made on first use): a cache folder
    committed to a repository, or edited by hand, was not sealed with it, so nothing in it is used."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "equality-portal"
    key = home / "cache-key"
    try:
        if not key.is_file() or key.stat().st_size < 32:
            _replace(key, os.urandom(32))
            key.chmod(0o600)
        return key.read_bytes()
    except OSError:
        return os.urandom(32)  # nowhere to keep it: entries written now are not trusted by later builds


def _seal(key: bytes, html: str, headings: tuple, dropped: tuple[str, ...], secret_key: bytes) -> bytes:
    message = json.dumps([key.hex(), html, headings, dropped], ensure_ascii=False).encode()  # marshal's is not canonical
    return hmac.new(secret_key, message, hashlib.sha256).digest()


class MarkdownCache:
    """Rendered Markdown in one file, keyed by a hash of the text, of the code that renders and sanitises it and of
    the libraries' versions. Only what the last build used is kept, so the file never outgrows the content. Each
    entry is sealed with this user's secret key (`secret`): an entry whose seal does not match its key and content
    is ignored, and what is used is sanitised again all the same (markup.render_all)."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.file = folder / "markdown.marshal"
        self.read_only = read_only
        self._entries: dict[bytes, Entry] | None = None
        self._keys: frozenset[bytes] = frozenset()
        self._secret = secret()

    def _load(self) -> dict[bytes, Entry]:
        if self._entries is None:
            try:
                entries = marshal.loads(self.file.read_bytes())
            except (OSError, EOFError, ValueError, TypeError):
                entries = {}
            self._entries = {key: entry for key, entry in entries.items() if self._sealed(key, entry)} \
                if isinstance(entries, dict) else {}
            self._keys = frozenset(self._entries)
        return self._entries

    def _sealed(self, key: object, entry: object) -> bool:
        """True if `entry` is a well-formed entry that this user's key sealed under `key`."""
        if not (isinstance(key, bytes) and isinstance(entry, tuple) and len(entry) == 4):
            return False
        html, headings, dropped, seal = entry
        try:
            expected = _seal(key, html, headings, dropped, self._secret)
        except (TypeError, ValueError):  # something JSON cannot write, so not ours
            return False
        return isinstance(seal, bytes) and hmac.compare_digest(seal, expected) and isinstance(html, str)

    def lookup(self, texts: list[str]) -> dict[str, Rendered]:
        """The cached rendering of each text that has one."""
        entries = self._load()
        found = {}
        for text in texts:
            entry = entries.get(cache_key(text))
            if entry is not None:
                found[text] = Rendered(entry[0], tuple(Heading(*h) for h in entry[1]), entry[2])
        return found

    def store(self, rendered: dict[str, Rendered]) -> None:
        """Keep exactly these renderings; the file is rewritten only if that changes it."""
        entries = {}
        for text, r in rendered.items():
            key = cache_key(text)
            html, headings = str(r.html), tuple((h.level, h.id, h.text) for h in r.headings)
            entries[key] = (html, headings, r.dropped, _seal(key, html, headings, r.dropped, self._secret))
        self._load()
        if frozenset(entries) != self._keys and not self.read_only:
            _replace(self.file, marshal.dumps(entries))
            self._entries, self._keys = entries, frozenset(entries)


@dataclass(frozen=True)
class Stamp:
    """The record of the last build into one output folder: a digest of its inputs and of the folder it left."""

    file: Path
    out: Path

    @classmethod
    def for_output(cls, folder: Path, out: Path) -> Stamp:
        """The stamp for an output folder, named by a hash of its absolute path."""
        name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        return cls(folder / "builds" / f"{name}.json", out.resolve())

    def unchanged(self, inputs: str) -> dict | None:
        """The summary the last build recorded, if it read these inputs and its output is untouched since."""
        try:
            recorded = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if recorded.get("inputs") != inputs or recorded.get("output") != output_digest(self.out):
            return None
        return recorded.get("summary")

    def record(self, inputs: str, summary: dict) -> None:
        """Remember a successful build."""
        data = {"inputs": inputs, "output": output_digest(self.out), "summary": summary}
        _replace(self.file, json.dumps(data, sort_keys=True).encode())


def inputs_digest(tree: Tree, folders: list[Path], options: object) -> str:
    """A hash of everything a build reads: content, file dates, templates, static files, this package's code,
    the options and the versions of Python and of the libraries that shape the output."""
    digest = hashlib.sha256(repr(options).encode())
    digest.update(sys.version.encode())
    for name in VERSIONED:
        digest.update(f"{name}={_version(name)}".encode())
    sources = [source for source in (tree.settings, tree.synonyms) if source]
    sources += [source for folder in sorted(tree.folders) for source in tree.folders[folder]]
    for source in sources:
        digest.update(b"\0%s\0%d\0" % (source.path.encode(), len(source.data)) + source.data)
    digest.update(json.dumps([tree.dates, [str(problem) for problem in tree.unread]], sort_keys=True).encode())
    for folder in [*folders, CODE]:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            data = path.read_bytes()
            digest.update(b"\0%s\0%d\0" % (str(path).encode(), len(data)) + data)
    return digest.hexdigest()


def output_digest(out: Path) -> str | None:
    """A hash of every file's name, size and modification time below `out`; None if there is no such folder.

    Folder by folder, as os.walk goes (files by name, then each folder by name; links to folders are not followed),
    but with the paths built as it goes: os.walk with os.path.relpath took three times as long, 0.3 s after every
    build of 4,000 case studies."""
    if not out.is_dir():
        return None
    digest = hashlib.sha256()

    def walk(folder: str, prefix: str) -> None:
        files, folders = [], []
        for entry in os.scandir(folder):
            if not entry.is_dir():
                files.append(entry)
            elif not entry.is_symlink():
                folders.append(entry)
        lines = []
        for entry in sorted(files, key=lambda entry: entry.name):
            info = entry.stat()
            lines.append(f"{prefix}{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\n")
        digest.update("".join(lines).encode())
        for entry in sorted(folders, key=lambda entry: entry.name):
            walk(entry.path, f"{prefix}{entry.name}/")

    walk(str(out), "")
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


class MemoryCache:
    """Rendered Markdown kept in memory by the dev server between its rebuilds: exactly what the last one used."""

    def __init__(self) -> None:
        self.entries: dict[str, Rendered] = {}

    def lookup(self, texts: list[str]) -> dict[str, Rendered]:
        """The kept rendering of each text that has one."""
        return {text: self.entries[text] for text in texts if text in self.entries}

    def store(self, rendered: dict[str, Rendered]) -> None:
        """Keep exactly these renderings."""
        self.entries = dict(rendered)
