"""Markdown to HTML, with raw HTML and unsafe link targets kept out of the published site."""
from __future__ import annotations

import hashlib
import html as htmllib
import re
import sys
import xml.etree.ElementTree as etree
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Iterable, Protocol

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from . import parallel, plain, sanitise, urls
from .problems import Problem

RAW_HTML = re.compile(r"<(/?[A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?/?>|<!--")
ANGLED = re.compile(r"<([^<>\s]+:[^<>]*)>")


@dataclass(frozen=True)
class Heading:
    """A heading in rendered Markdown, for contents lists."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    """Rendered Markdown: the sanitised HTML, its headings, and the link targets dropped as unsafe (a problem)."""

    html: str
    headings: tuple[Heading, ...]
    dropped: tuple[str, ...] = ()


class _SafeLinks(Treeprocessor):
    """Drops link and image targets that are not safe (such as javascript: or data:, however written), noting
    each in `dropped` so that it is reported as a problem."""

    def __init__(self, md: markdown.Markdown, dropped: list[str]) -> None:
        super().__init__(md)
        self.dropped = dropped

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not urls.is_safe(value):
                    del element.attrib[attribute]
                    self.dropped.append(value)


class _Policy(Extension):
    """Content is Markdown only: raw HTML is shown as text, never passed through."""

    def __init__(self, dropped: list[str]) -> None:
        super().__init__()
        self.dropped = dropped

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md, self.dropped), "safe_links", -1)  # after backslashes are undone


def _markdown(dropped: list[str]) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "toc", _Policy(dropped)],
        extension_configs={"toc": {"toc_depth": "2-3", "marker": ""}},
        output_format="html",
    )


_DROPPED: list[str] = []
_MD = _markdown(_DROPPED)


def render(text: str) -> Rendered:
    """Render Markdown to sanitised HTML and list its level 2 and 3 headings: plain Markdown by the quick renderer in
    portal/plain.py, which gives the same output, the rest by Python-Markdown."""
    quick = plain.render(text, urls.is_safe)
    if quick is not None:
        return Rendered(sanitise.clean(quick[0]), tuple(Heading(*heading) for heading in quick[1]))
    rendered = python_markdown(text)
    return Rendered(sanitise.clean(rendered.html), rendered.headings, rendered.dropped)


def python_markdown(text: str) -> Rendered:
    """Render Markdown with Python-Markdown alone (unsafe link targets dropped, but not sanitised)."""
    _MD.reset()
    _DROPPED.clear()
    html = _MD.convert(text)
    headings = tuple(_flatten(_MD.toc_tokens))  # type: ignore[attr-defined]
    return Rendered(html, headings, tuple(_DROPPED))


PARALLEL_FROM = 200  # below this many uncached bodies, starting worker processes costs more than it saves
_SALT = hashlib.sha256(b"".join(Path(module.__file__).read_bytes() for module in (sys.modules[__name__], plain, sanitise,
                                                                                    urls))
                       + markdown.__version__.encode() + metadata.version("nh3").encode()).digest()


def cache_key(text: str) -> bytes:
    """What a rendering is cached under: a hash of the text, of the code that renders and sanitises it and of the
    versions of Python-Markdown and nh3."""
    return hashlib.sha256(_SALT + text.encode()).digest()


class Cache(Protocol):
    """Somewhere renderings are kept between builds (see portal/cache.py)."""

    def lookup(self, texts: list[str]) -> dict[str, Rendered]: ...

    def store(self, rendered: dict[str, Rendered]) -> None: ...


def render_all(texts: Iterable[str], cache: Cache | None = None) -> dict[str, Rendered]:
    """Render many Markdown bodies, each once: from the cache when it has them, the rest across all cores."""
    wanted = list(dict.fromkeys(texts))
    found = cache.lookup(wanted) if cache else {}
    kept = [text for text, rendered in found.items() if not isinstance(rendered.html, sanitise.Clean)]
    for text, html in zip(kept, parallel.map_in_order(sanitise.clean, [found[t].html for t in kept], PARALLEL_FROM)):
        found[text] = replace(found[text], html=html)  # from a file: sanitised again, as if it were fresh
    missing = [t for t in wanted if t not in found]
    fresh = parallel.map_in_order(render, missing, PARALLEL_FROM)
    found.update(zip(missing, fresh))
    if cache:
        cache.store(found)
    return found


def _flatten(tokens: list[dict]) -> list[Heading]:
    out: list[Heading] = []
    for token in tokens:
        out.append(Heading(token["level"], token["id"], htmllib.unescape(token["name"])))
        out.extend(_flatten(token["children"]))
    return out


def policy_problems(path: str, body: str, first_line: int) -> list[Problem]:
    """Raw HTML in a Markdown body, with the line it is on."""
    problems: list[Problem] = []
    if "<" not in body:
        return problems  # there can be none
    for offset, line in enumerate(body.split("\n")):
        tag = RAW_HTML.search(line)
        if tag:
            problems.append(Problem(path, first_line + offset, f"HTML such as `{tag.group(0)[:40]}` is not allowed in "
                                    "content: write Markdown instead (for example `**bold**`, `- item`, `[text](link)`)"))
        for url in ANGLED.findall(line):  # an autolink Markdown does not make: shown as text, but meant as a link
            if not urls.is_safe(url):
                problems.append(Problem(path, first_line + offset, unsafe_link(url)))
    return problems


def unsafe_link(url: str) -> str:
    """The message for a link target that is not allowed."""
    return (f"the link target `{urls.shown(url)}` is not allowed: link to a page of this site, or to an address "
            "starting https://, mailto: or tel:")


def link_problems(path: str, body: str, first_line: int, dropped: tuple[str, ...]) -> list[Problem]:
    """A problem for each link or image target that rendering dropped as unsafe, on the first line that holds it
    (or, if the Markdown wrote it differently, the first line of the text)."""
    lines = body.split("\n")
    problems = []
    for url in dropped:
        number = next((first_line + offset for offset, line in enumerate(lines) if url in line), first_line)
        problems.append(Problem(path, number, unsafe_link(url)))
    return problems


EMBEDDED = re.compile(r'<(/?)h([1-6])( id=")?|<a href="#')


def embed(html: str, prefix: str, shift: int) -> str:
    """Rendered Markdown placed inside another page: headings moved down `shift` levels (at most to h6), ids and
    fragment links prefixed with `prefix-`.

    One pass of a pattern, not a parse: in what `render` produces, only headings open with `<h` and a digit, only
    headings carry an id, and every link opens with `<a href=`."""
    def moved(match: re.Match[str]) -> str:
        closing, level, with_id = match.groups()
        if level is None:
            return f'<a href="#{prefix}-'
        return f"<{closing}h{min(int(level) + shift, 6)}" + (f' id="{prefix}-' if with_id else "")
    embedded = EMBEDDED.sub(moved, html)
    return sanitise.Clean(embedded) if isinstance(html, sanitise.Clean) else embedded  # ids and levels: still clean
