"""Which pages the site has: every output path declared, with its template and arguments, before any is written."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from . import search
from .model import CaseStudy, Site


@dataclass(frozen=True)
class PageSpec:
    """One HTML page to render: its output path, template, title, breadcrumbs and template arguments."""

    path: str
    template: str
    title: str
    description: str
    crumbs: tuple[tuple[str, str], ...] = ()
    kind: str = ""
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Site-relative URL: the path without its index.html."""
        return self.path.removesuffix("index.html")

    @property
    def indexed(self) -> bool:
        """Whether search indexes the page: only the pages of evidence (SEARCHED), not lists, the home page,
        statements or the evidence packs, which repeat what the case studies say."""
        return self.kind in SEARCHED


SEARCHED = frozenset({"Case study", "Progress report", "Action", "Performance area", "Equality group",
                      "Source document"})
# The first part of the address of every page or file the portal makes in a folder of its own: a page of
# content/pages/ may not take one (tests/test_safety.py checks the list against a built site).
RESERVED = frozenset({"actions", "areas", "assets", "casestudies", "data", "evidence-map", "groups", "organisations",
                      "pagefind", "progress", "search", "sources", "_dev"})
HOME = ("Home", "")
STUDIES = ("Case studies", "casestudies/")
ACTIONS = ("Actions", "actions/")
GROUPS = ("Equality groups", "groups/")
PROGRESS = ("Progress reports", "progress/")
ORGANISATIONS = ("Organisations", "organisations/")
SOURCES = ("Source documents", "sources/")


def plan(site: Site, memo: dict[tuple[int, int, int], PageSpec] | None = None) -> list[PageSpec]:
    """Every HTML page of the site, in a fixed order. With `memo` (kept between calls by the dev server), a case
    study's page is planned again only if it, or the one before or after it, is a different record."""
    owner = site.settings.owner
    areas_label = site.settings.areas_label
    AREAS = (areas_label, "areas/")  # noqa: N806 (a crumb like the others, named by the framework)
    specs = [
        PageSpec("index.html", "home.html", site.settings.title, site.settings.description, kind="Home"),
        PageSpec("casestudies/index.html", "casestudies.html", "Case studies",
                 f"All {len(site.casestudies)} equality case studies from {owner}.", (HOME,), "List"),
        PageSpec("areas/index.html", "areas.html", areas_label,
                 f"The {areas_label.lower()} of the framework, with their actions and evidence.", (HOME,), "List"),
        PageSpec("actions/index.html", "actions.html", "Actions",
                 "Every framework action, with the number of case studies that evidence it.", (HOME,), "List"),
        PageSpec("evidence-map/index.html", "evidence_map.html", "Evidence map",
                 "Which case studies evidence which actions, and where evidence is missing.", (HOME,), "Evidence map"),
    ]
    search_at = len(specs)  # the search page comes here, once the pages it searches are known
    specs.append(PageSpec("404.html", "404.html", "Page not found", "The page you asked for does not exist.", (), ""))
    specs.append(PageSpec("data/index.html", "data.html", "Open data",
                          "The evidence as CSV and JSON files to download, with every field described.", (HOME,), "Page"))
    if site.progress:
        specs.append(PageSpec("progress/index.html", "progress_list.html", "Progress reports",
                              "Progress reported against the objectives of equality action plans.", (HOME,), "List"))
    if site.groups:
        specs.append(PageSpec("groups/index.html", "groups.html", "Equality groups",
                              "The equality groups that the evidence concerns.", (HOME,), "List"))
    specs += _study_pages(site.casestudies, memo)
    specs += [PageSpec(f"{a.url}index.html", "area.html", a.name, text_of(a.description_html), (HOME, AREAS),
                       "Performance area", {"area": a}) for a in site.areas]
    specs += [PageSpec(f"{a.url}index.html", "action.html", f"Action {a.id}", a.statement, (HOME, ACTIONS),
                       "Action", {"action": a}) for a in site.actions]
    specs += [PageSpec(f"{a.url}pack/index.html", "pack.html", f"Evidence pack: {a.name}",
                       f"Everything that evidences {a.name}, on one page to print.", (HOME, AREAS, (a.name, a.url)),
                       "Evidence pack", {"area": a}) for a in site.areas]
    specs += [PageSpec(f"{p.url}index.html", "progress.html", p.title, p.summary, (HOME, PROGRESS),
                       "Progress report", {"report": p}) for p in site.progress]
    specs += [PageSpec(f"{g.url}index.html", "group.html", g.name, text_of(g.description_html), (HOME, GROUPS),
                       "Equality group", {"group": g}) for g in site.groups]
    specs += [PageSpec(f"{p.url}index.html", "page.html", p.title, p.summary or p.title, (HOME,), "Page",
                       {"page": p}) for p in site.pages]
    specs.append(PageSpec("organisations/index.html", "organisations.html", "Organisations",
                          "The organisations whose evidence this portal publishes.", (HOME,), "List"))
    specs += [PageSpec(f"{o.url}index.html", "organisation.html", o.name, f"The evidence of the {o.name}.",
                       (HOME, ORGANISATIONS), "Organisation", {"organisation": o}) for o in site.organisations]
    specs.append(PageSpec("sources/index.html", "sources.html", "Source documents",
                          "The documents the evidence is taken from.", (HOME,), "List"))
    specs += [PageSpec(f"{d.url}index.html", "source.html", d.title, f"A document covering {d.period}.",
                       (HOME, SOURCES), "Source document", {"document": d}) for d in site.documents]
    bundles = search.bundles(sum(spec.indexed for spec in specs))  # the search page merges every part of the index
    specs.insert(search_at, PageSpec("search/index.html", "search.html", "Search", "Search the equality evidence.",
                                     (HOME,), "Search", {"bundles": bundles}))
    return specs


def _study_pages(studies: tuple[CaseStudy, ...], memo: dict[tuple[int, int, int], PageSpec] | None) -> list[PageSpec]:
    specs, made = [], {}
    for i, study in enumerate(studies):
        previous, following = studies[i - 1] if i else None, studies[i + 1] if i + 1 < len(studies) else None
        key = (id(study), id(previous), id(following))  # the spec holds all three: no id is reused while it is kept
        spec = memo.get(key) if memo else None
        if spec is None:
            spec = PageSpec(f"{study.url}index.html", "casestudy.html", study.title, study.summary, (HOME, STUDIES),
                            "Case study", {"study": study, "previous": previous, "next": following})
        specs.append(spec)
        made[key] = spec
    if memo is not None:
        memo.clear()
        memo.update(made)
    return specs


def text_of(markup: str) -> str:
    """The text of some HTML, tags removed, entities decoded and white space folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def duplicate_paths(paths: list[str]) -> list[str]:
    """Output paths claimed more than once."""
    seen: set[str] = set()
    return sorted({p for p in paths if p in seen or seen.add(p)})  # type: ignore[func-returns-value]
