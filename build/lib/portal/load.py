"""Load and validate the content tree, then link it into the model; every problem is collected first."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import AbstractSet, Any, Callable, TypeVar

from . import frontmatter, limits, markup, parallel, schema
from .frontmatter import Document
from .model import Action, Area, CaseStudy, Group, Organisation, Page, ProgressReport, Settings, Site, SourceDocument
from .pages import RESERVED
from .problems import ContentError, Problem
from .source import Source, Tree

T = TypeVar("T")
CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\r]")  # all but tab and line feed (CR LF is read as LF)
CONTROL_NAMES = {"\x00": "a null character", "\x0c": "a form feed", "\x1b": "an escape character",
                 "\r": "a carriage return without a line feed", "\x0b": "a vertical tab", "\x08": "a backspace"}
SLUG = re.compile(schema.SLUG)
CASE_STUDY_FILE = re.compile(r"^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)$")
REQUIRED_FOLDERS = ("areas", "actions", "casestudies", "organisations", "sources")
PARALLEL_FROM = 200  # files to parse; below this, starting worker processes costs more than it saves


Markdown = Callable[[list[str]], dict[str, markup.Rendered]]
Key = tuple[str, bytes, str]


@dataclass
class Memo:
    """What `load` worked out for each file, by its path, bytes and folder: kept by the dev server between calls
    so that only the files that changed are parsed and made into records again."""

    parsed: dict[Key, tuple[Document | None, list[Problem]]] = field(default_factory=dict)
    made: dict[tuple[Key, str | None], tuple[Any, list[Problem]]] = field(default_factory=dict)
    # The last good load: the settings and synonyms, the records by file, and the site.
    last: tuple[tuple[Settings, Any], dict[str, Any], Site] | None = None

    def keep_only(self, live: set[Key]) -> None:
        """Forget the files that are gone or have changed."""
        self.parsed = {key: value for key, value in self.parsed.items() if key in live}
        self.made = {key: value for key, value in self.made.items() if key[0] in live}


def load(tree: Tree, markdown: Markdown = markup.render_all, memo: Memo | None = None) -> Site:
    """Validate everything and return the linked model, or raise ContentError listing every problem.

    `markdown` renders the bodies (all at once, so it may use a cache and every core); `memo` remembers each
    file's parse and record between calls, so that the dev server works again only on what changed."""
    problems: list[Problem] = []
    settings = _load_settings(tree, problems)
    synonyms = _load_synonyms(tree, problems)
    memo = memo or Memo()
    memo.keep_only({(s.path, s.data, c.folder) for c in schema.CONTENT_TYPES for s in tree.files(c.folder)})
    found = {ctype.folder: _parse_folder(tree, ctype, problems, memo) for ctype in schema.CONTENT_TYPES}
    rendered = markdown([doc.body for docs in found.values() for _source, doc in docs])
    docs = {source.path: doc for pairs in found.values() for source, doc in pairs}

    def records(ctype: schema.ContentType, make: Callable[..., T | None]) -> list[T]:
        made = []
        for source, doc in found[ctype.folder]:
            key = ((source.path, source.data, ctype.folder), tree.dates.get(source.path))
            if key not in memo.made:
                body = rendered[doc.body]
                more = markup.link_problems(source.path, doc.body, doc.body_line, body.dropped)
                memo.made[key] = (make(source, doc, body, tree, more), more)
            record, more = memo.made[key]
            problems.extend(more)
            if record is not None:
                made.append(record)
        return made

    areas = records(schema.AREA, _area)
    groups = records(schema.GROUP, _group)
    actions = records(schema.ACTION, _action)
    studies = records(schema.CASE_STUDY, _casestudy)
    pages = records(schema.PAGE, _page)
    progress = records(schema.PROGRESS, _progress)
    organisations = records(schema.ORGANISATION, _organisation)
    documents = records(schema.SOURCE, _document)
    problems += tree.unread
    for folder in REQUIRED_FOLDERS:
        if not tree.files(folder):
            problems.append(Problem(f"{tree.root}/{folder}", 0, f"there are no files in {folder}/: "
                                    "add at least one `.md` file"))
    every = [*areas, *groups, *actions, *studies, *pages, *progress, *organisations, *documents]
    site = None if problems or settings is None else _text_only_change(memo, (settings, synonyms), every)
    if site is None:
        problems += _check_links(Links(docs, areas, groups, actions, studies, progress, organisations, documents))
        if problems or settings is None:
            raise ContentError(problems)
        site = Site(settings, tuple(sorted(areas, key=lambda a: (a.order, a.slug))),
                    tuple(sorted(actions, key=lambda a: a.sort_key)),
                    tuple(sorted(studies, key=lambda s: s.number)),
                    tuple(sorted(groups, key=lambda g: (g.order, g.slug))),
                    tuple(sorted(pages, key=lambda p: p.slug)), tuple(sorted(progress, key=lambda p: p.number)),
                    tuple(sorted(organisations, key=lambda o: o.slug)), tuple(sorted(documents, key=lambda d: d.slug)),
                    synonyms)
    memo.last = ((settings, synonyms), {record.source: record for record in every}, site)
    return site


TEXT_ONLY_UP_TO = 50  # changed records; beyond this a new site is built (as quick, and simpler)


def _text_only_change(memo: Memo, settings: tuple[Settings, Any], records: list[Any]) -> Site | None:
    """The last good site with the changed records swapped in, if the same files are there and what changed in
    them is only text made from their Markdown bodies (no front matter, no file name, no date); otherwise None.

    The checks across files and every index depend on nothing else, so they stand as they were."""
    if memo.last is None:
        return None
    last_settings, before, site = memo.last
    if settings != last_settings or len(records) != len(before):
        return None
    swap: dict[Any, Any] = {}
    for record in records:
        old = before.get(record.source)
        if old is record:
            continue
        if (type(old) is not type(record) or len(swap) == TEXT_ONLY_UP_TO
                or replace(record, **{name: getattr(old, name) for name in record.TEXT}) != old):
            return None
        swap[old] = record
    return site.with_records(swap) if swap else site


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def decode(source: Source) -> tuple[str | None, list[Problem]]:
    """The file's text, or a problem naming the line with the first byte that is not UTF-8."""
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = source.data[:error.start].count(b"\n") + 1
        return None, [Problem(source.path, line, f"this file is not UTF-8 text (byte 0x{source.data[error.start]:02x} "
                              "cannot be read): save it as UTF-8, or retype the character on this line")]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    control = CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        name = CONTROL_NAMES.get(control.group(), "a control character")
        return None, [Problem(source.path, line, f"this line holds an invisible character, U+{ord(control.group()):04X} "
                              f"({name}), which would break the site's feed and pages: delete it (retype the line "
                              "if you cannot see where it is)")]
    return text, []


def _parse(source: Source, ctype: schema.ContentType) -> tuple[Document | None, list[Problem]]:
    """A file's document, or None and its problems."""
    text, found = decode(source)
    if text is None:
        return None, found
    doc, found = frontmatter.parse(source.path, text)
    if doc is None:
        return None, found
    found = (schema.validate(doc, ctype) + markup.policy_problems(source.path, doc.body, doc.body_line)
             + limits.markdown_problems(source.path, doc.body, doc.body_line))
    return (None if found else doc), found


def _parse_folder(tree: Tree, ctype: schema.ContentType, problems: list[Problem],
                  memo: Memo) -> list[tuple[Source, Document]]:
    """Each valid file of one folder with its document; the problems of the others go into `problems`. Files the
    memo has not seen are parsed across all cores when there are many."""
    sources = tree.files(ctype.folder)
    new = [source for source in sources if (source.path, source.data, ctype.folder) not in memo.parsed]
    for source, parsed in zip(new, parallel.map_in_order(partial(_parse, ctype=ctype), new, PARALLEL_FROM)):
        memo.parsed[(source.path, source.data, ctype.folder)] = parsed
    good = []
    for source in sources:
        doc, found = memo.parsed[(source.path, source.data, ctype.folder)]
        problems.extend(found)
        if doc is not None:
            good.append((source, doc))
    return good


def _load_settings(tree: Tree, problems: list[Problem]) -> Settings | None:
    if tree.settings is None:
        problems.append(Problem(f"{tree.root}/site.yaml", 0, "the settings file is missing: create it with the "
                                "fields " + ", ".join(f.name for f in schema.SETTINGS.fields)))
        return None
    text, found = decode(tree.settings)
    doc, more = frontmatter.parse_yaml(tree.settings.path, text) if text is not None else (None, [])
    found += more + (schema.validate(doc, schema.SETTINGS) if doc else [])
    if doc is not None and not found:
        found += _contrast_problem(doc)
    problems += found
    if found or doc is None:
        return None
    values = {f.name: doc.meta[f.name] for f in schema.SETTINGS.fields if f.name in doc.meta}
    return Settings(**{**values, "checked": tuple(values.get("checked", ()))})


def _load_synonyms(tree: Tree, problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
    """The groups of words search treats as one, from content/synonyms.yaml if there is one: each line a word
    residents use and the words the evidence uses for the same thing."""
    if tree.synonyms is None:
        return ()
    text, found = decode(tree.synonyms)
    doc, more = frontmatter.parse_yaml(tree.synonyms.path, text) if text is not None else (None, [])
    found += more
    groups = []
    for word, others in (doc.meta.items() if doc is not None else ()):
        others = [others] if isinstance(others, str) else others
        if not (isinstance(word, str) and isinstance(others, list) and others
                and all(isinstance(other, str) and other.strip() for other in others)):
            found.append(Problem(doc.path, doc.line_of(str(word)), "each line must be a word and, in square brackets, "
                                 "the words that mean the same for search, each in double quotes, such as "
                                 '`disabled: ["disability", "disabilities"]`'))
            continue
        groups.append(tuple(dict.fromkeys(" ".join(w.lower().split()) for w in (word, *others))))
    problems += found
    return tuple(groups)


def _contrast_problem(doc: Document) -> list[Problem]:
    ratio = contrast_with_white(doc.meta["colour"])
    if ratio >= 4.5:
        return []
    return [Problem(doc.path, doc.line_of("colour"), f"white text on {doc.meta['colour']} has a contrast of "
                    f"{ratio:.1f}:1, below the 4.5:1 that WCAG requires: choose a darker colour")]


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio between white and a #rrggbb colour."""
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def _named(source: Source, example: str, problems: list[Problem]) -> bool:
    """Check a file's name, which is its page's address: lower-case letters, digits and hyphens."""
    if SLUG.match(source.stem):
        return True
    problems.append(Problem(source.path, 1, f"the file name `{_clip(source.stem)}` is used in the page's address, so it "
                            f"must be lower-case letters, digits and hyphens, such as {example}.md: rename the file"))
    return False


def _area(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
          problems: list[Problem]) -> Area | None:
    if not _named(source, "community-engagement", problems):
        return None
    return Area(source.stem, doc.meta["name"], doc.meta["short_name"], doc.meta["order"], rendered.html, source.path,
                _keywords(doc))


def _group(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
           problems: list[Problem]) -> Group | None:
    if not _named(source, "sexual-orientation", problems):
        return None
    return Group(source.stem, doc.meta["name"], doc.meta["order"], rendered.html, source.path, _keywords(doc))


def _page(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
          problems: list[Problem]) -> Page | None:
    if not _named(source, "accessibility", problems):
        return None
    if source.stem in RESERVED:
        problems.append(Problem(source.path, 1, f"a page called `{source.stem}` would have the address "
                                f"{source.stem}/, which the portal uses for its own pages or files: rename the file, "
                                f"such as {source.stem}-information.md"))
        return None
    return Page(source.stem, doc.meta["title"], doc.meta.get("summary"), rendered.html, rendered.headings, source.path)


def _action(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
            problems: list[Problem]) -> Action | None:
    action_id = doc.meta["id"]
    expected = action_id.replace(".", "-")
    if source.stem != expected:
        problems.append(Problem(source.path, doc.line_of("id"), f"the file for action {action_id} must be called "
                                f"{expected}.md: rename the file or correct the id"))
        return None
    return Action(action_id, doc.meta["area"], tuple(doc.meta.get("links_to", [])), rendered.html,
                  " ".join(doc.body.split()), source.path, _keywords(doc))


def _numbered_file(source: Source, doc: Document, example: str, problems: list[Problem]) -> bool:
    """Check a numbered file's name (`NN-short-name.md`) agrees with its `number`."""
    match = CASE_STUDY_FILE.match(source.stem)
    number = doc.meta["number"]
    if match is None:
        problems.append(Problem(source.path, 1, "the file name must be the number, a hyphen and a short name in "
                                f"lower case, such as {number:02d}-{example}.md: rename the file"))
        return False
    if int(match.group(1)) != number:
        problems.append(Problem(source.path, doc.line_of("number"), f"the file name starts with {match.group(1)} but "
                                f"`number` is {number}: make them agree (rename the file to "
                                f"{number:02d}-{match.group(2)}.md, or correct `number`)"))
    return True


def last_updated(source: Source, doc: Document, tree: Tree) -> str | None:
    """The file's last commit date, or its `updated` field when it has no Git history."""
    updated = doc.meta.get("updated")
    return tree.dates.get(source.path) or (updated.isoformat() if updated else None)


def _casestudy(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
               problems: list[Problem]) -> CaseStudy | None:
    if not _numbered_file(source, doc, "offender-services", problems):
        return None
    meta = doc.meta
    return CaseStudy(meta["number"], source.stem, meta["title"], meta["summary"], meta["organisation"],
                     meta["source"], meta.get("service"), meta.get("listed_as"), tuple(meta["actions"]),
                     tuple(meta.get("groups", [])), meta.get("period"), meta.get("summary_by"),
                     last_updated(source, doc, tree), rendered.html, rendered.headings, source.path, _keywords(doc))


def _keywords(doc: Document) -> tuple[str, ...]:
    return tuple(doc.meta.get("keywords", ()))


def _organisation(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
                  problems: list[Problem]) -> Organisation | None:
    if not _named(source, "havering", problems):
        return None
    meta = doc.meta
    return Organisation(source.stem, meta["name"], meta["short_name"], meta["website"], rendered.html, source.path)


def _document(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
              problems: list[Problem]) -> SourceDocument | None:
    if not _named(source, "havering-equality-case-studies", problems):
        return None
    meta = doc.meta
    matrix = tuple((action, tuple(numbers)) for action, numbers in (meta.get("matrix") or {}).items())
    return SourceDocument(source.stem, meta["title"], meta["publisher"], meta["period"], meta.get("published"),
                          meta.get("address"), meta.get("licence"), matrix, rendered.html, source.path, _keywords(doc))


def _progress(source: Source, doc: Document, rendered: markup.Rendered, tree: Tree,
              problems: list[Problem]) -> ProgressReport | None:
    if not _numbered_file(source, doc, "modern-diverse-workforce", problems):
        return None
    meta = doc.meta
    return ProgressReport(meta["number"], source.stem, meta["title"], meta["summary"], meta["organisation"],
                          meta["source"], tuple(meta["areas"]), meta.get("plan"), meta.get("period"),
                          tuple(meta.get("groups", [])), meta.get("summary_by"), last_updated(source, doc, tree),
                          rendered.html, rendered.headings, source.path, _keywords(doc))


@dataclass(frozen=True)
class Links:
    """The loaded records with their documents, for checks that span files."""

    docs: dict[str, Document]
    areas: list[Area]
    groups: list[Group]
    actions: list[Action]
    studies: list[CaseStudy]
    progress: list[ProgressReport]
    organisations: list[Organisation]
    documents: list[SourceDocument]

    @cached_property
    def group_slugs(self) -> frozenset[str]:
        """The slugs of the equality groups."""
        return frozenset(g.slug for g in self.groups)

    @cached_property
    def group_list(self) -> str:
        """The slugs of the equality groups for a message, in order, or 'none'."""
        return ", ".join(sorted(self.group_slugs)) or "none"

    def at(self, record: Any, key: str) -> tuple[str, int]:
        """The file and line of a record's front-matter key."""
        return record.source, self.docs[record.source].line_of(key)


def _check_links(links: Links) -> list[Problem]:
    """Cross-references between files: unknown ids and duplicates."""
    return (_duplicates(links, links.actions, "id", lambda a: a.id, "action id")
            + _duplicates(links, links.studies, "number", lambda s: str(s.number), "number")
            + _duplicates(links, links.studies, "file name", lambda s: s.slug.split("-", 1)[1], "short name")
            + _duplicates(links, links.progress, "number", lambda p: str(p.number), "number")
            + _duplicates(links, links.areas, "order", lambda a: str(a.order), "order")
            + _check_actions(links) + _check_studies(links) + _check_progress(links) + _check_documents(links))


def _duplicates(links: Links, records: list, field: str, key: Callable[[Any], str], what: str) -> list[Problem]:
    counts = Counter(key(r) for r in records)
    problems = []
    for record in records:
        if counts[key(record)] > 1:
            others = [r.source for r in records if key(r) == key(record) and r is not record]
            problems.append(Problem(*links.at(record, field), f"the {what} {key(record)} is also used by "
                                    f"{', '.join(others)}: give each file its own {what}"))
    return problems


def _unknown(links: Links, record: Any, field: str, values: tuple[str, ...], known: AbstractSet[str], what: str,
             listing: str, folder: str, prefix: str = "") -> list[Problem]:
    """A problem for each value of a record's field that names nothing in `known`, listing what there is."""
    return [Problem(*links.at(record, field), f"{prefix}unknown {what} '{value}' (known: {listing}, "
                    f"see content/{folder}/)") for value in values if value not in known]


def _check_actions(links: Links) -> list[Problem]:
    areas, actions = {a.slug for a in links.areas}, {a.id for a in links.actions}
    area_list, action_range = ", ".join(sorted(areas)), _id_range(links.actions)
    problems = []
    for action in links.actions:
        problems += _unknown(links, action, "area", (action.area,), areas, "area", area_list, "areas")
        problems += _unknown(links, action, "links_to", action.links_to, actions, "action", action_range, "actions",
                             "`links_to` names ")
    return problems


def _check_studies(links: Links) -> list[Problem]:
    actions, action_range = {a.id for a in links.actions}, _id_range(links.actions)
    problems = []
    for study in links.studies:
        problems += _unknown(links, study, "actions", study.actions, actions, "action", action_range, "actions")
        problems += _check_groups(links, study) + _check_provenance(links, study)
    return problems


def _check_progress(links: Links) -> list[Problem]:
    areas = {a.slug for a in links.areas}
    area_list = ", ".join(sorted(areas))
    problems = []
    for report in links.progress:
        problems += _unknown(links, report, "areas", report.areas, areas, "area", area_list, "areas")
        problems += _check_groups(links, report) + _check_provenance(links, report)
    return problems


def _check_provenance(links: Links, record: CaseStudy | ProgressReport) -> list[Problem]:
    """An item's organisation and source document must be files of the content."""
    organisations = {o.slug for o in links.organisations}
    documents = {d.slug for d in links.documents}
    return (_unknown(links, record, "organisation", (record.organisation,), organisations, "organisation",
                     ", ".join(sorted(organisations)) or "none", "organisations")
            + _unknown(links, record, "source", (record.document,), documents, "source document",
                       ", ".join(sorted(documents)) or "none", "sources"))


def _check_documents(links: Links) -> list[Problem]:
    """A document's publisher must be an organisation, and its matrix name known actions and case studies."""
    organisations = {o.slug for o in links.organisations}
    actions, action_range = {a.id for a in links.actions}, _id_range(links.actions)
    problems = []
    for document in links.documents:
        problems += _unknown(links, document, "publisher", (document.publisher,), organisations, "organisation",
                             ", ".join(sorted(organisations)) or "none", "organisations")
        problems += _unknown(links, document, "matrix", tuple(action for action, _ in document.matrix), actions,
                             "action", action_range, "actions", "`matrix` names ")
    return problems


def _check_groups(links: Links, record: CaseStudy | ProgressReport) -> list[Problem]:
    return _unknown(links, record, "groups", record.groups, links.group_slugs, "equality group",
                    links.group_list, "groups")


def _id_range(actions: list[Action]) -> str:
    ordered = sorted(actions, key=lambda a: a.sort_key)
    return f"{ordered[0].id} to {ordered[-1].id}" if ordered else "none"
