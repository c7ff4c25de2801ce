"""What the importer needs to know of the content folder it writes into: the action ids, the organisations, the
source documents and the case studies already there. Read leniently: a file `check` would fault is for `check` to
report, not a reason to refuse an import."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import frontmatter, load, source
from ..load import CASE_STUDY_FILE
from .relevance import sort_key


@dataclass(frozen=True)
class Organisation:
    """An organisation: its id (file name), name and short name."""

    id: str
    name: str
    short_name: str


@dataclass(frozen=True)
class Known:
    """The content the import must fit: action ids in order, organisations, source documents (id: publisher) and
    existing case study files (file name without .md: the numbers its name and front matter give it)."""

    actions: tuple[str, ...]
    organisations: tuple[Organisation, ...]
    sources: dict[str, str]
    studies: dict[str, frozenset[int]]


def read(content: Path) -> Known:
    """Read what the import must fit from the content folder."""
    tree = source.read_tree(content)
    actions = [str(meta.get("id", stem.replace("-", "."))) for stem, meta in _metas(tree, "actions")]
    organisations = tuple(Organisation(stem, str(meta.get("name", stem)), str(meta.get("short_name", stem)))
                          for stem, meta in _metas(tree, "organisations"))
    sources = {stem: str(meta.get("publisher", "")) for stem, meta in _metas(tree, "sources")}
    studies = {stem: _numbers(stem, meta) for stem, meta in _metas(tree, "casestudies")}
    return Known(tuple(sorted(set(actions), key=_order)), organisations, sources, studies)


def _metas(tree: source.Tree, folder: str) -> list[tuple[str, dict]]:
    found = []
    for file in tree.files(folder):
        text, _ = load.decode(file)
        doc, _ = frontmatter.parse(file.path, text or "")
        found.append((file.stem, doc.meta if doc is not None and isinstance(doc.meta, dict) else {}))
    return found


def _numbers(stem: str, meta: dict) -> frozenset[int]:
    match = CASE_STUDY_FILE.match(stem)
    numbers = {int(match.group(1))} if match else set()
    number = meta.get("number")
    return frozenset(numbers | ({number} if isinstance(number, int) and not isinstance(number, bool) else set()))


def _order(action_id: str) -> tuple[int, ...]:
    try:
        return sort_key(action_id)
    except ValueError:
        return (1 << 30,)
