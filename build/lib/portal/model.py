"""The linked model of the evidence: frozen records and the indexes built once from them."""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, fields
from itertools import combinations
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping

from .markup import Heading

SUBSETS_UP_TO = 4  # the related-studies index holds each study under every subset of up to this many actions


@dataclass(frozen=True)
class Settings:
    """Site-wide settings from content/site.yaml."""

    title: str
    owner: str
    description: str
    colour: str
    licence: str
    licence_url: str
    contact_email: str
    framework: str = "Equality Framework for Local Government"
    area_label: str = "performance area"
    checked: tuple[str, ...] = ()

    @property
    def areas_label(self) -> str:
        """The plural of `area_label`, capitalised for headings."""
        return (self.area_label + "s").capitalize()


@dataclass(frozen=True)
class Area:
    """A performance area of the framework."""

    TEXT: ClassVar[tuple[str, ...]] = ("description_html",)  # the fields made from the Markdown body
    slug: str
    name: str
    short_name: str
    order: int
    description_html: str
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    @property
    def url(self) -> str:
        """Site-relative URL of the area's page."""
        return f"areas/{self.slug}/"


@dataclass(frozen=True)
class Action:
    """A framework action: its statement and the area it belongs to."""

    TEXT: ClassVar[tuple[str, ...]] = ("statement_html", "statement")
    id: str
    area: str
    links_to: tuple[str, ...]
    statement_html: str
    statement: str
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    @property
    def slug(self) -> str:
        """The id with '-' for '.', as used in URLs and file names."""
        return self.id.replace(".", "-")

    @property
    def url(self) -> str:
        """Site-relative URL of the action's page."""
        return f"actions/{self.slug}/"

    @property
    def sort_key(self) -> tuple[int, ...]:
        """Numeric order: 2.2 before 2.10."""
        return tuple(int(part) for part in self.id.split("."))


@dataclass(frozen=True)
class Group:
    """An equality group: a protected characteristic, or another group a council reports on."""

    TEXT: ClassVar[tuple[str, ...]] = ("description_html",)
    slug: str
    name: str
    order: int
    description_html: str
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    @property
    def url(self) -> str:
        """Site-relative URL of the group's page."""
        return f"groups/{self.slug}/"


@dataclass(frozen=True)
class Organisation:
    """An organisation whose evidence the portal publishes."""

    TEXT: ClassVar[tuple[str, ...]] = ("description_html",)
    slug: str
    name: str
    short_name: str
    website: str
    description_html: str
    source: str

    @property
    def url(self) -> str:
        """Site-relative URL of the organisation's page."""
        return f"organisations/{self.slug}/"


@dataclass(frozen=True)
class SourceDocument:
    """A source document the evidence is taken from: who published it, when, and the period it covers."""

    TEXT: ClassVar[tuple[str, ...]] = ("description_html",)
    slug: str
    title: str
    publisher: str
    period: str
    published: str | None
    address: str | None
    licence: str | None
    matrix: tuple[tuple[str, tuple[int, ...]], ...]  # the document's own summary: action id, case study numbers
    description_html: str
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    @property
    def url(self) -> str:
        """Site-relative URL of the document's page."""
        return f"sources/{self.slug}/"


@dataclass(frozen=True)
class CaseStudy:
    """A case study and the actions it evidences."""

    TEXT: ClassVar[tuple[str, ...]] = ("body_html", "headings")
    number: int
    slug: str
    title: str
    summary: str
    organisation: str  # the slug of an Organisation
    document: str  # the slug of the SourceDocument it comes from
    service: str | None
    listed_as: str | None
    actions: tuple[str, ...]
    groups: tuple[str, ...]
    period: str | None
    summary_by: str | None
    updated: str | None
    body_html: str
    headings: tuple[Heading, ...]
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    def shared_with(self, other: CaseStudy) -> int:
        """How many actions this case study and another both evidence."""
        return len(set(self.actions).intersection(other.actions))

    @property
    def url(self) -> str:
        """Site-relative URL of the case study's page."""
        return f"casestudies/{self.slug}/"


@dataclass(frozen=True)
class ProgressReport:
    """Progress reported against one objective of an equality action plan."""

    TEXT: ClassVar[tuple[str, ...]] = ("body_html", "headings")
    number: int
    slug: str
    title: str
    summary: str
    organisation: str  # the slug of an Organisation
    document: str  # the slug of the SourceDocument it comes from
    areas: tuple[str, ...]
    plan: str | None
    period: str | None
    groups: tuple[str, ...]
    summary_by: str | None
    updated: str | None
    body_html: str
    headings: tuple[Heading, ...]
    source: str
    keywords: tuple[str, ...] = ()  # words search finds it by, not shown

    @property
    def url(self) -> str:
        """Site-relative URL of the report's page."""
        return f"progress/{self.slug}/"


@dataclass(frozen=True)
class Page:
    """A free-standing page such as the accessibility statement."""

    TEXT: ClassVar[tuple[str, ...]] = ("body_html", "headings")
    slug: str
    title: str
    summary: str | None
    body_html: str
    headings: tuple[Heading, ...]
    source: str

    @property
    def url(self) -> str:
        """Site-relative URL of the page."""
        return f"{self.slug}/"


def _swapped(records: Any, old: Any, new: Any) -> Any:
    return tuple(new if record is old else record for record in records) if isinstance(records, tuple) else records


def _index(records: tuple[CaseStudy, ...], keys: list[str], keys_of: Callable[[CaseStudy], tuple[str, ...]]) -> Mapping:
    """Each key's records, in the records' order, in one pass (a record listing a key twice appears once)."""
    found: dict[str, list[CaseStudy]] = {key: [] for key in keys}
    for record in records:
        for key in dict.fromkeys(keys_of(record)):
            if key in found:
                found[key].append(record)
    return _freeze(found)


def _freeze(mapping: dict) -> Mapping:
    return MappingProxyType({key: tuple(value) for key, value in mapping.items()})


@dataclass(frozen=True)
class Site:
    """Everything the portal publishes, linked by id, with its indexes."""

    settings: Settings
    areas: tuple[Area, ...]
    actions: tuple[Action, ...]
    casestudies: tuple[CaseStudy, ...]
    groups: tuple[Group, ...] = ()
    pages: tuple[Page, ...] = ()
    progress: tuple[ProgressReport, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    documents: tuple[SourceDocument, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()  # groups of words search treats as one
    area_by_slug: Mapping[str, Area] = field(init=False, repr=False)
    organisation_by_slug: Mapping[str, Organisation] = field(init=False, repr=False)
    document_by_slug: Mapping[str, SourceDocument] = field(init=False, repr=False)
    studies_by_organisation: Mapping[str, tuple[CaseStudy, ...]] = field(init=False, repr=False)
    studies_by_document: Mapping[str, tuple[CaseStudy, ...]] = field(init=False, repr=False)
    progress_by_organisation: Mapping[str, tuple[ProgressReport, ...]] = field(init=False, repr=False)
    progress_by_document: Mapping[str, tuple[ProgressReport, ...]] = field(init=False, repr=False)
    action_by_id: Mapping[str, Action] = field(init=False, repr=False)
    group_by_slug: Mapping[str, Group] = field(init=False, repr=False)
    actions_by_area: Mapping[str, tuple[Action, ...]] = field(init=False, repr=False)
    studies_by_action: Mapping[str, tuple[CaseStudy, ...]] = field(init=False, repr=False)
    studies_by_area: Mapping[str, tuple[CaseStudy, ...]] = field(init=False, repr=False)
    studies_by_group: Mapping[str, tuple[CaseStudy, ...]] = field(init=False, repr=False)
    progress_by_area: Mapping[str, tuple[ProgressReport, ...]] = field(init=False, repr=False)
    progress_by_group: Mapping[str, tuple[ProgressReport, ...]] = field(init=False, repr=False)
    linked_from: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)
    _areas_of: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)
    _related: dict[str, tuple[CaseStudy, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put("area_by_slug", MappingProxyType({a.slug: a for a in self.areas}))
        put("action_by_id", MappingProxyType({a.id: a for a in self.actions}))
        put("_areas_of", MappingProxyType({s.slug: self._areas_in_order(s) for s in self.casestudies}))
        put("group_by_slug", MappingProxyType({g.slug: g for g in self.groups}))
        put("actions_by_area", _freeze({area.slug: [a for a in self.actions if a.area == area.slug]
                                        for area in self.areas}))
        put("studies_by_action", _index(self.casestudies, [a.id for a in self.actions], lambda s: s.actions))
        put("studies_by_area", _index(self.casestudies, [a.slug for a in self.areas], self.areas_of))
        put("studies_by_group", _index(self.casestudies, [g.slug for g in self.groups], lambda s: s.groups))
        put("progress_by_area", _freeze({a.slug: [p for p in self.progress if a.slug in p.areas] for a in self.areas}))
        put("progress_by_group", _freeze({g.slug: [p for p in self.progress if g.slug in p.groups]
                                          for g in self.groups}))
        put("linked_from", _freeze({a.id: [b.id for b in self.actions if a.id in b.links_to]
                                    for a in self.actions}))
        put("organisation_by_slug", MappingProxyType({o.slug: o for o in self.organisations}))
        put("document_by_slug", MappingProxyType({d.slug: d for d in self.documents}))
        organisations, documents = [o.slug for o in self.organisations], [d.slug for d in self.documents]
        put("studies_by_organisation", _index(self.casestudies, organisations, lambda s: (s.organisation,)))
        put("studies_by_document", _index(self.casestudies, documents, lambda s: (s.document,)))
        put("progress_by_organisation", _index(self.progress, organisations, lambda p: (p.organisation,)))
        put("progress_by_document", _index(self.progress, documents, lambda p: (p.document,)))
        put("_related", {})

    def with_records(self, swap: Mapping[Any, Any]) -> Site:
        """This site with some records replaced (`swap` maps an old record to its new one) by records that differ
        from them only in their TEXT fields, so that no index changes but for the new records in the old places:
        equal to a Site built from the new records, without building every index again (the dev server's quick
        path after an edit). tests/test_speed.py checks it against a Site built afresh, for every kind of record."""
        site = object.__new__(Site)
        site.__dict__.update({f.name: getattr(self, f.name) for f in fields(self)}, _related={})
        for old, new in swap.items():
            for name, keys in self._places(old):
                index = site.__dict__[name]
                if isinstance(index, tuple):
                    site.__dict__[name] = _swapped(index, old, new)
                else:
                    site.__dict__[name] = MappingProxyType(
                        {key: (new if value is old else _swapped(value, old, new)) if key in keys else value
                         for key, value in index.items()})
        return site

    def _places(self, record: Any) -> list[tuple[str, frozenset]]:
        """The fields of the site that hold a record, each with the keys under which it is held (tuples: none)."""
        if isinstance(record, CaseStudy):
            return [("casestudies", frozenset()), ("studies_by_action", frozenset(record.actions)),
                    ("studies_by_area", frozenset(self.areas_of(record))),
                    ("studies_by_group", frozenset(record.groups)),
                    ("studies_by_organisation", frozenset([record.organisation])),
                    ("studies_by_document", frozenset([record.document]))]
        if isinstance(record, ProgressReport):
            return [("progress", frozenset()), ("progress_by_area", frozenset(record.areas)),
                    ("progress_by_group", frozenset(record.groups)),
                    ("progress_by_organisation", frozenset([record.organisation])),
                    ("progress_by_document", frozenset([record.document]))]
        if isinstance(record, Organisation):
            return [("organisations", frozenset()), ("organisation_by_slug", frozenset([record.slug]))]
        if isinstance(record, SourceDocument):
            return [("documents", frozenset()), ("document_by_slug", frozenset([record.slug]))]
        if isinstance(record, Action):
            return [("actions", frozenset()), ("action_by_id", frozenset([record.id])),
                    ("actions_by_area", frozenset([record.area]))]
        if isinstance(record, Area):
            return [("areas", frozenset()), ("area_by_slug", frozenset([record.slug]))]
        if isinstance(record, Group):
            return [("groups", frozenset()), ("group_by_slug", frozenset([record.slug]))]
        return [("pages", frozenset())]

    def _areas_in_order(self, study: CaseStudy) -> tuple[str, ...]:
        wanted = {self.action_by_id[a].area for a in study.actions if a in self.action_by_id}
        return tuple(area.slug for area in self.areas if area.slug in wanted)

    def areas_of(self, study: CaseStudy) -> tuple[str, ...]:
        """The slugs of the areas a case study's actions belong to, in framework order."""
        return self._areas_of[study.slug]

    def actions_of(self, study: CaseStudy, area: str) -> tuple[Action, ...]:
        """The actions in one area that a case study evidences, in order."""
        return tuple(a for a in self.actions_by_area[area] if a.id in study.actions)

    def related(self, study: CaseStudy, limit: int = 3) -> tuple[CaseStudy, ...]:
        """The case studies sharing the most actions with this one (at most three); ties go to the lower number."""
        if study.slug not in self._related:
            self._related[study.slug] = tuple(self._rank_related(study, limit))
        return self._related[study.slug]

    def index_related(self) -> None:
        """Build the index that makes `related` fast for every case study (worth it when rendering them all)."""
        self.__dict__.setdefault("_by_action_set", self._subset_index())

    def _rank_related(self, study: CaseStudy, limit: int) -> list[CaseStudy]:
        """Without the subset index, score every study that shares an action. With it, go down from the studies
        sharing k = all of this one's actions (or as many as the index holds) to those sharing one, until `limit`
        are found.

        A study sharing k or more actions holds a k-subset of this one's, so the studies first found at a level
        share exactly k actions (except at the top, when this study has more actions than the index holds: those
        are scored). Among studies sharing the same number, only the lowest numbers matter, and each list in the
        index is in number order, so only the head of each list is read. The answer is exact."""
        mine = frozenset(study.actions)
        index = self.__dict__.get("_by_action_set")
        if index is None:
            return self._best(study, mine, {o.number: o for a in mine for o in self.studies_by_action.get(a, ())},
                              limit)
        actions = sorted(mine)
        top = min(len(mine), SUBSETS_UP_TO)
        found: list[CaseStudy] = []
        if len(mine) > top:
            found = self._best(study, mine, {o.number: o for subset in combinations(actions, top)
                                             for o in index.get(subset, ())}, limit)
            top -= 1
        seen = {study.number, *(other.number for other in found)}
        for k in range(top, 0, -1):
            if len(found) >= limit:
                break
            wanted = limit - len(found)
            heads: dict[int, CaseStudy] = {}
            for subset in combinations(actions, k):
                taken = 0
                for other in index.get(subset, ()):
                    if taken == wanted:
                        break
                    if other.number not in seen:
                        heads[other.number] = other
                        taken += 1
            fresh = [heads[number] for number in sorted(heads)[:wanted]]
            found += fresh
            seen.update(other.number for other in fresh)
        return found

    @staticmethod
    def _best(study: CaseStudy, mine: frozenset[str], candidates: dict[int, CaseStudy], limit: int) -> list[CaseStudy]:
        candidates.pop(study.number, None)
        scored = ((-len(mine.intersection(other.actions)), number) for number, other in candidates.items())
        return [candidates[number] for _shared, number in heapq.nsmallest(limit, scored)]

    def _subset_index(self) -> dict[tuple[str, ...], list[CaseStudy]]:
        """Every case study under each subset of up to SUBSETS_UP_TO of its actions, in number order."""
        index: dict[tuple[str, ...], list[CaseStudy]] = {}
        for study in sorted(self.casestudies, key=lambda s: s.number):
            mine = sorted(set(study.actions))
            for k in range(1, min(len(mine), SUBSETS_UP_TO) + 1):
                for subset in combinations(mine, k):
                    index.setdefault(subset, []).append(study)
        return index

    def period_of(self, item: CaseStudy | ProgressReport) -> str:
        """When an item's evidence dates from: its own period if its text gives one, or its document's."""
        return item.period or self.document_by_slug[item.document].period

    def disagreements(self, document: SourceDocument) -> tuple[tuple[Action, tuple[int, ...], tuple[int, ...]], ...]:
        """Where a document's own summary matrix and the case studies taken from it disagree: each action, the
        case studies the matrix gives it and those whose own text does, in action order."""
        printed = dict(document.matrix)
        found = []
        for action in self.actions:
            tagged = tuple(s.number for s in self.studies_by_action[action.id] if s.document == document.slug)
            matrix = tuple(sorted(set(printed.get(action.id, ()))))
            if document.matrix and matrix != tagged:
                found.append((action, matrix, tagged))
        return tuple(found)

    def gaps(self) -> tuple[Action, ...]:
        """Actions that no case study evidences."""
        return tuple(a for a in self.actions if not self.studies_by_action[a.id])
