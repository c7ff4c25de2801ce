"""A quick renderer for plain Markdown: the headings, paragraphs, flat lists and simple tables that almost all
content is written in, giving exactly what Python-Markdown (with this project's extensions) gives.

Anything else, or anything it is unsure of, returns None and is rendered by Python-Markdown itself: indented
lines, nested lists, block quotes, code, rules, setext headings, reference links, images, HTML, entities,
underscores, backslashes, emphasis other than a plain `*word*` or `**words**`, links other than `[text](target)`
to a safe target. tests/test_plain.py checks the output against Python-Markdown's on real content, on the
benchmark's corpus and on thousands of generated documents full of edge cases.
"""
from __future__ import annotations

import html
import re
from typing import Callable

from markdown.extensions.toc import slugify, strip_tags, unique

Headings = list[tuple[int, str, str]]  # level, id and text of each level 2 and 3 heading, as Python-Markdown's toc

HEADING = re.compile(r"(#{1,6}) ([^#\s](?:[^#]*[^#\s])?)")
BULLET = re.compile(r"[-*+] (?=\S)")
NUMBER = re.compile(r"(\d+)\. (?=\S)")
SEPARATOR_CELL = re.compile(r" *:?-+:? *")
# A line that starts some other kind of block, or ends one (a setext underline or a rule), wherever it appears.
OTHER_BLOCK = re.compile(r"[#>|=]|[-*+] |\d+\. |[-*_ ]+$|\[[^\]]*\]:")
# Characters at which some inline pattern other than plain emphasis and links could begin, or whose meaning
# depends on context this renderer does not follow, and characters Python-Markdown replaces before parsing.
UNSURE_CHARACTERS = "`\\<_!\r\t\x02\x03"
ENTITY = re.compile(r"&#?\w+;")
# White space other than the space and the line feed: Python-Markdown strips it (str.strip) and reads it as space
# in its patterns (\s), where this renderer would keep it as text; but a no-break space between two words, common in
# text pasted from PDFs, is read alike by both.
ODD_SPACE = re.compile(r"[^\S \n]")
WORD_SPACE = re.compile(r"(?<=\w)\u00a0(?=\w)")
INLINE = re.compile(r"\*\*([^*\s](?:[^*]*[^*\s])?)\*\*(?!\*)|(?<!\*)\*([^*\s](?:[^*]*[^*\s])?)\*(?!\*)"
                    r"|\[([^\[\]*]+)\]\(([A-Za-z0-9/.:#?=%~+,;@-]+)\)")


class Unsure(Exception):
    """The text needs Python-Markdown."""


def render(text: str, safe_url: Callable[[str], bool]) -> tuple[str, Headings] | None:
    """Render `text` as Python-Markdown would, or return None if it is not plain enough to be sure. Links whose
    target `safe_url` refuses are left to Python-Markdown too."""
    if (any(character in text for character in UNSURE_CHARACTERS) or "***" in text or " \n" in text
            or text.endswith(" ") or "&" in text and ENTITY.search(text)
            or ODD_SPACE.search(WORD_SPACE.sub("", text) if "\u00a0" in text else text)):
        return None
    targets: list[str] = []
    try:
        rendered = _render(text, targets)
    except Unsure:
        return None
    return rendered if all(safe_url(target) for target in targets) else None


def _render(text: str, targets: list[str]) -> tuple[str, Headings]:
    """The whole document; every link target is added to `targets`."""
    out: list[str] = []
    headings: Headings = []
    used: set[str] = set()
    counters: dict[str, int] = {}
    previous = ""
    for block in _blocks(text):
        first = block[0]
        if first.startswith("#"):
            level, inner = _heading(block, targets)
            name = strip_tags(inner)
            slug = unique(slugify(html.unescape(name), "-"), used, counters)
            out.append(f'<h{level} id="{slug}">{inner}</h{level}>')
            if 2 <= level <= 3:
                headings.append((level, slug, html.unescape(name)))
            previous = "h"
        elif first.startswith("|"):
            out.append(_table(block, targets))
            previous = "table"
        elif BULLET.match(first) or NUMBER.match(first):
            kind, start = ("ul", None) if BULLET.match(first) else ("ol", NUMBER.match(first).group(1))  # type: ignore[union-attr]
            if previous == kind:
                raise Unsure  # a list continued after a blank line becomes a loose list
            out.append(_list(block, kind, start, targets))
            previous = kind
        else:
            for line in block:
                if OTHER_BLOCK.match(line):
                    raise Unsure
            out.append(f"<p>{_inline(chr(10).join(block), targets)}</p>")
            previous = "p"
    return "\n".join(out), headings


def _blocks(text: str) -> list[list[str]]:
    """The text's blocks, as lists of lines; a line that starts with a space (indented code, a nested list or a
    line of spaces) is not plain."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if not line:
            if current:
                blocks.append(current)
                current = []
            continue
        if line[0] == " ":
            raise Unsure
        if "|" in line and not line.startswith("|"):
            raise Unsure  # perhaps a table without its outer pipes
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _heading(block: list[str], targets: list[str]) -> tuple[int, str]:
    match = HEADING.fullmatch(block[0])
    if len(block) != 1 or match is None or "*" in match.group(2) or "[" in match.group(2):
        raise Unsure
    return len(match.group(1)), _inline(match.group(2), targets)


def _list(block: list[str], kind: str, start: str | None, targets: list[str]) -> str:
    marker = BULLET if kind == "ul" else NUMBER
    items = []
    for line in block:
        match = marker.match(line)
        if match is None or OTHER_BLOCK.match(line, match.end()):
            raise Unsure  # a lazy continuation line, or an item that starts another block
        items.append(f"<li>{_inline(line[match.end():], targets)}</li>")
    opening = f'<ol start="{start}">' if kind == "ol" and start != "1" else f"<{kind}>"
    return "\n".join([opening, *items, f"</{kind}>"])


def _cells(line: str) -> list[str]:
    if not line.endswith("|") or len(line) < 2:
        raise Unsure
    return [cell.strip(" ") for cell in line[1:-1].split("|")]


def _table(block: list[str], targets: list[str]) -> str:
    if len(block) < 2:
        raise Unsure
    header, separator = _cells(block[0]), _cells(block[1])
    if len(header) < 2 or len(separator) != len(header) or not all(SEPARATOR_CELL.fullmatch(c) for c in separator):
        raise Unsure
    styles = [_align(cell) for cell in separator]
    rows = ["<table>", "<thead>", _row(header, "th", styles, targets), "</thead>", "<tbody>"]
    body = block[2:]
    if not body:
        raise Unsure
    rows += [_row(_cells(line), "td", styles, targets) for line in body]
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)


def _align(cell: str) -> str:
    cell = cell.strip(" ")
    if cell.startswith(":") and cell.endswith(":"):
        return ' style="text-align: center;"'
    if cell.startswith(":"):
        return ' style="text-align: left;"'
    if cell.endswith(":"):
        return ' style="text-align: right;"'
    return ""


def _row(cells: list[str], tag: str, styles: list[str], targets: list[str]) -> str:
    cells = (cells + [""] * len(styles))[: len(styles)]
    parts = ["<tr>"]
    parts += [f"<{tag}{style}>{_inline(cell, targets)}</{tag}>" for cell, style in zip(cells, styles)]
    parts.append("</tr>")
    return "\n".join(parts)


def _inline(text: str, targets: list[str]) -> str:
    """Inline Markdown: plain `**strong**`, `*emphasis*` and `[links](target)`; anything else is Unsure (`render`
    has already declined text with any other inline mark-up)."""
    if "*" not in text and "[" not in text and "]" not in text:
        return _escape(text)
    out = []
    position = 0
    for match in INLINE.finditer(text):
        out.append(_plain(text[position:match.start()]))
        strong, em, label, target = match.groups()
        if strong is not None:
            out.append(f"<strong>{_plain(strong)}</strong>")
        elif em is not None:
            out.append(f"<em>{_plain(em)}</em>")
        else:
            if label.strip() != label:
                raise Unsure
            targets.append(target)
            out.append(f'<a href="{target}">{_plain(label)}</a>')
        position = match.end()
    out.append(_plain(text[position:]))
    return "".join(out)


def _plain(text: str) -> str:
    if "*" in text or "[" in text or "]" in text:
        raise Unsure
    return _escape(text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
