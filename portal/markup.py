"""Markdown to HTML, with raw HTML and unsafe link targets kept out of the published site."""
from __future__ import annotations

import hashlib
import html as htmllib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from . import parallel, plain
from .problems import Problem

SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
RAW_HTML = re.compile(r"<(/?[A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?/?>|<!--")
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Heading:
    """A heading in rendered Markdown, for contents lists."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    """Rendered Markdown: the HTML, its plain text and its headings."""

    html: str
    headings: tuple[Heading, ...]


def is_safe_url(url: str) -> bool:
    """True for relative URLs, fragments and http, https, mailto and tel links."""
    match = SCHEME.match(url.strip())
    return match is None or url.strip().lower().startswith(SAFE_SCHEMES)


class _SafeLinks(Treeprocessor):
    """Drops link and image targets with schemes such as javascript: or data:."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_url(value):
                    del element.attrib[attribute]


INLINE_TRIGGER = re.compile(r"[`\\\[<&*_]|  \n")  # a character that can start some inline pattern


class _QuickInline(InlineProcessor):
    """Python-Markdown's inline processor, which skips text no inline pattern could match.

    Every pattern Python-Markdown registers (code, escapes, links, images, autolinks, line breaks, entities,
    emphasis) needs one of the INLINE_TRIGGER characters; plain text is returned as it is, as it would be after
    trying each pattern in turn. tests/test_markdown.py checks the output is the same as without this class."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if patternIndex == 0 and INLINE_TRIGGER.search(data) is None:
            return data
        return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)  # type: ignore[attr-defined]


class _Policy(Extension):
    """Content is Markdown only: raw HTML is shown as text, never passed through."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
        md.treeprocessors.register(_QuickInline(md), "inline", 20)


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "toc", _Policy()],
        extension_configs={"toc": {"toc_depth": "2-3", "marker": ""}},
        output_format="html",
    )


_MD = _markdown()


def render(text: str) -> Rendered:
    """Render Markdown to safe HTML and list its level 2 and 3 headings: plain Markdown by the quick renderer in
    portal/plain.py, which gives the same output, the rest by Python-Markdown."""
    quick = plain.render(text, is_safe_url)
    if quick is not None:
        return Rendered(quick[0], tuple(Heading(*heading) for heading in quick[1]))
    return python_markdown(text)


def python_markdown(text: str) -> Rendered:
    """Render Markdown with Python-Markdown alone."""
    _MD.reset()
    html = _MD.convert(text)
    headings = tuple(_flatten(_MD.toc_tokens))  # type: ignore[attr-defined]
    return Rendered(html, headings)


PARALLEL_FROM = 200  # below this many uncached bodies, starting worker processes costs more than it saves
_SALT = hashlib.sha256(Path(__file__).read_bytes() + Path(plain.__file__).read_bytes()
                       + markdown.__version__.encode()).digest()


def cache_key(text: str) -> bytes:
    """What a rendering is cached under: a hash of the text, of the two renderers and of Python-Markdown's version."""
    return hashlib.sha256(_SALT + text.encode()).digest()


class Cache(Protocol):
    """Somewhere renderings are kept between builds (see portal/cache.py)."""

    def lookup(self, texts: list[str]) -> dict[str, Rendered]: ...

    def store(self, rendered: dict[str, Rendered]) -> None: ...


def render_all(texts: Iterable[str], cache: Cache | None = None) -> dict[str, Rendered]:
    """Render many Markdown bodies, each once: from the cache when it has them, the rest across all cores."""
    wanted = list(dict.fromkeys(texts))
    found = cache.lookup(wanted) if cache else {}
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
    """Raw HTML and unsafe link targets in a Markdown body, with the line each is on."""
    problems: list[Problem] = []
    if "<" not in body and "](" not in body:
        return problems  # neither can be there
    for offset, line in enumerate(body.split("\n")):
        number = first_line + offset
        tag = RAW_HTML.search(line)
        if tag:
            problems.append(Problem(path, number, f"HTML such as `{tag.group(0)[:40]}` is not allowed in content: "
                                    "write Markdown instead (for example `**bold**`, `- item`, `[text](link)`)"))
        for target in LINK_TARGET.findall(line):
            if not is_safe_url(target):
                problems.append(Problem(path, number, f"the link target `{target[:40]}` is not allowed: "
                                        "link to a page of this site or to an https:// address"))
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
    return EMBEDDED.sub(moved, html)
