"""Open a Word document written by a stranger: refuse, in one sentence, what is not a .docx or would take too much
memory to open (a zip bomb), before python-docx reads any of it."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.document import Document

MAX_FILE_BYTES = 20 * 1024 * 1024  # a report of case studies with photographs is a few MB
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # what all the parts inside it may unpack to, together
MAX_PARTS = 10_000  # files inside the zip; Word writes a few dozen

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc files and of password-protected .docx files
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
SAVE_AS = "open it in Word and save it as a Word Document (.docx), then import that"
OTHER_OFFICE = {"xl/workbook.xml": "an Excel workbook", "ppt/presentation.xml": "a PowerPoint presentation"}


class BadDocument(Exception):
    """A file the importer cannot read, with one sentence saying why and what to do."""


def open_document(path: Path) -> Document:
    """The Word document at `path`, or BadDocument saying in one sentence why it cannot be read."""
    data = _read(path)
    _check_kind(path, data)
    _check_zip(path, data)
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 (python-docx raises many kinds for a damaged file)
        reason = "it is not a Word document" if "content type" in str(error) else "it may be damaged"
        raise BadDocument(f"{path.name} could not be read ({reason}): {SAVE_AS}") from None


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise BadDocument(f"{path} is not a file: pass the path of a Word document (.docx)")
    size = path.stat().st_size
    if size == 0:
        raise BadDocument(f"{path.name} is empty (0 bytes): pass the Word document itself")
    if size > MAX_FILE_BYTES:
        raise BadDocument(f"{path.name} is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB the "
                          "importer reads: remove the photographs from a copy of it and import that")
    try:
        return path.read_bytes()
    except OSError as error:
        raise BadDocument(f"{path.name} cannot be read ({error.strerror})") from None


def _check_kind(path: Path, data: bytes) -> None:
    """Name what the file is when it is not a .docx: a password-protected one, an old .doc, a PDF, RTF."""
    if data.startswith(OLE):
        if ENCRYPTED in data:
            raise BadDocument(f"{path.name} is protected with a password: in Word, remove the password (File, Info, "
                              "Protect Document) and save it, then import it again")
        raise BadDocument(f"{path.name} is an old Word 97-2003 document (.doc) or another older file: {SAVE_AS}")
    if data.startswith(b"%PDF"):
        raise BadDocument(f"{path.name} is a PDF, not a Word document: {SAVE_AS}, and check its text against the PDF")
    if data.startswith(b"{\\rtf"):
        raise BadDocument(f"{path.name} is a Rich Text file (.rtf), not a Word document: {SAVE_AS}")
    if not data.startswith(b"PK"):
        raise BadDocument(f"{path.name} is not a Word document (.docx): {SAVE_AS}")


def _check_zip(path: Path, data: bytes) -> None:
    """Check the zip's directory: what its parts would unpack to, encryption, and that it holds a Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise BadDocument(f"{path.name} could not be read (it may be damaged or incomplete): {SAVE_AS}") from None
    if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise BadDocument(f"{path.name} would unpack to more than {MAX_UNPACKED_BYTES // 2**20} MB or "
                          f"{MAX_PARTS:,} parts, far more than a Word document needs: it is not imported")
    if any(part.flag_bits & 0x1 for part in parts):
        raise BadDocument(f"{path.name} is protected with a password: remove the password in Word, save it, and "
                          "import it again")
    names = {part.filename for part in parts}
    if "word/document.xml" not in names:
        kind = next((what for name, what in OTHER_OFFICE.items() if name in names), "a zip file")
        raise BadDocument(f"{path.name} is {kind}, not a Word document (.docx): import the Word document instead")
