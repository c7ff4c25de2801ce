"""Render the planned pages and the machine-readable files: data in, bytes out, nothing written."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from . import markup, opendata
from .model import Site
from .pages import PageSpec, duplicate_paths, plan

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
                             keep_trailing_newline=True)
    env.filters["plural"] = lambda n, one, many=None: one if n == 1 else (many or one + "s")
    env.filters["embed"] = markup.embed
    return env


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


def render_site(env: jinja2.Environment, site: Site, static_files: dict[str, bytes], options: Options) -> dict[str, bytes]:
    """Every output file of the site, as bytes keyed by site-relative path."""
    specs = plan(site)
    fingerprints = {path: hashlib.sha256(data).hexdigest()[:10] for path, data in static_files.items()}
    outputs = dict(static_files)
    for spec in specs:
        outputs[spec.path] = render_page(env, site, spec, options, fingerprints).encode()
    outputs.update(opendata.files(site))
    outputs["feed.xml"] = env.get_template("feed.xml").render(feed_context(site, options)).encode()
    outputs["sitemap.xml"] = sitemap(specs, options).encode()
    outputs["robots.txt"] = robots(options).encode()
    clashes = duplicate_paths([s.path for s in specs] + list(static_files) + list(opendata.files(site))
                              + ["sitemap.xml", "robots.txt", "feed.xml"])
    if clashes:
        raise ValueError(f"two outputs claim the same path: {', '.join(clashes)}")
    return outputs


def relative_root(spec: PageSpec, options: Options) -> str:
    """The prefix that leads from a page back to the site root; the 404 page, served anywhere, uses the base path."""
    if spec.path == "404.html":
        return options.base_path
    depth = spec.path.count("/")
    return "../" * depth


def render_page(env: jinja2.Environment, site: Site, spec: PageSpec, options: Options,
                fingerprints: dict[str, str]) -> str:
    """One page's HTML."""
    root = relative_root(spec, options)

    def url(path: str) -> str:
        return root + path if root else (path or "./")

    def asset(name: str) -> str:
        key = f"{ASSET_DIR}/{name}"
        return f"{url(key)}?v={fingerprints[key]}"

    csp = DEV_CSP if options.dev else SEARCH_CSP if spec.template == "search.html" else PAGE_CSP
    canonical = options.absolute + spec.url if options.absolute and spec.path != "404.html" else None
    public = (options.absolute or options.base_path) + spec.url
    context: dict[str, Any] = {"site": site, "spec": spec, "url": url, "asset": asset, "csp": csp,
                               "canonical": canonical, "public_url": public, "dev": options.dev,
                               "datasets": opendata.datasets(site), "separator": opendata.LIST_SEPARATOR, "indexed": _indexed(spec),
                               **spec.args}
    return env.get_template(spec.template).render(context)


def _indexed(spec: PageSpec) -> bool:
    return spec.template not in ("search.html", "404.html", "pack.html")


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
