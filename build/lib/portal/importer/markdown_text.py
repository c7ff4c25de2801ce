"""A table cell's blocks as Markdown the portal accepts: paragraphs, sub-headings, bullet and numbered lists,
emphasis, links and tables, with every character of the document's text escaped so that none of it is read as
Markdown or HTML (a `<b>` typed in the document stays text)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import Iterable

from .blocks import CONTROL, Block, Paragraph, Span, Table, all_text

BULLETS = "•◦▪●·‣"  # characters typed at the start of a paragraph to make it look like a list item
SPECIAL = re.compile(r"([\\`*_\[\]|])")  # characters Markdown reads anywhere in a line
ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
LINE_START = re.compile(r"^(?:([#>+-])|(\d+)\.(?=\s|$))")  # read as a heading, quote, list item or rule at the start
SUBHEADING_CHARS = 120  # a short paragraph wholly underlined (or bold) is a sub-heading
MAX_LEVEL = 5  # lists inside lists: the portal allows 8


@dataclass(frozen=True)
class Emphasis:
    """Which formatting is emphasis: italic or bold covering most of the case studies' text is the document's style,
    not emphasis, and is not written."""

    italic: bool = True
    bold: bool = True


def emphasis_of(spans: Iterable[Span]) -> Emphasis:
    """What counts as emphasis, from the spans of all the case studies' text."""
    total = italic = bold = 0
    for span in spans:
        size = len(span.text.strip())
        total, italic, bold = total + size, italic + size * span.italic, bold + size * span.bold
    return Emphasis(italic * 2 <= total, bold * 2 <= total)


def spans_of(blocks: Iterable[Block]) -> Iterable[Span]:
    """Every span of some blocks, tables included."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield from block.spans
        else:
            for row in block.rows:
                for cell in dict.fromkeys(row):
                    yield from spans_of(cell.blocks)


@dataclass
class _List:
    """The list being written: its items and the counter of each level."""

    items: list[str] = field(default_factory=list)
    counters: dict[int, int] = field(default_factory=dict)
    level: int = -1
    kind: str = ""


def markdown(blocks: Iterable[Block], emphasis: Emphasis) -> str:
    """The Markdown of a cell's blocks, one block after another with a blank line between."""
    parts: list[str] = []
    current = _List()
    for block in blocks:
        kind = _item_kind(block)
        if kind and isinstance(block, Paragraph):
            if current.items and block.level == 0 and kind != current.kind:  # another list
                current = _flush(current, parts)
            _item(block, kind, emphasis, current)
            continue
        current = _flush(current, parts)
        parts += [table(block, emphasis)] if isinstance(block, Table) else _paragraphs(block, emphasis)
    _flush(current, parts)
    return "\n\n".join(part for part in parts if part)


def _flush(current: _List, parts: list[str]) -> _List:
    if current.items:
        parts.append("\n".join(current.items))
    return _List()


def _item_kind(block: Block) -> str:
    if not isinstance(block, Paragraph) or block.heading:
        return ""
    return block.list_kind or ("bullet" if block.text.lstrip()[:1] in tuple(BULLETS) else "")


def _item(paragraph: Paragraph, kind: str, emphasis: Emphasis, current: _List) -> None:
    text = inline(_unbulleted(paragraph.spans), emphasis)
    if not text:
        return
    level = min(paragraph.level, current.level + 1, MAX_LEVEL)
    current.counters = {lvl: n for lvl, n in current.counters.items() if lvl <= level}
    current.counters[level] = current.counters.get(level, 0) + 1
    marker = "-" if kind == "bullet" else f"{current.counters[level]}."
    current.items.append(f"{'    ' * level}{marker} {text}")
    current.level, current.kind = level, current.kind or kind


def _unbulleted(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Spans without a bullet typed at their start."""
    for index, span in enumerate(spans):
        stripped = span.text.lstrip()
        if stripped:
            if stripped[0] in BULLETS:
                rest = Span(stripped[1:], span.bold, span.italic, span.underline, span.link)
                return spans[:index] + (rest,) + spans[index + 1:]
            return spans
    return spans


def _paragraphs(paragraph: Paragraph, emphasis: Emphasis) -> list[str]:
    """A paragraph as a sub-heading, or as one Markdown paragraph per line of it."""
    text = " ".join(paragraph.text.split())
    if not text:
        return []
    if paragraph.heading or _subheading(paragraph, emphasis):
        return ["### " + escape(_clean(text)).replace("#", "\\#")]
    return [line for line in (inline(spans, emphasis) for spans in _lines(paragraph.spans)) if line]


def _subheading(paragraph: Paragraph, emphasis: Emphasis) -> bool:
    spans = [span for span in paragraph.spans if span.text.strip()]
    marked = all(span.underline for span in spans) or (emphasis.bold and all(span.bold for span in spans))
    text = paragraph.text.strip()
    return bool(spans) and marked and len(text) <= SUBHEADING_CHARS and text[-1] not in ".,;:"


def _lines(spans: tuple[Span, ...]) -> list[list[Span]]:
    """Spans split at the line breaks inside them."""
    lines: list[list[Span]] = [[]]
    for span in spans:
        for number, piece in enumerate(span.text.split("\n")):
            if number:
                lines.append([])
            lines[-1].append(Span(piece, span.bold, span.italic, span.underline, span.link))
    return lines


def inline(spans: Iterable[Span], emphasis: Emphasis, line_start: bool = True) -> str:
    """Spans as one line of Markdown, with emphasis and links, escaped (at the start of a line too, unless it is
    not at the start of one)."""
    pieces = []
    for (bold, italic, link), group in groupby(spans, key=lambda s: (s.bold and emphasis.bold,
                                                                      s.italic and emphasis.italic, s.link)):
        text = escape(_clean(" ".join("".join(span.text for span in group).split("\n"))))
        pieces.append(_marked(text, bold, italic, link))
    line = re.sub(r"[ \t]+", " ", "".join(pieces)).strip()
    if not line_start:
        return line
    return LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\.", line)


def _marked(text: str, bold: bool, italic: bool, link: str | None) -> str:
    core = text.strip()
    if not core:
        return text
    lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    if link:
        core = f"[{core}]({link})"
    mark = "*" * (italic + 2 * bold)
    return f"{lead}{mark}{core}{mark}{trail}"


def _clean(text: str) -> str:
    return CONTROL.sub("", text.replace("\t", " "))


def escape(text: str) -> str:
    """Text that Markdown shows as it is: no emphasis, link, code, HTML tag or character reference made from it."""
    return ENTITY.sub("&amp;", SPECIAL.sub(r"\\\1", text)).replace("<", "&lt;")


def table(block: Table, emphasis: Emphasis) -> str:
    """A table as a Markdown table, its first row the header; what cells hold is written on one line each."""
    rows = [_cells(row, emphasis) for row in block.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    width = max(map(len, rows))
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = [rows[0], ["---"] * width, *rows[1:]]
    return "\n".join("| " + " | ".join(row) + " |" for row in lines)


def _cells(row: tuple, emphasis: Emphasis) -> list[str]:
    """A row's cells' text, a merged cell's text in its first grid column only."""
    texts, seen = [], set()
    for cell in row:
        texts.append("" if cell.ident in seen else _cell_text(cell.blocks, emphasis))
        seen.add(cell.ident)
    return texts


def _cell_text(blocks: tuple[Block, ...], emphasis: Emphasis) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(inline(block.spans, emphasis, line_start=False))
        else:
            parts.append(escape(_clean(" ".join(all_text((block,))))))
    return " ".join(" ".join(part.split()) for part in parts if part)
