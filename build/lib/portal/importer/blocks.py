"""The body of a Word document as plain data: paragraphs (their text in spans of emphasis, their heading level, list
kind and number) and tables (rows of cells that hold paragraphs and tables).

Read from the document's XML, which python-docx parses without resolving entities; nothing the document points to
is followed: an external link is kept as an address only if it is one the portal allows, and what text cannot hold
(an image, a text box, a footnote, an embedded file) is named in the paragraph's `left_out`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Union

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from .. import urls

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MATH = "http://schemas.openxmlformats.org/officeDocument/2006/math"
MAX_SPAN = 64  # grid columns one cell may cover: a larger gridSpan is a malformed (or hostile) document
MAX_STYLE_CHAIN = 20  # styles based on styles: Word's own go three or four deep
LINK = re.compile(r"(https?://|mailto:)[^\s<>()\[\]\"'`\\]+")  # what a Markdown link target can hold as it is
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")  # not in content, nor messages
QUOTE = 40  # characters of the document a message quotes at most


def clip(text: str, width: int = QUOTE) -> str:
    """Text from the document for a message: on one line, without control characters, at most `width` long."""
    text = " ".join(CONTROL.sub("", text).split())
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def w(tag: str) -> str:
    """A WordprocessingML tag in lxml's notation."""
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Span:
    """A piece of a paragraph's text with one formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    link: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: its spans, heading level (0 if it is not a heading), list kind ("bullet", "number" or "") and
    level, the number Word shows before it if Word numbers it, and what it held that was left out."""

    spans: tuple[Span, ...]
    heading: int = 0
    list_kind: str = ""
    level: int = 0
    number: str = ""
    left_out: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Its text, without formatting."""
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Cell:
    """A table cell: its blocks, and an id shared by every grid column a merged cell covers."""

    blocks: tuple[Block, ...]
    ident: int


@dataclass(frozen=True)
class Table:
    """A table: its rows, each a cell per grid column (a merged cell repeated)."""

    rows: tuple[tuple[Cell, ...], ...]


Block = Union[Paragraph, Table]


@dataclass(frozen=True)
class _Style:
    name: str
    based_on: str | None
    formatting: dict[str, bool]
    outline: int | None
    numbering: tuple[str, int] | None


@dataclass
class _Reader:
    """What reading a body needs from the rest of the document, and Word's running list counters."""

    styles: dict[str, _Style]
    default_style: str | None
    lists: dict[str, dict[int, tuple[str, int]]]  # numId: {level: (format, start)}
    links: dict[str, str]  # relationship id: external address
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    cells: int = 0


def read_body(document: Document) -> tuple[Block, ...]:
    """The blocks of the document's body, in order."""
    reader = _Reader(*_styles(document.styles.element), _lists(document), _links(document))
    return tuple(_blocks(document.element.body, reader))


def all_text(blocks: tuple[Block, ...]) -> Iterator[str]:
    """The text of every paragraph, tables included, in order."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            for row in block.rows:
                for cell in dict.fromkeys(row):
                    yield from all_text(cell.blocks)


def _blocks(parent: etree._Element, reader: _Reader) -> Iterator[Block]:
    for child in parent:
        if child.tag == w("p"):
            yield _paragraph(child, reader)
        elif child.tag == w("tbl"):
            yield _table(child, reader)
        elif child.tag in (w("sdt"), w("sdtContent"), w("customXml")):
            yield from _blocks(child, reader)
        elif child.tag == w("altChunk"):
            yield Paragraph((), left_out=("content inserted from another file",))


def _table(table: etree._Element, reader: _Reader) -> Table:
    rows = []
    for row in table.findall(w("tr")):
        before = _int(row.find(f"{w('trPr')}/{w('gridBefore')}"), 0)
        cells = [_empty(reader)] * min(before, MAX_SPAN)
        for cell in row.findall(w("tc")):
            properties = cell.find(w("tcPr"))
            span = min(max(_int(None if properties is None else properties.find(w("gridSpan")), 1), 1), MAX_SPAN)
            merge = None if properties is None else properties.find(w("vMerge"))
            continued = merge is not None and merge.get(w("val"), "continue") == "continue"
            made = _empty(reader) if continued else _cell(cell, reader)
            cells += [made] * span
        rows.append(tuple(cells))
    return Table(tuple(rows))


def _cell(cell: etree._Element, reader: _Reader) -> Cell:
    reader.cells += 1
    ident = reader.cells
    return Cell(tuple(_blocks(cell, reader)), ident)


def _empty(reader: _Reader) -> Cell:
    reader.cells += 1
    return Cell((), reader.cells)


def _int(element: etree._Element | None, default: int) -> int:
    value = None if element is None else element.get(w("val"))
    return int(value) if value is not None and value.isdecimal() and len(value) < 6 else default


def _paragraph(paragraph: etree._Element, reader: _Reader) -> Paragraph:
    properties = paragraph.find(w("pPr"))
    style = _val(properties, "pStyle") or reader.default_style
    spans: list[Span] = []
    left_out: list[str] = []
    _inline(paragraph, reader, style, None, spans, left_out)
    kind, level, number = _list(properties, style, reader)
    return Paragraph(tuple(spans), _heading(properties, style, reader), kind, level, number, tuple(left_out))


TRANSPARENT = {w(tag) for tag in ("ins", "moveTo", "smartTag", "customXml", "fldSimple", "dir", "bdo", "sdtContent")}


def _inline(parent: etree._Element, reader: _Reader, style: str | None, link: str | None, spans: list[Span],
            left_out: list[str]) -> None:
    """The spans of a paragraph's runs, in order, inside links, insertions and content controls too (deleted text
    and field codes are not text)."""
    for child in parent:
        if child.tag == w("r"):
            _run(child, reader, style, link, spans, left_out)
        elif child.tag == w("hyperlink"):
            _inline(child, reader, style, _link(child, reader, left_out), spans, left_out)
        elif child.tag == w("sdt") or child.tag in TRANSPARENT:
            _inline(child, reader, style, link, spans, left_out)
        elif child.tag in (f"{{{MATH}}}oMath", f"{{{MATH}}}oMathPara"):
            left_out.append("an equation")


def _run(run: etree._Element, reader: _Reader, style: str | None, link: str | None, spans: list[Span],
         left_out: list[str]) -> None:
    text = []
    for child in run:
        if child.tag == w("t"):
            text.append(child.text or "")
        elif child.tag in (w("tab"), w("ptab")):
            text.append("\t")
        elif child.tag == w("br") and child.get(w("type"), "textWrapping") == "textWrapping" or child.tag == w("cr"):
            text.append("\n")
        elif child.tag == w("noBreakHyphen"):
            text.append("-")
        else:
            _object(child, left_out)
    if text:
        bold, italic, underline = (_format(run.find(w("rPr")), style, reader, name) for name in ("b", "i", "u"))
        spans.append(Span("".join(text), bold, italic, underline, link))


OBJECTS = {w("object"): "an embedded object", w("footnoteReference"): "a footnote",
           w("endnoteReference"): "an endnote", w("commentReference"): None}


def _object(element: etree._Element, left_out: list[str]) -> None:
    """Name what a run holds besides text: an image, a text box, a chart, a footnote."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in (w("drawing"), w("pict")) or tag.endswith("}AlternateContent"):
        found = " ".join(str(e.tag) for e in element.iter())
        left_out.append("a text box" if "txbxContent" in found else "a chart" if "chart" in found else "an image")
    elif OBJECTS.get(tag):
        left_out.append(OBJECTS[tag])


def _link(hyperlink: etree._Element, reader: _Reader, left_out: list[str]) -> str | None:
    """A hyperlink's address, if it is to an address the portal allows (a link inside the document is text)."""
    address = reader.links.get(hyperlink.get(f"{{{R}}}id", ""))
    if address is None:
        return None
    if LINK.fullmatch(address) and urls.is_safe(address):
        return address
    left_out.append(f"the link to “{clip(address, 30)}” (the portal allows only https:, http: and mailto: links; its "
                    "words are kept)")
    return None


def _val(properties: etree._Element | None, name: str) -> str | None:
    found = None if properties is None else properties.find(w(name))
    return None if found is None else found.get(w("val"))


def _format(properties: etree._Element | None, style: str | None, reader: _Reader, name: str) -> bool:
    """Whether a run is bold, italic or underlined: its own formatting, else its character style's, else its
    paragraph style's."""
    own = _toggle(properties, name)
    if own is not None:
        return own
    for style_id in (_val(properties, "rStyle"), style):
        for found in _chain(style_id, reader):
            if name in found.formatting:
                return found.formatting[name]
    return False


def _toggle(properties: etree._Element | None, name: str) -> bool | None:
    found = None if properties is None else properties.find(w(name))
    if found is None:
        return None
    value = found.get(w("val"), "true" if name != "u" else "single")
    return value not in ("0", "false", "off", "none")


def _chain(style_id: str | None, reader: _Reader) -> Iterator[_Style]:
    """A style and the styles it is based on."""
    for _ in range(MAX_STYLE_CHAIN):
        style = reader.styles.get(style_id or "")
        if style is None:
            return
        yield style
        style_id = style.based_on


HEADING_NAME = re.compile(r"heading\s*([1-9])", re.IGNORECASE)  # Word keeps its own styles' English names


def _heading(properties: etree._Element | None, style: str | None, reader: _Reader) -> int:
    """The heading level of a paragraph: from its style's name (Heading 1 to 9, Title), else its outline level."""
    for found in _chain(style, reader):
        match = HEADING_NAME.fullmatch(found.name.strip())
        if match:
            return int(match.group(1))
        if found.name.strip().lower() == "title":
            return 1
    outline = _val(properties, "outlineLvl")
    levels = [outline] if outline is not None else [s.outline for s in _chain(style, reader)]
    level = next((int(v) for v in levels if v is not None and str(v).isdecimal()), 9)
    return level + 1 if level < 9 else 0


def _list(properties: etree._Element | None, style: str | None, reader: _Reader) -> tuple[str, int, str]:
    """A paragraph's list kind, level and, for a numbered one, the number Word shows before it."""
    chain = list(_chain(style, reader))
    own = properties.find(w("numPr")) if properties is not None else None
    numbering = _numbering(own) if own is not None else next((s.numbering for s in chain if s.numbering), None)
    name = chain[0].name.lower() if chain else ""
    by_name = "bullet" if name.startswith("list bullet") else "number" if name.startswith("list number") else ""
    if numbering is None or numbering[0] in ("", "0"):
        return by_name, int(name[-1]) - 1 if by_name and name[-1].isdecimal() else 0, ""
    num_id, level = numbering
    number_format, start = reader.lists.get(num_id, {}).get(level, ("bullet" if by_name == "bullet" else "decimal", 1))
    if number_format == "none":
        return "", 0, ""
    if number_format == "bullet":
        return "bullet", level, ""
    return "number", level, _count(reader, num_id, level, start, number_format)


def _numbering(properties: etree._Element) -> tuple[str, int]:
    """The list (numId) and level (ilvl) of numbering properties."""
    return _val(properties, "numId") or "", min(_int(properties.find(w("ilvl")), 0), 8)


def _count(reader: _Reader, num_id: str, level: int, start: int, number_format: str) -> str:
    """Advance Word's counter for a numbered list level (restarting the levels below it) and give its number."""
    key = (num_id, level)
    reader.counters[key] = reader.counters.get(key, start - 1) + 1
    for deeper in [k for k in reader.counters if k[0] == num_id and k[1] > level]:
        del reader.counters[deeper]
    return str(reader.counters[key]) if number_format == "decimal" else ""


def _styles(styles: etree._Element) -> tuple[dict[str, _Style], str | None]:
    """Each style by id, and the default paragraph style."""
    found, default = {}, None
    for style in styles.findall(w("style")):
        style_id = style.get(w("styleId"), "")
        properties, paragraph = style.find(w("rPr")), style.find(w("pPr"))
        formatting = {name: value for name in ("b", "i", "u") if (value := _toggle(properties, name)) is not None}
        numbering = paragraph.find(w("numPr")) if paragraph is not None else None
        num = _numbering(numbering) if numbering is not None else None
        outline = _val(paragraph, "outlineLvl")
        found[style_id] = _Style(_val(style, "name") or style_id, _val(style, "basedOn"), formatting,
                                 int(outline) if outline and outline.isdecimal() else None, num)
        if style.get(w("type")) == "paragraph" and style.get(w("default")) in ("1", "true"):
            default = style_id
    return found, default


def _lists(document: Document) -> dict[str, dict[int, tuple[str, int]]]:
    """For each list (numId), the number format and start of each level."""
    try:
        numbering = document.part.part_related_by(RT.NUMBERING).element
    except KeyError:
        return {}
    abstract = {definition.get(w("abstractNumId")): _levels(definition)
                for definition in numbering.findall(w("abstractNum"))}
    return {num.get(w("numId")): abstract.get(_val(num, "abstractNumId"), {}) for num in numbering.findall(w("num"))}


def _levels(definition: etree._Element) -> dict[int, tuple[str, int]]:
    levels = {}
    for level in definition.findall(w("lvl")):
        ilvl = level.get(w("ilvl"), "0")
        if ilvl.isdecimal() and len(ilvl) < 3:
            levels[int(ilvl)] = (_val(level, "numFmt") or "decimal", _int(level.find(w("start")), 1))
    return levels


def _links(document: Document) -> dict[str, str]:
    """The external addresses the document's relationships name, by relationship id."""
    return {rel_id: rel.target_ref for rel_id, rel in document.part.rels.items() if rel.is_external}
