"""The build, stage by stage: read the content folder (source), validate and link it into the model (load),
plan every page (pages), render and write them into a new folder (render, output) and index them for search
(search); the new folder replaces the site only when it is complete."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import audit, cache, load, markup, output, pages, render, search, source
from .model import Site
from .problems import ContentError

CODE = Path(__file__).resolve().parent
PROJECT = CODE.parent  # the repository, when the portal runs from a checkout of it
CACHE_NAME = ".portal-cache"


def bundled(name: str) -> Path:
    """A folder the portal ships with (`templates`, `static`): inside the installed package, or the checkout's."""
    installed = CODE / name
    return installed if installed.is_dir() else PROJECT / name


@dataclass(frozen=True)
class Paths:
    """Where content, templates and static files are read from, where the site is written, and the cache folder
    (None: no cache, every build from scratch)."""

    content: Path
    out: Path
    templates: Path = bundled("templates")
    static: Path = bundled("static")
    cache: Path | None = None


@dataclass(frozen=True)
class Built:
    """What a build did, for its closing message."""

    casestudies: int
    actions: int
    pages: int
    skipped: bool = False


def default_cache(content: Path) -> Path:
    """The cache folder the command line uses: `.portal-cache/` beside the content folder."""
    return content.resolve().parent / CACHE_NAME


def markdown(paths: Paths, read_only: bool = False) -> load.Markdown:
    """Renders Markdown bodies, through the cache folder if there is one."""
    return partial(markup.render_all, cache=cache.MarkdownCache(paths.cache, read_only) if paths.cache else None)


def check(paths: Paths, strict: bool = False) -> Site:
    """Validate the content and render every page in memory; raises ContentError and writes nothing."""
    tree = source.read_tree(paths.content)                                     # read
    site = load.load(tree, markdown(paths, read_only=True))                    # validate and link
    specs = pages.plan(site)                                                   # plan
    r = renderer(paths, site, render.Options())
    render.write_site(r, specs, None)                                          # render, keeping nothing
    if strict:
        problems = audit.audit(tree, site)
        if problems:
            raise ContentError(problems)
    return site


def build(paths: Paths, options: render.Options, tree: source.Tree | None = None) -> Site:
    """Build the site into `paths.out`; on any error the previous site is left exactly as it was. Raises
    output.RefusedFolder, before anything else, if the build could destroy something in `paths.out`."""
    output.refuse(paths.out, paths.content, PROJECT)
    site = load.load(tree or source.read_tree(paths.content), markdown(paths))  # read; validate and link
    specs = pages.plan(site)                                                   # plan
    r = renderer(paths, site, options)
    with output.staging(paths.out) as stage:                                   # render and write, into a new folder
        if options.search:
            write_and_index(r, specs, stage)                                   # index
        else:
            render.write_site(r, specs, stage)
    return site


def renderer(paths: Paths, site: Site, options: render.Options) -> render.Renderer:
    """The templates, compiled, with the site, the static files and the options."""
    static = render.assets(paths.static, site) | (render.dev_assets() if options.dev else {})
    return render.renderer(render.environment(paths.templates), site, static, options)


def write_and_index(r: render.Renderer, specs: list[pages.PageSpec], stage: Path) -> None:
    """Write the site and index it for search: the pages of evidence first, a part of the index at a time, each
    part indexed by Pagefind (search.Indexer) as soon as its pages are written, while the rest is written."""
    parts = search.parts([spec for spec in specs if spec.indexed])
    indexers = [search.Indexer(stage, bundle) for bundle in parts]
    try:
        render.write_site(r, specs, stage, list(zip(indexers, parts.values())))
        for indexer in indexers:
            indexer.wait()
    finally:
        for indexer in indexers:
            indexer.stop()


def build_if_changed(paths: Paths, options: render.Options) -> Built:
    """Build unless the last build into the same folder read exactly these inputs and its output is untouched."""
    tree = source.read_tree(paths.content)
    if paths.cache is None:
        return _built(build(paths, options, tree))
    stamp = cache.Stamp.for_output(paths.cache, paths.out)
    inputs = cache.inputs_digest(tree, [paths.templates, paths.static], options)
    recorded = stamp.unchanged(inputs)
    if recorded is not None:
        return Built(**{**recorded, "skipped": True})
    built = _built(build(paths, options, tree))
    stamp.record(inputs, {"casestudies": built.casestudies, "actions": built.actions, "pages": built.pages})
    return built


def _built(site: Site) -> Built:
    return Built(len(site.casestudies), len(site.actions), len(pages.plan(site)))
