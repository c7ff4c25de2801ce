"""Markdown to HTML, with raw HTML and unsafe link targets kept out of the published site."""
from __future__ import annotations

import html as htmllib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

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


class _Policy(Extension):
    """Content is Markdown only: raw HTML is shown as text, never passed through."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "toc", _Policy()],
        extension_configs={"toc": {"toc_depth": "2-3"}},
        output_format="html",
    )


_MD = _markdown()


def render(text: str) -> Rendered:
    """Render Markdown to safe HTML and list its level 2 and 3 headings."""
    _MD.reset()
    html = _MD.convert(text)
    headings = tuple(_flatten(_MD.toc_tokens))  # type: ignore[attr-defined]
    return Rendered(html, headings)


def _flatten(tokens: list[dict]) -> list[Heading]:
    out: list[Heading] = []
    for token in tokens:
        out.append(Heading(token["level"], token["id"], htmllib.unescape(token["name"])))
        out.extend(_flatten(token["children"]))
    return out


def policy_problems(path: str, body: str, first_line: int) -> list[Problem]:
    """Raw HTML and unsafe link targets in a Markdown body, with the line each is on."""
    problems = []
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


HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
ID_ATTRIBUTE = re.compile(r'\b(id|href)="#?([^"]*)"')


def embed(html: str, prefix: str, shift: int) -> str:
    """Rendered Markdown placed inside another page: headings moved down `shift` levels, ids and fragment links prefixed."""
    html = HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)

    def prefixed(match: re.Match[str]) -> str:
        attribute, value = match.groups()
        if attribute == "id":
            return f'id="{prefix}-{value}"'
        return match.group(0) if not match.group(0).startswith('href="#') else f'href="#{prefix}-{value}"'

    return ID_ATTRIBUTE.sub(prefixed, html)
