"""Render the planned pages and the machine-readable files, across all cores, handing each to output.write_file
as soon as it is made."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from . import markup, opendata, output, parallel, sanitise, search
from .model import CaseStudy, Site
from . import pages
from .pages import PageSpec, duplicate_paths

ASSET_DIR = "assets"
DEV_OVERLAY = Path(__file__).with_name("dev_overlay.js")
# No page runs a script (default-src 'none'); connect-src 'self' lets tools that fetch in the page's context, such
# as Lighthouse reading robots.txt, do so. Search adds its own script, Pagefind's WebAssembly and its web worker.
PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'"
SEARCH_CSP = PAGE_CSP + "; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'"
DEV_CSP = (PAGE_CSP.replace("connect-src 'self'", "connect-src 'self' ws: http:")
           + "; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'self'")


@dataclass(frozen=True)
class Options:
    """How to build: the public base URL, whether to index for search, and whether this is the dev server's build."""

    base_url: str = "/"
    search: bool = True
    dev: bool = False

    @property
    def base_path(self) -> str:
        """The path part of the base URL, always ending in '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def absolute(self) -> str | None:
        """The base URL if it names a host, for sitemaps and canonical links."""
        parts = urlsplit(self.base_url)
        return self.base_url.rstrip("/") + "/" if parts.scheme and parts.netloc else None


def environment(templates: Path) -> jinja2.Environment:
    """Jinja with autoescape and StrictUndefined: a typo in a template fails the build."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, auto_reload=False)
    env.filters["plural"] = lambda n, one, many=None: one if n == 1 else (many or one + "s")
    env.filters["embed"] = markup.embed
    env.filters["safe"] = sanitise.safe  # whatever a template marks safe is sanitised, unless it already has been
    env.filters["date"] = govuk_date
    env.filters["plain"] = lambda html: pages.text_of(str(html))  # the text of rendered Markdown, tags removed
    return env


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def govuk_date(text: str) -> str:
    """A date written YYYY-MM-DD, YYYY-MM or YYYY as GOV.UK writes dates: 23 November 2026, November 2026, 2026."""
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{parts[2]} {month}" if len(parts) == 3 else month


def assets(static: Path, site: Site) -> dict[str, bytes]:
    """The static files, with the council's colour prepended to the stylesheet."""
    files = {f"{ASSET_DIR}/{p.relative_to(static).as_posix()}": p.read_bytes()
             for p in sorted(static.rglob("*")) if p.is_file()}
    theme = f":root{{--brand:{site.settings.colour}}}\n".encode()
    files[f"{ASSET_DIR}/style.css"] = theme + files.get(f"{ASSET_DIR}/style.css", b"")
    return files


def dev_assets() -> dict[str, bytes]:
    """The dev server's error overlay script: added to dev builds only, never to a published site."""
    return {f"{ASSET_DIR}/dev.js": DEV_OVERLAY.read_bytes()}


NICER = 10  # the niceness of rendering while the search indexer runs
PARALLEL_FROM = 300  # pages; below this, starting worker processes costs more than rendering in one


@dataclass(frozen=True)
class Renderer:
    """Everything a page needs besides its spec: the templates, the site, the options and the asset fingerprints."""

    env: jinja2.Environment
    site: Site
    options: Options
    static_files: dict[str, bytes]
    fingerprints: dict[str, str]
    datasets: tuple[opendata.Dataset, ...]

    def page(self, spec: PageSpec) -> bytes:
        """One page's HTML as bytes."""
        return render_page(self, spec).encode()


def renderer(env: jinja2.Environment, site: Site, static_files: dict[str, bytes], options: Options) -> Renderer:
    """A renderer for one site, with every template compiled up front."""
    cards = env.globals.setdefault("cards", Cards(env))
    cards.reset(site)  # type: ignore[union-attr]
    for name in env.list_templates():
        env.get_template(name)  # cached by the environment after the first time
    fingerprints = {path: hashlib.sha256(data).hexdigest()[:10] for path, data in static_files.items()}
    return Renderer(env, site, options, static_files, fingerprints, opendata.datasets(site))


class Cards:
    """The `cards` template function: the cards (the `study_card` macro) of a list of case studies, each rendered
    once per page depth and heading level, one per line. One per environment, since Jinja copies globals into its
    modules; reset for each site."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.site: Site | None = None
        self.made: dict[tuple[str, str, int], str] = {}

    def reset(self, site: Site) -> None:
        """Forget every card: the site has changed."""
        self.site, self.made = site, {}

    def __call__(self, studies: tuple[CaseStudy, ...], root: str, heading_level: int) -> Markup:
        macro = self.env.get_template("macros.html").module.study_card  # type: ignore[attr-defined]
        made = self.made
        lines = []
        for study in studies:
            key = (study.slug, root, heading_level)
            if key not in made:
                made[key] = str(macro(study, self.site, root, heading_level))
            lines.append(made[key])
        return Markup("".join(line + "\n" for line in lines))


def other_files(r: Renderer, specs: list[PageSpec]) -> dict[str, bytes]:
    """Every output of the site that is not a page: assets, data, feed, sitemap and robots.txt."""
    outputs = dict(r.static_files)
    outputs.update(opendata.files(r.site))
    outputs["feed.xml"] = r.env.get_template("feed.xml").render(feed_context(r.site, r.options)).encode()
    outputs["sitemap.xml"] = sitemap(specs, r.options).encode()
    outputs["robots.txt"] = robots(r.options).encode()
    clashes = duplicate_paths([s.path for s in specs] + list(outputs))
    if clashes:
        raise ValueError(f"two outputs claim the same path: {', '.join(clashes)}")
    return outputs


def write_site(r: Renderer, specs: list[PageSpec], folder: Path | None,
               parts: Sequence[tuple[search.Indexer, list[PageSpec]]] = ()) -> None:
    """Render every page and file of the site into `folder` (None only renders: a check), each page written as
    soon as it is rendered, so that memory holds one page per process rather than the site.

    With `parts` (a search indexer and the pages it indexes), those pages are written first, a part at a time, into
    the indexer's own folder, and each indexer is started as soon as its pages are written; the rest of the site is
    written while the indexers run. Many pages are rendered across every core (`_across_cores`)."""
    r.site.ranking.index_all()  # before any worker is forked, so that it is built once
    searched = {spec.path for _indexer, part in parts for spec in part}
    phases = [*(part for _indexer, part in parts), [spec for spec in specs if spec.path not in searched]]
    folders = [indexer.pages for indexer, _pages in parts] + [folder]
    if len(specs) >= PARALLEL_FROM and parallel.workers() > 1:
        _across_cores(r, specs, phases, folders, [indexer for indexer, _pages in parts])
        return
    for indexer, part in parts:
        indexer.copies.update(_render_into(r, part, indexer.pages, folder))
        indexer.start()
    _render_into(r, phases[-1], folder)
    _write_all(folder, other_files(r, specs))


def _across_cores(r: Renderer, specs: list[PageSpec], phases: list[list[PageSpec]], folders: list[Path | None],
                  indexers: list[search.Indexer]) -> None:
    """write_site's work in a pool of forked workers: each phase's pages dealt out in shares, the files that are not
    pages written by this process while the workers render the last phase."""
    shares = parallel.workers() * parallel.SHARES_PER_WORKER
    with parallel.forked((r, phases, folders, shares)) as pool:
        for number, indexer in enumerate(indexers):
            for copies in pool.map(_render_share, [(number, share) for share in range(shares)]):
                indexer.copies.update(copies)
            indexer.start()
        rendering = pool.imap_unordered(_render_share, [(len(phases) - 1, share) for share in range(shares)])
        _write_all(folders[-1], other_files(r, specs))  # while the workers render the pages
        for _copies in rendering:
            pass


def _write_all(folder: Path | None, files: dict[str, bytes]) -> None:
    for path, data in sorted(files.items()):
        output.write_file(folder, path, data)


def _render_share(task: tuple[int, int]) -> list[str]:
    """In a worker: of one phase's pages, render those whose index is `share` modulo the number of shares
    (mixing big and small); returns the pages search is shown slim copies of."""
    r, phases, folders, shares = parallel.job()
    phase, share = task
    searched = phase < len(phases) - 1  # a part of the search index; the last phase is the pages search does not read
    if not searched and phase:  # rendered once search runs
        _yield_to_search()
    return _render_into(r, phases[phase][share::shares], folders[phase], folders[-1] if searched else None)


def _yield_to_search() -> None:
    """In a worker: render the pages search does not read at a lower priority than the search indexer, which
    started when the others were written: it is the longer job, and it leaves a core idle for these pages while
    it writes its files. The workers end with the build, and their priority with them."""
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), NICER))


def _render_into(r: Renderer, specs: list[PageSpec], folder: Path | None, site_folder: Path | None = None) -> list[str]:
    """Write `specs` into `folder`. With `site_folder`, `folder` is the folder of pages a search indexer reads: a large
    page is left there as a slim copy, and the page itself goes into the site's folder. Returns the slim copies."""
    copies = []
    for spec in specs:
        written = output.write_pieces(folder, spec.path, page_pieces(r, spec))
        if folder is not None and site_folder is not None and written >= search.SLIM_FROM:
            search.show_slim(folder, site_folder, spec.path)
            copies.append(spec.path)
    return copies


def relative_root(spec: PageSpec, options: Options) -> str:
    """The prefix that leads from a page back to the site root; the 404 page, served anywhere, uses the base path."""
    if spec.path == "404.html":
        return options.base_path
    depth = spec.path.count("/")
    return "../" * depth


def render_page(r: Renderer, spec: PageSpec) -> str:
    """One page's HTML."""
    return r.env.get_template(spec.template).render(page_context(r, spec))


def page_pieces(r: Renderer, spec: PageSpec) -> Iterator[str]:
    """One page's HTML in the pieces Jinja makes it in, for writing as they come: an evidence pack holds every
    case study of an area, and joined whole it would take several times its size in memory."""
    return r.env.get_template(spec.template).generate(page_context(r, spec))


def page_context(r: Renderer, spec: PageSpec) -> dict[str, Any]:
    """What a page's template is given. Templates link with `root`, the prefix back to the site root
    (`{{ root }}{{ study.url }}`), and to the home page with `home`."""
    options = r.options
    root = relative_root(spec, options)

    def asset(name: str) -> str:
        key = f"{ASSET_DIR}/{name}"
        return f"{root}{key}?v={r.fingerprints[key]}"

    csp = DEV_CSP if options.dev else SEARCH_CSP if spec.template == "search.html" else PAGE_CSP
    canonical = options.absolute + spec.url if options.absolute and spec.path != "404.html" else None
    public = (options.absolute or options.base_path) + spec.url
    context: dict[str, Any] = {"site": r.site, "spec": spec, "root": root, "home": root or "./", "asset": asset,
                               "section": spec.path.partition("/")[0] if "/" in spec.path else "", "csp": csp,
                               "canonical": canonical, "public_url": public, "dev": options.dev,
                               "datasets": r.datasets, "separator": opendata.LIST_SEPARATOR,
                               "attribution": opendata.attribution,
                               "indexed": spec.indexed, **spec.args}
    return context


def feed_context(site: Site, options: Options) -> dict[str, Any]:
    """An Atom feed's entries: case studies and progress reports, most recently updated first."""
    items = sorted([*site.casestudies, *site.progress], key=lambda item: (item.updated or "", item.url), reverse=True)
    latest = max((item.updated for item in items if item.updated), default="1970-01-01")
    return {"site": site, "items": items, "updated": latest, "base": options.absolute or options.base_path,
            "feed_id": opendata.feed_id, "canonical": None}


def sitemap(specs: list[PageSpec], options: Options) -> str:
    """A sitemap of every indexed page; absolute if the base URL names a host."""
    base = options.absolute or options.base_path
    urls = "".join(f"  <url><loc>{_xml(base + s.url)}</loc></url>\n" for s in specs if s.path != "404.html")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")


def robots(options: Options) -> str:
    """robots.txt allowing everything and naming the sitemap, which robots.txt can only do by its full URL."""
    sitemap_line = f"Sitemap: {options.absolute}sitemap.xml\n" if options.absolute else ""
    return "User-agent: *\nAllow: /\n" + sitemap_line


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
