"""Word documents for the importer's tests, made with python-docx: the Havering case studies in the shape of the
published document (a cover, a summary list, the relevance matrix, then a numbered heading and a four-column
table per case study, whose cells hold paragraphs, bullet lists, italics and sub-headings), and small documents of
other shapes.

Cells are written from fragments of the source document's HTML: `<p>`, `<i>`, `<b>`, `<u>` (a sub-heading), and
`<ul>`/`<ol>` lists whose items are typed bullets (•) or italic runs, as the extracted text gives them."""
from __future__ import annotations

import html
import io
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from tests.conftest import PROJECT

SOURCE = PROJECT / "sources" / "havering-equality-case-studies.txt"
HEADER = ("What We Did", "Why we did it", "The Difference it Made", "Relevance")
Content = Union[str, Callable[["CellWriter"], None]]


class CellWriter:
    """Writes paragraphs into a table cell (or a document), using the empty paragraph a new cell starts with."""

    def __init__(self, container: _Cell) -> None:
        self.container = container
        self.first = True
        self.paragraph: Paragraph | None = None

    def new(self, style: str | None = None) -> Paragraph:
        """Start a new paragraph, in a style."""
        paragraph = self.container.paragraphs[0] if self.first else self.container.add_paragraph()
        self.first = False
        if style:
            paragraph.style = style
        self.paragraph = paragraph
        return paragraph

    def text(self, text: str, italic: bool = False, bold: bool = False, underline: bool = False) -> None:
        """Add text to the current paragraph, or to a new one."""
        if self.paragraph is None:
            if not text.strip():
                return
            self.new()
        run = self.paragraph.add_run(text)  # type: ignore[union-attr]
        run.italic, run.bold, run.underline = italic or None, bold or None, underline or None


def write_fragment(writer: CellWriter, fragment: str) -> None:
    """Write a fragment of the source's HTML as paragraphs, lists and sub-headings."""
    tokens = [t for t in re.split(r"(<[^>]+>)", fragment) if t]
    mode, bullets, style = "", False, {"i": False, "b": False, "u": False}
    for index, token in enumerate(tokens):
        tag = re.match(r"<(/?)(\w+)", token)
        if tag is None:
            _text(writer, html.unescape(token), mode, bullets, style)
            continue
        closing, name = tag.group(1) == "/", tag.group(2)
        if name == "p" and not closing:
            mode, writer.paragraph = "", None
        elif name == "p":
            writer.paragraph = None
        elif name in ("ul", "ol") and not closing:
            rest = "".join(tokens[index + 1:]).split("<p>")[0]
            mode, bullets, writer.paragraph = name, "•" in rest, None
        elif name == "i" and not closing and mode and not bullets:
            writer.new("List Bullet" if mode == "ul" else "List Paragraph")
        elif name == "u" and closing:
            writer.paragraph = None
        elif name == "u":
            writer.new("Heading 3")
        if name in style:
            style[name] = not closing


def _text(writer: CellWriter, text: str, mode: str, bullets: bool, style: dict[str, bool]) -> None:
    pieces = text.split("•") if mode and bullets else [text]
    for number, piece in enumerate(pieces):
        if number:
            writer.new("List Bullet" if mode == "ul" else "List Paragraph")
            piece = piece.lstrip()
        if mode and not style["i"] and not number and re.fullmatch(r"[\s\-o]*", piece):
            continue  # the typed "- o" and "o" markers between items
        if mode and writer.paragraph is None:
            writer.new("List Bullet" if mode == "ul" else "List Paragraph")
        writer.text(piece, style["i"], style["b"])


def havering(path: Path) -> Path:
    """The Havering case studies as a Word document in the published document's shape."""
    document = docx.Document()
    document.core_properties.title = "The Case Studies"
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(lines) if re.match(r"^\d+\. \S", line) and "\t" not in line.strip()]
    _preamble(document, lines[:starts[0]])
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        document.add_paragraph(lines[start].strip(), style="Heading 2")
        rows = [line.split("\t") for line in lines[start + 1:end] if "\t" in line]
        rows = [row for row in rows if not all(re.fullmatch(r"-*", cell.strip()) for cell in row)]
        table = document.add_table(rows=0, cols=4)
        table.style = "Table Grid"
        for row in rows:
            cells = table.add_row().cells
            for cell, fragment in zip(cells, row):
                write_fragment(CellWriter(cell), fragment)
    document.save(path)
    return path


def _preamble(document: docx.document.Document, lines: list[str]) -> None:
    """The cover, the summary list and the relevance matrix, as the source gives them."""
    table = None
    for line in (line.strip("\n") for line in lines):
        if "\t" in line:
            table = table or document.add_table(rows=0, cols=3)
            for cell, text in zip(table.add_row().cells, line.split("\t")):
                cell.text = text
            continue
        table = None
        if not line.strip():
            continue
        if line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif not document.paragraphs:
            document.add_paragraph(line, style="Title")
        else:
            document.add_paragraph(line, style="Heading 1")


@dataclass(frozen=True)
class Study:
    """A case study for a small document: its cells, each a fragment of HTML or a function that writes the cell."""

    number: int
    title: str
    what: Content = "<p>We met the Friends groups of every park.</p>"
    why: Content = "<p>The groups asked to be heard.</p>"
    difference: Content = "<p>Twelve groups now meet the council each quarter.</p>"
    relevance: Content = "<p>2.1, 2.2</p>"
    more: tuple[Content, Content, Content, Content] | None = None  # a second row, continuing the first


Hook = Callable[[docx.document.Document], None]


def build(path: Path, studies: list[Study], heading: str = "style", order: tuple[int, ...] = (0, 1, 2, 3),
          split: bool = False, repeat_header: bool = False, before: Hook | None = None,
          after: Hook | None = None) -> Path:
    """A document of case studies: headings in a Heading style ("style"), bold ("bold"), plain ("plain") or
    numbered by Word ("auto"); columns in the given `order` of HEADER; a study's second row (`more`) in a second
    table when `split`; `repeat_header` repeats the header row before it; `before` and `after` add more."""
    document = docx.Document()
    if before:
        before(document)
    for study in studies:
        _heading(document, study, heading)
        table = case_table(document, order)
        _row(table, (study.what, study.why, study.difference, study.relevance), order)
        if study.more:
            if split:
                document.add_paragraph()
                table = case_table(document, order, header=repeat_header)
            elif repeat_header:
                _row(table, HEADER, order)
            _row(table, study.more, order)
    if after:
        after(document)
    document.save(path)
    return path


def _heading(document: docx.document.Document, study: Study, kind: str) -> None:
    if kind == "bold":
        document.add_paragraph().add_run(f"{study.number}. {study.title}").bold = True
    elif kind == "plain":
        document.add_paragraph(f"{study.number}. {study.title}")
    elif kind == "auto":
        paragraph = document.add_paragraph(study.title, style="Heading 2")
        numbering = OxmlElement("w:numPr")
        for name, value in (("w:ilvl", "0"), ("w:numId", "5")):  # numId 5: the template's decimal list
            element = OxmlElement(name)
            element.set(qn("w:val"), value)
            numbering.append(element)
        paragraph._p.get_or_add_pPr().append(numbering)
    else:
        document.add_paragraph(f"{study.number}. {study.title}", style="Heading 2")


def case_table(document: docx.document.Document, order: tuple[int, ...], header: bool = True) -> docx.table.Table:
    """A case study table, with its header row in the given order of HEADER unless `header` is false."""
    table = document.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    if header:
        for cell, index in zip(table.add_row().cells, order):
            cell.text = HEADER[index]
    return table


def _row(table: docx.table.Table, cells: tuple[Content, ...], order: tuple[int, ...]) -> None:
    for cell, index in zip(table.add_row().cells, order):
        content = cells[index]
        writer = CellWriter(cell)
        write_fragment(writer, content) if isinstance(content, str) else content(writer)


def png() -> bytes:
    """A one-pixel PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + \
        chunk(b"IEND", b"")


def image(writer: CellWriter) -> None:
    """A cell holding a sentence and a photograph."""
    writer.text("We planted trees with the Friends groups.")
    writer.new().add_run().add_picture(io.BytesIO(png()))


def link(writer: CellWriter, address: str, words: str) -> None:
    """A cell whose paragraph holds a hyperlink."""
    paragraph = writer.new()
    paragraph.add_run("Read ")
    rel_id = paragraph.part.relate_to(address, RT.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = words
    run.append(text)
    hyperlink.append(run)
    paragraph._p.append(hyperlink)
    paragraph.add_run(".")


def nested_table(writer: CellWriter, rows: list[tuple[str, ...]]) -> None:
    """A cell holding a sentence and a table."""
    writer.new()
    writer.text("The results were as follows.")
    table = writer.container.add_table(rows=0, cols=len(rows[0]))
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    writer.container.add_paragraph()  # Word ends every cell with a paragraph
