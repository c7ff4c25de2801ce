"""The build, stage by stage: read, load and link, render, write, index."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import audit, load, output, render, search, source
from .problems import ContentError
from .model import Site

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    """Where content, templates and static files are read from and where the site is written."""

    content: Path
    out: Path
    templates: Path = PROJECT / "templates"
    static: Path = PROJECT / "static"


def check(paths: Paths, strict: bool = False) -> Site:
    """Validate the content and render every page in memory; raises ContentError and writes nothing."""
    tree = source.read_tree(paths.content)
    site = load.load(tree)
    render.render_site(render.environment(paths.templates), site, render.assets(paths.static, site), render.Options())
    if strict:
        problems = audit.audit(tree, site)
        if problems:
            raise ContentError(problems)
    return site


def build(paths: Paths, options: render.Options) -> Site:
    """Build the site into `paths.out`; on any error the previous site is left exactly as it was."""
    site = load.load(source.read_tree(paths.content))
    static = render.assets(paths.static, site) | (render.dev_assets() if options.dev else {})
    files = render.render_site(render.environment(paths.templates), site, static, options)
    with output.staging(paths.out) as stage:
        output.write_tree(stage, files)
        if options.search:
            search.index(stage)
    return site
