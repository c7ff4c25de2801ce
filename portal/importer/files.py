"""The files an import writes, as text: a case study file for each case study found, named and numbered as the
content rules require, with front matter written by portal/scaffold.py, and a source document file when none is
named. Data in, data out: nothing here reads or writes a disk."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, count

from .. import audit, limits, markup, schema
from ..scaffold import PLACEHOLDER_SUMMARY, NewFile, front_matter, quoted, slugify
from . import relevance
from .blocks import CONTROL, Block, Paragraph, clip
from .markdown_text import Emphasis, markdown, spans_of
from .studies import COLUMN_NAMES, Finding, Found

SECTIONS = (("what", "What we did"), ("why", "Why we did it"), ("difference", "The difference it made"))
SUMMARY_CHARS = 300  # a summary of one or two sentences
SENTENCE_WORDS = 5  # fewer words than this is a fragment, not a sentence to show in lists
YEAR = re.compile(r"(?<![\d£$€.,])(19[5-9]\d|20\d\d)(?![\d%]|s\b)")  # not a decade (1960s) nor a sum


@dataclass(frozen=True)
class Provenance:
    """Whose evidence the case studies are and the document they come from (ids of content files)."""

    organisation: str
    source: str


def case_study(study: Found, actions: tuple[str, ...], provenance: Provenance, emphasis: Emphasis,
               taken: dict[str, set[int]]) -> tuple[NewFile | None, list[Finding]]:
    """A case study's file (None if it cannot be written as the portal needs it) and what it found to report;
    `taken` holds the numbers of the files using each short name, and gets this one's."""
    relevant = _text(study.columns["relevance"])
    found = relevance.read(relevant, actions)
    findings = _left_out(study) + _relevance(study, relevant, found, actions)
    sections = [markdown(study.columns[role], emphasis) for role, _ in SECTIONS]
    findings += [Finding(f"{study.where}, {COLUMN_NAMES[role]}", "the column is empty: the section was written with "
                         "nothing under its heading") for (role, _), text in zip(SECTIONS, sections) if not text]
    body = "".join(f"\n## {heading}\n\n{text}\n" if text else f"\n## {heading}\n" for (_, heading), text
                   in zip(SECTIONS, sections))
    problems = limits.markdown_problems("", body, 1) + markup.policy_problems("", body, 1)
    if problems:
        return None, findings + [Finding(study.where, f"it was not imported: {problems[0].message}")]
    title = " ".join(CONTROL.sub("", study.title).split())
    values = {"title": quoted(title), "number": str(study.number),
              "summary": quoted(summary(body, sections) or PLACEHOLDER_SUMMARY),
              "organisation": quoted(provenance.organisation), "source": quoted(provenance.source),
              "actions": "[" + ", ".join(quoted(a) for a in found.actions) + "]"}
    name = _short_name(title, study.number, taken)
    return NewFile(f"casestudies/{study.number:02d}-{name}.md",
                   front_matter(schema.CASE_STUDY, "casestudy", values) + body), findings


def _short_name(title: str, number: int, taken: dict[str, set[int]]) -> str:
    """A short name for the file from the title, one that no file of another number uses."""
    short = slugify(title)
    for name in chain((short, slugify(title, 10), f"{short}-{number}"), (f"{short}-{number}-{n}" for n in count(2))):
        if taken.get(name, {number}) <= {number}:
            taken.setdefault(name, set()).add(number)
            return name
    raise AssertionError("unreachable: count() never ends")


def _text(blocks: tuple[Block, ...]) -> str:
    return " ".join(span.text for span in spans_of(blocks))


def _relevance(study: Found, text: str, found: relevance.Relevance, actions: tuple[str, ...]) -> list[Finding]:
    """What a Relevance cell says that is not an action the content has."""
    where = f"{study.where}, Relevance"
    known = f"the actions are {actions[0]} to {actions[-1]}, see content/actions/" if actions else "there are none"
    findings = [Finding(where, f"action {action} does not exist, so it was left out ({known})")
                for action in found.unknown]
    if not found.actions:
        findings.append(Finding(where, f"“{clip(text)}” names no action this portal knows: the case study was written "
                                f"with `actions: []`; add the ids of the actions it evidences ({known})"))
    elif found.unread:
        findings.append(Finding(where, f"the words “{clip(' '.join(found.unread))}” were not read as actions: check "
                                f"that {', '.join(found.actions[:3])}{'…' if len(found.actions) > 3 else ''} are "
                                "all the actions it means"))
    return findings


def _left_out(study: Found) -> list[Finding]:
    """A finding for each image, text box, footnote and such that a column held."""
    findings = []
    for role, name in COLUMN_NAMES.items():
        for thing in _things(study.columns[role]):
            how = " with a description of what it shows" if thing == "an image" else ""
            findings.append(Finding(f"{study.where}, {name}", f"{thing} was left out: add it to the case study by "
                                    f"hand{how} if it is needed"))
    return findings


def _things(blocks: tuple[Block, ...]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block, Paragraph):
            found += list(block.left_out)
        else:
            for row in block.rows:
                for cell in dict.fromkeys(row):
                    found += _things(cell.blocks)
    return found


def summary(body: str, sections: list[str]) -> str | None:
    """One or two whole sentences of the case study's own text: the first of What we did and of The difference it
    made, as `check --strict` reads them (None if it has no such sentence)."""
    rendered = markup.render(body).html
    firsts = [first for first in (_first_sentence(sections[0]), _first_sentence(sections[2])) if first]
    for candidate in (" ".join(firsts), *firsts):
        if candidate and len(candidate) <= SUMMARY_CHARS and _from_text(candidate, rendered):
            return candidate
    return None


def _first_sentence(section: str) -> str | None:
    for block in audit.plain_text(markup.render(section).html).split("\n"):
        first = audit.SENTENCE_END.split(block)[0]
        if first[-1:] in (".", "!", "?") and len(first.split()) >= SENTENCE_WORDS and len(first) <= SUMMARY_CHARS:
            return first
    return None


def _from_text(summary_text: str, rendered: str) -> bool:
    """Whether `check --strict` takes the summary as whole sentences of the text."""
    return audit.sentence_not_in(summary_text, rendered) is None


def source_file(source_id: str, title: str, publisher: str, texts: list[str], document_name: str) -> NewFile:
    """A source document file for the imported document, with notes asking an editor to check it."""
    years = sorted({int(year) for text in texts for year in YEAR.findall(text)})
    period = (f"{years[0]} to {years[-1]}" if years[0] != years[-1] else str(years[0])) if years else "not known"
    notes = (f"Written by `python build.py import` from {clip(document_name, 60)}: check the title, the publisher "
             "and the period against the document.",
             "The period is the range of years the document mentions." if years else
             "The document mentions no year: write the period its evidence covers.")
    values = {"title": quoted(clip(title, 200)), "publisher": quoted(publisher), "period": quoted(period)}
    return NewFile(f"sources/{source_id}.md", front_matter(schema.SOURCE, "source", values, notes))
