"""Open data: each dataset declared once, with its fields described, and written as JSON and CSV."""
from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from .model import Site

LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """One field of a dataset: its name, what it means and how to read it from a record."""

    name: str
    description: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Dataset:
    """A dataset published as `data/{name}.json` and `data/{name}.csv`."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Site], list[Any]]

    def records(self, site: Site) -> list[dict[str, Any]]:
        """The dataset's rows as dictionaries, in order."""
        return [{c.name: c.value(row) for c in self.columns} for row in self.rows(site)]


def attribution(site: Site, organisation: str) -> str:
    """How to acknowledge one organisation's records: its evidence, as published on this portal."""
    name = site.organisation_by_slug[organisation].name
    return f"Contains evidence from the {name}, via {site.settings.title}"


def _provenance(site: Site) -> tuple[Column, ...]:
    """The columns that say whose an item is, where it comes from and when, and how to acknowledge it."""
    return (
        Column("organisation", "Whose evidence it is: the organisation's name.",
               lambda i: site.organisation_by_slug[i.organisation].name),
        Column("organisation_id", "The organisation's stable id (see organisations).", lambda i: i.organisation),
        Column("source", "The title of the document it is taken from.", lambda i: site.document_by_slug[i.document].title),
        Column("source_id", "The document's stable id (see sources).", lambda i: i.document),
        Column("period", "When the work took place: the item's own period, or else the period its document covers.",
               site.period_of),
        Column("attribution", "How to acknowledge this record if you reuse it.",
               lambda i: attribution(site, i.organisation)),
    )


def datasets(site: Site) -> tuple[Dataset, ...]:
    """The published datasets; the columns close over the site to follow its links."""
    number = Column("number", "The case study's number, its stable id.", lambda s: s.number)
    return (
        Dataset("casestudies", "Case studies", "One row per case study.", (
            number,
            Column("slug", "Its short name, used in its address; stable.", lambda s: s.slug),
            Column("title", "Its title.", lambda s: s.title),
            Column("summary", "One or two sentences from its text.", lambda s: s.summary),
            *_provenance(site),
            Column("service", "The service or team that did the work, where known.", lambda s: s.service),
            Column("url", "Its page, relative to the site's address.", lambda s: s.url),
            Column("actions", "The ids of the actions it evidences.", lambda s: list(s.actions)),
            Column("areas", "The performance areas of those actions.", lambda s: list(site.areas_of(s))),
            Column("groups", "The equality groups it concerns.", lambda s: list(s.groups)),
            Column("updated", "When its page on this portal last changed (YYYY-MM-DD), where known: not when the "
                   "work took place.", lambda s: s.updated),
        ), lambda site: list(site.casestudies)),
        Dataset("actions", "Actions", "One row per framework action.", (
            Column("id", "The action's number in the framework, its stable id.", lambda a: a.id),
            Column("statement", "What the action asks for.", lambda a: a.statement),
            Column("area", "The performance area it belongs to.", lambda a: a.area),
            Column("links_to", "The actions its statement links to.", lambda a: list(a.links_to)),
            Column("url", "Its page, relative to the site's address.", lambda a: a.url),
            Column("casestudies", "The numbers of the case studies that evidence it; empty for an evidence gap.",
                   lambda a: [s.number for s in site.studies_by_action[a.id]]),
        ), lambda site: list(site.actions)),
        Dataset("progress", "Progress reports", "One row per objective of an equality action plan.", (
            Column("number", "The objective's number in its plan.", lambda p: p.number),
            Column("slug", "Its short name, used in its address; stable.", lambda p: p.slug),
            Column("title", "The objective.", lambda p: p.title),
            Column("summary", "One or two sentences from the progress reported.", lambda p: p.summary),
            *_provenance(site),
            Column("plan", "The action plan it reports against.", lambda p: p.plan),
            Column("areas", "The performance areas the objective serves, as the portal's editors matched them.",
                   lambda p: list(p.areas)),
            Column("groups", "The equality groups it concerns.", lambda p: list(p.groups)),
            Column("url", "Its page, relative to the site's address.", lambda p: p.url),
            Column("updated", "When its page on this portal last changed (YYYY-MM-DD), where known: not when the "
                   "work took place.", lambda p: p.updated),
        ), lambda site: list(site.progress)),
        Dataset("organisations", "Organisations", "One row per organisation whose evidence is published.", (
            Column("id", "The organisation's stable id.", lambda o: o.slug),
            Column("name", "Its name.", lambda o: o.name),
            Column("website", "The address of its website.", lambda o: o.website),
            Column("url", "Its page, relative to the site's address.", lambda o: o.url),
        ), lambda site: list(site.organisations)),
        Dataset("sources", "Source documents", "One row per document the evidence is taken from.", (
            Column("id", "The document's stable id.", lambda d: d.slug),
            Column("title", "Its title, as it gives it.", lambda d: d.title),
            Column("publisher", "The id of the organisation that published it.", lambda d: d.publisher),
            Column("period", "The period its evidence covers.", lambda d: d.period),
            Column("published", "When it was published (YYYY, YYYY-MM or YYYY-MM-DD), where known.",
                   lambda d: d.published),
            Column("address", "Where it was published, where known.", lambda d: d.address),
            Column("licence", "The licence it was published under, where it says.", lambda d: d.licence),
            Column("url", "Its page, relative to the site's address.", lambda d: d.url),
        ), lambda site: list(site.documents)),
        Dataset("evidence-map", "Evidence map", "One row per case study and action it evidences.", (
            Column("casestudy", "The case study's number.", lambda pair: pair[0].number),
            Column("action", "The action's id.", lambda pair: pair[1].id),
            Column("area", "The action's performance area.", lambda pair: pair[1].area),
        ), lambda site: [(s, a) for a in site.actions for s in site.studies_by_action[a.id]]),
    )


def files(site: Site) -> dict[str, bytes]:
    """Every dataset as JSON and CSV, keyed by site-relative path."""
    out = {}
    for dataset in datasets(site):
        records = dataset.records(site)
        out[f"data/{dataset.name}.json"] = to_json(records)
        out[f"data/{dataset.name}.csv"] = to_csv(dataset, records)
    return out


_RECORD = json.JSONEncoder(ensure_ascii=False)  # one encoder for every record: json.dumps makes one a call


def to_json(records: list[dict[str, Any]]) -> bytes:
    """A JSON array with one record per line: readable, and written by the json module's C encoder (which an
    indented dump does not use)."""
    lines = ",\n".join(map(_RECORD.encode, records))
    return f"[\n{lines}\n]\n".encode() if records else b"[]\n"


def to_csv(dataset: Dataset, records: list[dict[str, Any]]) -> bytes:
    """CSV for spreadsheets: UTF-8 with a byte order mark, a header row, lists joined with '; '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in dataset.columns])
    for record in records:
        writer.writerow([_cell(record[c.name]) for c in dataset.columns])
    return buffer.getvalue().encode("utf-8-sig")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads a cell starting so as a formula (OWASP)


def _cell(value: Any) -> str:
    """A CSV cell: lists joined, and text that a spreadsheet would run as a formula made plain text with a leading
    apostrophe, as OWASP recommends (the JSON files keep the text exactly)."""
    if value is None:
        return ""
    if isinstance(value, list):
        text = LIST_SEPARATOR.join(str(v) for v in value)
    elif isinstance(value, (int, float)):
        return str(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def feed_id(path: str) -> str:
    """A stable id for a feed entry, from its site-relative path."""
    return uuid.uuid5(uuid.NAMESPACE_URL, path).urn
