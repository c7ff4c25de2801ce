"""Find the case studies in a document's blocks: a numbered heading (a Heading style, a bold paragraph, or any
numbered paragraph directly followed by the table), then a table whose header row names the four columns in any
order, which may continue over several rows and into the tables that directly follow it. Text before the first
case study (a cover, a summary list, a matrix) is not a case study; anything else that cannot be placed is a
Finding, with where it is."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .blocks import Block, Cell, Paragraph, Table, all_text, clip

COLUMNS = ("what", "why", "difference", "relevance")
COLUMN_NAMES = {"what": "What We Did", "why": "Why we did it", "difference": "The Difference it Made",
                "relevance": "Relevance"}
ROLE_WORDS = (("difference", {"difference"}), ("why", {"why"}), ("relevance", {"relevance", "relevant", "actions"}),
              ("what", {"what"}))  # the first that a header cell's words include names its column
NUMBERED = re.compile(r"(?:case\s+study\s+)?(\d{1,3})\s*[.):–—-]?\s+(\S.*)", re.IGNORECASE | re.DOTALL)
HEADER_WORDS = 8  # a header cell longer than this is text, not a column's name


@dataclass(frozen=True)
class Finding:
    """Something in the document that was not imported as it is, where it is, and what to do."""

    where: str
    message: str


@dataclass(frozen=True)
class Found:
    """A case study as the document gives it: its number, title and the blocks of each column."""

    number: int
    title: str
    columns: dict[str, tuple[Block, ...]]

    @property
    def where(self) -> str:
        """Where it is, for a message."""
        return where(self.number, self.title)


def where(number: int, title: str) -> str:
    """Where a case study is, for a message: its number and the start of its title."""
    return f"case study {number} (“{clip(title, 30)}”)"


@dataclass
class _Open:
    """The case study being read: its heading, its tables' columns so far, and the cells already read."""

    number: int
    title: str
    roles: tuple[str | None, ...] | None = None
    columns: dict[str, list[Block]] = field(default_factory=lambda: {role: [] for role in COLUMNS})
    seen: set[int] = field(default_factory=set)
    outside: list[Paragraph] = field(default_factory=list)
    table_last: bool = False
    reported: bool = False  # its table was reported as one with other columns

    @property
    def where(self) -> str:
        """Where it is, for a message."""
        return where(self.number, self.title)


def find(blocks: tuple[Block, ...]) -> tuple[list[Found], list[Finding]]:
    """The case studies in the document, in order, and what could not be placed."""
    found: list[Found] = []
    findings: list[Finding] = []
    current: _Open | None = None
    after = "the start of the document"
    for index, block in enumerate(blocks):
        if isinstance(block, Table):
            _table(block, current, findings, after)
            continue
        heading = _heading(block, blocks, index, started=bool(found) or current is not None)
        if heading is not None:
            _close(current, found, findings)
            current = _Open(*heading)
        elif current is not None and (block.text.strip() or block.left_out):
            current.table_last = False
            current.outside.append(block)
        after = f"“{clip(block.text, 30)}”" if block.text.strip() else after
    _close(current, found, findings)
    return found, findings


def _heading(paragraph: Paragraph, blocks: tuple[Block, ...], index: int, started: bool) -> tuple[int, str] | None:
    """The number and title of a case study's heading: a numbered paragraph that the case study table directly
    follows, or after the first case study, one that is a heading or bold and followed by any table or none."""
    text = " ".join(paragraph.text.split())
    match = NUMBERED.fullmatch(text)
    if match:
        number, title = int(match.group(1)), match.group(2)
    elif paragraph.number and text and (paragraph.heading or _bold(paragraph)):
        number, title = int(paragraph.number), text
    else:
        return None
    if number < 1:
        return None  # numbers start at 1: a "0." is not a case study
    following = next((b for b in map(blocks.__getitem__, range(index + 1, len(blocks)))
                      if not isinstance(b, Paragraph) or b.text.strip()), None)
    if isinstance(following, Table) and roles(following.rows[0] if following.rows else ()) is not None:
        return number, title
    if started and (paragraph.heading or _bold(paragraph)):
        return number, title
    return None


def _bold(paragraph: Paragraph) -> bool:
    spans = [span for span in paragraph.spans if span.text.strip()]
    return bool(spans) and all(span.bold for span in spans)


def roles(row: tuple[Cell, ...]) -> tuple[str | None, ...] | None:
    """Which column each grid column of a header row is, if it names the four columns and nothing else."""
    found: list[str | None] = []
    for cell in row:
        words = re.findall(r"[a-z]+", " ".join(all_text(cell.blocks)).lower())
        role = next((name for name, wanted in ROLE_WORDS if wanted.intersection(words)), None)
        if (role is None and words) or len(words) > HEADER_WORDS:
            return None
        found.append(role)
    distinct = {(role, cell.ident) for role, cell in zip(found, row) if role}
    if sorted(role for role, _ in distinct) != sorted(COLUMNS):
        return None
    return tuple(found)


def _table(table: Table, current: _Open | None, findings: list[Finding], after: str) -> None:
    """Add a table's rows to the case study being read, or say why they cannot be placed."""
    header = roles(table.rows[0]) if table.rows else None
    if current is None:
        if header is not None:
            findings.append(Finding(f"the case study table after {after}", "it has no numbered heading before it, so "
                                    "it was not imported: give it a heading such as “7. Offender Services” and import "
                                    "it again"))
        return
    continues = (header is None and current.table_last and current.roles is not None
                 and max(map(len, table.rows), default=0) == len(current.roles))
    if header is None and not continues:
        which, what = ("its table", "the case study") if current.roles is None else ("a table after its table",
                                                                                      "that table")
        findings.append(Finding(current.where, f"{which} has the columns {_header_text(table)} rather than "
                                f"{', '.join(COLUMN_NAMES.values())}: {what} was not imported; give the table those "
                                "four columns, or copy its text by hand"))
        current.table_last, current.reported = False, True
        return
    current.roles = header or current.roles
    for row in table.rows[1 if header else 0:]:
        if roles(row) is None:
            _row(row, current)
    current.table_last = True


def _row(row: tuple[Cell, ...], current: _Open) -> None:
    for role, cell in zip(current.roles or (), row):
        if role is not None and cell.ident not in current.seen:
            current.seen.add(cell.ident)
            current.columns[role] += cell.blocks


def _header_text(table: Table) -> str:
    names = [clip(" ".join(all_text(cell.blocks)), 20) for cell in dict.fromkeys(table.rows[0])] if table.rows else []
    return ", ".join(f"“{name}”" for name in names if name) or "no header row"


def _outside(current: _Open, paragraph: Paragraph) -> Finding:
    what = f"the text “{clip(paragraph.text)}”" if paragraph.text.strip() else paragraph.left_out[0]
    return Finding(current.where, f"{what} is outside its table and was not imported: add it to the case study by "
                   "hand if it belongs there")


def _close(current: _Open | None, found: list[Found], findings: list[Finding]) -> None:
    if current is None:
        return
    where = current.where
    if current.roles is None and not current.reported:
        findings.append(Finding(where, "no table with the columns " + ", ".join(COLUMN_NAMES.values()) + " follows "
                                "its heading, so it was not imported"))
    elif current.roles is None:
        return
    elif any(study.number == current.number for study in found):
        findings.append(Finding(where, f"the number {current.number} is used twice in the document, so the second "
                                "was not imported: correct the number in the document and import again"))
    else:
        findings += [_outside(current, paragraph) for paragraph in current.outside]
        found.append(Found(current.number, current.title, {role: tuple(blocks) for role, blocks in
                                                           current.columns.items()}))
