"""`python build.py import FILE.docx`: a Word document of case studies becomes case study files that pass `check`.

The stages, each its own module: `wordfile` opens the document safely, `blocks` reads its body as paragraphs and
tables, `studies` finds the case studies in them, `markdown` writes each column as Markdown, `relevance` reads the
actions a Relevance cell names and `files` makes the files' text. This module is the edge: it reads the content
folder, resolves the organisation and source document, refuses what it must, then writes (or prints) the files
and reports, with where it is in the document, everything it could not place.

Exit status: 0 when everything was imported; 1 when the file cannot be read, holds no case study, or held
something that could not be imported as it is (the rest is written, and each such thing listed); 2 when the
command cannot be carried out as given (an unknown organisation or source, a file that exists, a number in use)."""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document

from ..scaffold import NewFile, slugify
from . import content, files, studies, wordfile
from .blocks import all_text, read_body
from .markdown_text import emphasis_of, spans_of
from .studies import Finding, clip

OK, PROBLEMS, USAGE = 0, 1, 2
WRITTEN = re.compile(r"(casestudies|sources)/[a-z0-9]+(-[a-z0-9]+)*\.md")  # all an import ever writes


class Refused(Exception):
    """The import cannot be carried out as asked: one sentence saying why and what to pass instead."""


@dataclass(frozen=True)
class Request:
    """What the command was asked to do."""

    document: Path
    content: Path
    organisation: str | None = None
    source: str | None = None
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class Plan:
    """What an import would write, how many case studies that is, and what it could not place."""

    files: tuple[NewFile, ...]
    studies: int
    findings: tuple[Finding, ...]


def command(args: argparse.Namespace) -> int:
    """Run the import the command line asks for and return its exit status."""
    return run(Request(args.file, args.content, args.organisation, args.source, args.dry_run, args.force))


def run(request: Request) -> int:
    """Import a Word document into the content folder, printing what it does; return the exit status."""
    known = content.read(request.content)
    try:
        provenance = files.Provenance(organisation(request.organisation, request.source, known),
                                      source_id(request.source, known) or _new_source_id(request.document))
        document = wordfile.open_document(request.document)
    except Refused as error:
        return _fail(str(error), USAGE)
    except wordfile.BadDocument as error:
        return _fail(str(error), PROBLEMS)
    plan = convert(document, request.document.name, known, provenance, new_source=request.source is None)
    if not plan.studies:
        _report(request.document.name, plan.findings)
        return _fail(f"no case studies were found in {request.document.name}: each must be a numbered heading, such "
                     "as “7. Offender Services”, followed by a table whose first row is What We Did, Why we did it, "
                     "The Difference it Made, Relevance", PROBLEMS)
    refusals = _refusals(request, plan.files, known)
    if refusals:
        for refusal in refusals:
            print(f"error: {refusal}", file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return USAGE
    written = _show(plan.files) if request.dry_run else _write(request.content, plan.files, request.force)
    if written is None:
        return USAGE
    _summarise(request, plan)
    _report(request.document.name, plan.findings)
    return PROBLEMS if plan.findings else OK


def convert(document: Document, name: str, known: content.Known, provenance: files.Provenance,
            new_source: bool) -> Plan:
    """The files for a document's case studies (and its source document file, if new), and what it could not
    place. Writes nothing."""
    blocks = read_body(document)
    found, findings = studies.find(blocks)
    emphasis = emphasis_of(span for study in found for role in studies.COLUMNS[:3]
                           for span in spans_of(study.columns[role]))
    taken: dict[str, set[int]] = {}
    for stem, numbers in known.studies.items():
        taken.setdefault(stem.split("-", 1)[-1], set()).update(numbers)
    made: list[NewFile] = []
    for study in found:
        new, more = files.case_study(study, known.actions, provenance, emphasis, taken)
        findings += more
        made += [new] if new else []
    if new_source and made:
        title = (document.core_properties.title or "").strip() or Path(name).stem.replace("-", " ").replace("_", " ")
        made.append(files.source_file(provenance.source, " ".join(title.split()), provenance.organisation,
                                      list(all_text(blocks)), name))
    return Plan(tuple(made), len(found), tuple(findings))


def organisation(wanted: str | None, source: str | None, known: content.Known) -> str:
    """The id of the organisation whose evidence this is: as given (its id, name or short name), else the source
    document's publisher, else the only one there is."""
    listing = ", ".join(f"{o.id} ({o.name})" for o in known.organisations) or "none"
    if wanted:
        match = next((o.id for o in known.organisations
                      if wanted.casefold() in (o.id.casefold(), o.name.casefold(), o.short_name.casefold())), None)
        if match is None:
            raise Refused(f"unknown organisation “{clip(wanted)}” (known: {listing}, see content/organisations/): pass "
                          "one of them by its id or name")
        return match
    publisher = known.sources.get(source or "")
    if publisher in {o.id for o in known.organisations}:
        return publisher  # type: ignore[return-value]
    if len(known.organisations) == 1:
        return known.organisations[0].id
    if not known.organisations:
        raise Refused("there is no organisation in content/organisations/: add a file for the organisation whose "
                      "evidence this is first (see docs/content.md)")
    raise Refused(f"whose evidence is this? pass --organisation with one of: {listing}")


def source_id(wanted: str | None, known: content.Known) -> str | None:
    """The source document named by --source, which must be a file of content/sources/."""
    if wanted is not None and wanted not in known.sources:
        raise Refused(f"unknown source document “{clip(wanted)}” (known: {', '.join(known.sources) or 'none'}, see "
                      "content/sources/): pass one of them, or leave out --source to write a new one for this document")
    return wanted


def _new_source_id(document: Path) -> str:
    return slugify(document.stem, 8)


def _refusals(request: Request, planned: tuple[NewFile, ...], known: content.Known) -> list[str]:
    """Why the files cannot be written as planned: they exist (without --force), they are links, or a case study's
    number is another file's."""
    refusals = []
    for folder in ("casestudies", "sources"):
        path = request.content / folder
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            refusals.append(f"{path} is a link or a file, not a folder: the import writes only into real folders")
    for new in planned:
        target = request.content / new.path
        if target.is_symlink() or (target.exists() and not target.is_file()):
            refusals.append(f"{target} is a link or a folder: the import never writes through one")
        elif target.exists() and not request.force:
            hint = f" (or --source {target.stem} to use it as it is)" if new.path.startswith("sources/") else ""
            refusals.append(f"{target} already exists: pass --force to replace it{hint}")
        refusals += _clashes(new, target, known)
    return refusals


def _clashes(new: NewFile, target: Path, known: content.Known) -> list[str]:
    if not new.path.startswith("casestudies/"):
        return []
    number = int(target.stem.split("-", 1)[0])
    return [f"case study {number} would be written to {target.name}, but {target.parent}/{stem}.md has the number "
            f"{number} already: renumber or remove that file, or change the number in the document"
            for stem, numbers in known.studies.items() if number in numbers and stem != target.stem]


def _show(planned: tuple[NewFile, ...]) -> list[Path]:
    for new in planned:
        print(f"--- {new.path} (would be written) ---\n{new.text}")
    print("Dry run: nothing was written.")
    return []


def _write(folder: Path, planned: tuple[NewFile, ...], force: bool) -> list[Path] | None:
    """Write the files, never through a link; None (after saying why) if one cannot be written."""
    written = []
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_TRUNC if force else os.O_EXCL)
    for new in planned:
        if not WRITTEN.fullmatch(new.path):
            raise AssertionError(f"the import writes only case study and source files, not {new.path}")
        target = folder / new.path
        try:
            target.parent.mkdir(exist_ok=True)
            with os.fdopen(os.open(target, flags, 0o644), "w", encoding="utf-8", newline="\n") as out:
                out.write(new.text)
        except OSError as error:
            done = f" (written before it: {', '.join(map(str, written))})" if written else ""
            print(f"error: {target} cannot be written ({error.strerror}){done}", file=sys.stderr)
            return None
        print(f"Wrote {target}")
        written.append(target)
    return written


def _summarise(request: Request, plan: Plan) -> None:
    count = sum(new.path.startswith("casestudies/") for new in plan.files)
    verb = "would be imported" if request.dry_run else "imported"
    print(f"{count} case {'study' if count == 1 else 'studies'} from {request.document.name} {verb} into "
          f"{request.content / 'casestudies'}.")
    source = next((new.path for new in plan.files if new.path.startswith("sources/")), None)
    if source:
        print(f"A new source document file, {request.content / source}, {'would be' if request.dry_run else 'was'} "
              "written for it: an editor should check its title, publisher and period.")
    where = "" if str(request.content) == "content" else f" --content {request.content}"
    print(f"Next: read each case study against the document, then run `python build.py check --strict{where}`.")


def _report(name: str, findings: tuple[Finding, ...]) -> None:
    for finding in findings:
        print(f"{name}: {finding.where}: {finding.message}", file=sys.stderr)
    if findings:
        print(f"{len(findings)} {'thing' if len(findings) == 1 else 'things'} in {name} could not be imported as "
              f"{'it is' if len(findings) == 1 else 'they are'}: an editor should see to each (listed above).",
              file=sys.stderr)


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status
