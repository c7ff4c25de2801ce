"""Reading built pages in tests: links, ids and text, with the standard library's HTML parser."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class PageParser(HTMLParser):
    """Collects the links, sources, ids and text of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name) and tag != "link" or (tag == "link" and name == "href" and values.get(name)):
                self.links.append(values[name] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(path: Path) -> PageParser:
    """Parse one built page."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def text_of(path: Path) -> str:
    """A page's visible text with white space folded."""
    return " ".join(" ".join(parse(path).text).split())


def section(html: str, heading: str) -> str:
    """The HTML after an h2 with this text, up to the next h2."""
    start = re.search(r"<h2[^>]*>" + re.escape(heading) + "</h2>", html)
    assert start, f"no heading {heading!r}"
    rest = html[start.end():]
    end = re.search(r"<h2", rest)
    return rest[: end.start()] if end else rest


def page_paths(out: Path) -> list[str]:
    """Every HTML page of a built site as a URL path relative to its root: '' for the home page, 'areas/' for areas/index.html."""
    return sorted(p.relative_to(out).as_posix().removesuffix("index.html") for p in out.rglob("*.html"))


def broken_links(out: Path) -> list[str]:
    """Every link or source of a built site that leads to no file of it (or to a missing #id), and every link to
    another host that is not https or mailto; the 404 page, whose links are from the site's root, is left out."""
    parsed = {page: parse(page) for page in sorted(out.rglob("*.html"))}
    broken = []
    for page, parser in parsed.items():
        if page.name == "404.html":
            continue
        base = "http://site/" + page.relative_to(out).as_posix()
        for link in parser.links:
            target = urlsplit(urljoin(base, link))
            if target.netloc != "site" or target.scheme != "http":
                if target.scheme not in ("https", "mailto"):
                    broken.append(f"{page.relative_to(out)}: {link}")
                continue
            path = out / unquote(target.path).lstrip("/")
            if target.path.endswith("/"):
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.relative_to(out)} links to missing {link}")
            elif target.fragment and path in parsed and target.fragment not in parsed[path].ids:
                broken.append(f"{page.relative_to(out)} links to missing #{target.fragment} in {link}")
    return broken
