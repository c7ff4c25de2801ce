"""The linked model of the evidence: frozen records and the indexes built once from them."""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
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


def _index(records: tuple[Any, ...], keys: list[str], keys_of: Callable[[Any], tuple[str, ...]]) -> Mapping:
    """Each key's records, in the records' order, in one pass (a record listing a key twice appears once)."""
    found: dict[str, list[Any]] = {key: [] for key in keys}
    for record in records:
        for key in dict.fromkeys(keys_of(record)):
            if key in found:
                found[key].append(record)
    return _freeze(found)


def _freeze(mapping: dict) -> Mapping:
    return MappingProxyType({key: tuple(value) for key, value in mapping.items()})


def _by(records: tuple[Any, ...], key: str) -> Mapping:
    return MappingProxyType({getattr(record, key): record for record in records})


@dataclass(frozen=True)
class Content:
    """The records of the content folder: the settings, and the records of each kind in their order."""

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


@dataclass(frozen=True)
class Indexes:
    """What is worked out once from the records to link them by id: records by id, and the records under each id
    that names them, each list in the records' order."""

    area_by_slug: Mapping[str, Area]
    action_by_id: Mapping[str, Action]
    group_by_slug: Mapping[str, Group]
    organisation_by_slug: Mapping[str, Organisation]
    document_by_slug: Mapping[str, SourceDocument]
    actions_by_area: Mapping[str, tuple[Action, ...]]
    areas_of_study: Mapping[str, tuple[str, ...]]  # a case study's slug: the slugs of its actions' areas, in order
    studies_by_action: Mapping[str, tuple[CaseStudy, ...]]
    studies_by_area: Mapping[str, tuple[CaseStudy, ...]]
    studies_by_group: Mapping[str, tuple[CaseStudy, ...]]
    studies_by_organisation: Mapping[str, tuple[CaseStudy, ...]]
    studies_by_document: Mapping[str, tuple[CaseStudy, ...]]
    progress_by_area: Mapping[str, tuple[ProgressReport, ...]]
    progress_by_group: Mapping[str, tuple[ProgressReport, ...]]
    progress_by_organisation: Mapping[str, tuple[ProgressReport, ...]]
    progress_by_document: Mapping[str, tuple[ProgressReport, ...]]
    linked_from: Mapping[str, tuple[str, ...]]  # an action's id: the ids of the actions that link to it

    @classmethod
    def of(cls, content: Content) -> Indexes:
        """The indexes of some content."""
        action_by_id = _by(content.actions, "id")
        areas, groups = [a.slug for a in content.areas], [g.slug for g in content.groups]
        organisations, documents = [o.slug for o in content.organisations], [d.slug for d in content.documents]

        def areas_in_order(study: CaseStudy) -> tuple[str, ...]:
            wanted = {action_by_id[a].area for a in study.actions if a in action_by_id}
            return tuple(slug for slug in areas if slug in wanted)

        areas_of_study = MappingProxyType({s.slug: areas_in_order(s) for s in content.casestudies})
        studies, progress = content.casestudies, content.progress
        return cls(
            _by(content.areas, "slug"), action_by_id, _by(content.groups, "slug"), _by(content.organisations, "slug"),
            _by(content.documents, "slug"), _index(content.actions, areas, lambda a: (a.area,)), areas_of_study,
            _index(studies, [a.id for a in content.actions], lambda s: s.actions),
            _index(studies, areas, lambda s: areas_of_study[s.slug]), _index(studies, groups, lambda s: s.groups),
            _index(studies, organisations, lambda s: (s.organisation,)), _index(studies, documents, lambda s: (s.document,)),
            _index(progress, areas, lambda p: p.areas), _index(progress, groups, lambda p: p.groups),
            _index(progress, organisations, lambda p: (p.organisation,)), _index(progress, documents, lambda p: (p.document,)),
            _freeze({a.id: [b.id for b in content.actions if a.id in b.links_to] for a in content.actions}))

    def with_records(self, swap: Mapping[Any, Any]) -> Indexes:
        """These indexes with records replaced (`swap` maps an old record to its new one) by records that differ from
        them only in their TEXT fields, so that no key changes: each index holds the new record where it held the old."""
        changed: dict[str, Mapping] = {}
        for old, new in swap.items():
            for name, keys in self._places(old):
                index = changed.get(name, getattr(self, name))
                changed[name] = MappingProxyType({key: (new if value is old else _swapped(value, old, new))
                                                  if key in keys else value for key, value in index.items()})
        return replace(self, **changed)

    def _places(self, record: Any) -> list[tuple[str, frozenset]]:
        """The indexes that hold a record, each with the keys it is held under."""
        if isinstance(record, CaseStudy):
            return [("studies_by_action", frozenset(record.actions)),
                    ("studies_by_area", frozenset(self.areas_of_study[record.slug])),
                    ("studies_by_group", frozenset(record.groups)),
                    ("studies_by_organisation", frozenset([record.organisation])),
                    ("studies_by_document", frozenset([record.document]))]
        if isinstance(record, ProgressReport):
            return [("progress_by_area", frozenset(record.areas)), ("progress_by_group", frozenset(record.groups)),
                    ("progress_by_organisation", frozenset([record.organisation])),
                    ("progress_by_document", frozenset([record.document]))]
        if isinstance(record, Action):
            return [("action_by_id", frozenset([record.id])), ("actions_by_area", frozenset([record.area]))]
        by_slug = {Area: "area_by_slug", Group: "group_by_slug", Organisation: "organisation_by_slug",
                   SourceDocument: "document_by_slug"}
        return [(by_slug[type(record)], frozenset([record.slug]))] if type(record) in by_slug else []


class RelatedStudies:
    """The case studies that share the most actions with each one: computed when first asked for, and, when every
    case study's are wanted (a build), from an index of the studies under each small set of actions."""

    def __init__(self, studies: tuple[CaseStudy, ...], studies_by_action: Mapping[str, tuple[CaseStudy, ...]]) -> None:
        self.studies = studies
        self.studies_by_action = studies_by_action
        self.by_action_set: dict[tuple[str, ...], list[CaseStudy]] | None = None
        self.found: dict[tuple[str, int], tuple[CaseStudy, ...]] = {}

    def of(self, study: CaseStudy, limit: int = 3) -> tuple[CaseStudy, ...]:
        """The `limit` case studies sharing the most actions with this one; ties go to the lower number."""
        key = (study.slug, limit)
        if key not in self.found:
            self.found[key] = tuple(self._rank(study, limit))
        return self.found[key]

    def index_all(self) -> None:
        """Build the index that makes `of` fast for every case study (worth it when rendering them all)."""
        if self.by_action_set is None:
            self.by_action_set = self._subset_index()

    def _rank(self, study: CaseStudy, limit: int) -> list[CaseStudy]:
        """Without the subset index, score every study that shares an action. With it, go down from the studies
        sharing k = all of this one's actions (or as many as the index holds) to those sharing one, until `limit`
        are found.

        A study sharing k or more actions holds a k-subset of this one's, so the studies first found at a level
        share exactly k actions (except at the top, when this study has more actions than the index holds: those
        are scored). Among studies sharing the same number, only the lowest numbers matter, and each list in the
        index is in number order, so only the head of each list is read. The answer is exact."""
        mine = frozenset(study.actions)
        index = self.by_action_set
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
        for study in sorted(self.studies, key=lambda s: s.number):
            mine = sorted(set(study.actions))
            for k in range(1, min(len(mine), SUBSETS_UP_TO) + 1):
                for subset in combinations(mine, k):
                    index.setdefault(subset, []).append(study)
        return index


RECORD_KINDS = {Area: "areas", Action: "actions", CaseStudy: "casestudies", Group: "groups", Page: "pages",
                ProgressReport: "progress", Organisation: "organisations", SourceDocument: "documents"}


@dataclass(frozen=True)
class Site(Content):
    """Everything the portal publishes: the content's records, the indexes that link them (also read as the site's
    own attributes, such as `site.studies_by_action`) and the related-studies ranking."""

    indexes: Indexes | None = field(default=None, repr=False, compare=False)  # worked out if not given
    ranking: RelatedStudies = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.indexes is None:
            object.__setattr__(self, "indexes", Indexes.of(self))
        object.__setattr__(self, "ranking", RelatedStudies(self.casestudies, self.indexes.studies_by_action))

    area_by_slug = property(lambda self: self.indexes.area_by_slug)
    action_by_id = property(lambda self: self.indexes.action_by_id)
    group_by_slug = property(lambda self: self.indexes.group_by_slug)
    organisation_by_slug = property(lambda self: self.indexes.organisation_by_slug)
    document_by_slug = property(lambda self: self.indexes.document_by_slug)
    actions_by_area = property(lambda self: self.indexes.actions_by_area)
    studies_by_action = property(lambda self: self.indexes.studies_by_action)
    studies_by_area = property(lambda self: self.indexes.studies_by_area)
    studies_by_group = property(lambda self: self.indexes.studies_by_group)
    studies_by_organisation = property(lambda self: self.indexes.studies_by_organisation)
    studies_by_document = property(lambda self: self.indexes.studies_by_document)
    progress_by_area = property(lambda self: self.indexes.progress_by_area)
    progress_by_group = property(lambda self: self.indexes.progress_by_group)
    progress_by_organisation = property(lambda self: self.indexes.progress_by_organisation)
    progress_by_document = property(lambda self: self.indexes.progress_by_document)
    linked_from = property(lambda self: self.indexes.linked_from)

    def with_records(self, swap: Mapping[Any, Any]) -> Site:
        """This site with some records replaced (`swap` maps an old record to its new one) by records that differ
        from them only in their TEXT fields, so that no index changes but for the new records in the old places:
        equal to a Site built from the new records, without working out every index again (the dev server's quick
        path after an edit). tests/test_speed.py checks it against a Site built afresh, for every kind of record."""
        kinds: dict[str, tuple] = {}
        for old, new in swap.items():
            kind = RECORD_KINDS[type(old)]
            kinds[kind] = _swapped(kinds.get(kind, getattr(self, kind)), old, new)
        return replace(self, **kinds, indexes=self.indexes.with_records(swap))

    def areas_of(self, study: CaseStudy) -> tuple[str, ...]:
        """The slugs of the areas a case study's actions belong to, in framework order."""
        return self.indexes.areas_of_study[study.slug]

    def actions_of(self, study: CaseStudy, area: str) -> tuple[Action, ...]:
        """The actions in one area that a case study evidences, in order."""
        return tuple(a for a in self.actions_by_area[area] if a.id in study.actions)

    def related(self, study: CaseStudy, limit: int = 3) -> tuple[CaseStudy, ...]:
        """The case studies sharing the most actions with this one (at most `limit`)."""
        return self.ranking.of(study, limit)

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
