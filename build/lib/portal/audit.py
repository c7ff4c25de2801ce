"""`check --strict`: what editors commonly get wrong and an accessibility audit would catch, with what to write."""
from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass

from . import frontmatter, load
from .model import Site
from .pages import plan
from .problems import Problem
from .scaffold import PLACEHOLDER_SUMMARY
from .source import Tree

LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)[^)]*\)")
BARE_URL = re.compile(r"(?<![(<])\bhttps?://[^\s)>\]]+")
HEADING = re.compile(r"^(#{1,6})\s+\S")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
MENTION = re.compile(r"\bcase stud(?:y|ies) (\d+)\b", re.IGNORECASE)
VAGUE = {"click here", "here", "read more", "more", "link", "this link", "this page", "click", "more info"}
URL_OF = {"casestudies": "casestudies/{}/", "progress": "progress/{}/", "actions": "actions/{}/",
          "areas": "areas/{}/", "groups": "groups/{}/", "pages": "{}/"}


@dataclass(frozen=True)
class Finding:
    """A strict finding: its line, a short key an editor can mark as checked, and the message."""

    line: int
    key: str
    message: str


def audit(tree: Tree, site: Site) -> list[Problem]:
    """Every strict finding in the content, except those a file marks as checked."""
    known = site_paths(site)
    numbers = {s.number for s in site.casestudies}
    bodies = {item.source: item.body_html for item in (*site.casestudies, *site.progress)}
    problems = _settings(tree, site)
    for folder, pattern in URL_OF.items():
        for source in tree.files(folder):
            text, _ = load.decode(source)
            doc, _ = frontmatter.parse(source.path, text or "")
            if doc is None:
                continue
            page = pattern.format(source.stem)
            findings = _front_matter(doc, folder) + body_findings(doc.body, doc.body_line, page, known, numbers)
            if source.path in bodies:
                findings += _summary(doc, bodies[source.path])
            checked = set(doc.meta.get("checked") or [])
            problems += [Problem(source.path, f.line, f.message) for f in findings if f.key not in checked]
    return problems


PLACEHOLDER_DOMAIN = re.compile(r"@(?:.+\.)?(?:example(?:\.[a-z]+)+|example|test|invalid|localhost)$", re.IGNORECASE)


def _settings(tree: Tree, site: Site) -> list[Problem]:
    """A finding if the contact address is a placeholder, which residents would write to in vain."""
    settings = site.settings
    if tree.settings is None or not PLACEHOLDER_DOMAIN.search(settings.contact_email):
        return []
    if "placeholder contact address" in settings.checked:
        return []
    text, _ = load.decode(tree.settings)
    doc, _ = frontmatter.parse_yaml(tree.settings.path, text or "")
    line = doc.line_of("contact_email") if doc else 1
    return [Problem(tree.settings.path, line, f"the contact address {settings.contact_email} is a placeholder, which "
                    "residents would write to in vain: give the equalities team's real address (or, on a "
                    "demonstration site, add `checked: [\"placeholder contact address\"]`)")]


def site_paths(site: Site) -> set[str]:
    """Every page of the site as a site-relative folder URL ('casestudies/x/'), and every data file."""
    urls = {spec.url for spec in plan(site)}
    return urls | {u + "index.html" for u in urls} | {f"data/{n}.{k}" for n in ("casestudies", "actions", "progress",
                                                                               "evidence-map") for k in ("csv", "json")}


def _front_matter(doc: frontmatter.Document, folder: str) -> list[Finding]:
    findings = []
    if folder == "casestudies" and doc.meta.get("actions") == []:
        findings.append(Finding(doc.line_of("actions"), "no actions", "the case study lists no actions: add the ids of "
                                "the actions it evidences, such as `actions: [\"2.13\", \"2.21\"]`"))
    if folder == "progress" and doc.meta.get("areas") == []:
        findings.append(Finding(doc.line_of("areas"), "no areas", "the progress report names no performance area: "
                                "add at least one, such as `areas: [\"responsive-services\"]`"))
    if folder in ("casestudies", "progress") and not doc.meta.get("keywords"):
        what = "case study" if folder == "casestudies" else "progress report"
        findings.append(Finding(doc.line_of("title"), "no keywords", f"the {what} has no keywords: add a few words a "
                                "resident might search for that the text does not use, such as "
                                "`keywords: [\"wheelchair\", \"sport\"]`"))
    if folder in ("casestudies", "progress") and doc.meta.get("summary") in (PLACEHOLDER_SUMMARY, "", None):
        findings.append(Finding(doc.line_of("summary"), "no summary", "the summary has not been written: replace it "
                                "with one or two sentences from the text"))
    return findings


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|dt|dd|blockquote|pre)>")


def _summary(doc: frontmatter.Document, body_html: str) -> list[Finding]:
    """A finding if the summary is not whole sentences of the item's own text, unless the editors wrote it."""
    summary = doc.meta.get("summary")
    if doc.meta.get("summary_by") == "editors" or not isinstance(summary, str) or summary == PLACEHOLDER_SUMMARY:
        return []
    sentence = sentence_not_in(summary, body_html)
    if sentence is None:
        return []
    return [Finding(doc.line_of("summary"), "summary not from the text", f"the summary is not whole sentences from "
                    f"the text: “{sentence[:60]}{'…' if len(sentence) > 60 else ''}” is not one of its sentences; copy "
                    "whole sentences from the text, or if the summary is the editors' own words, add "
                    "`summary_by: \"editors\"` so that the page says so")]


def sentence_not_in(summary: str, body_html: str) -> str | None:
    """The first sentence of `summary` that is not a whole sentence of the text `body_html` shows, or None."""
    text = plain_text(body_html)
    for sentence in SENTENCE_END.split(_words(summary)):
        if sentence and not _whole_sentence(sentence, text):
            return sentence
    return None


def plain_text(body_html: str) -> str:
    """The text of rendered Markdown, one block (paragraph, list item, heading, cell) a line."""
    blocks = html.unescape(TAG.sub(" ", BLOCK_END.sub("\n", body_html))).split("\n")
    return "\n".join(_words(block) for block in blocks)


TAG = re.compile(r"<[^>]+>")


def _words(text: str) -> str:
    return " ".join(text.split())


def _whole_sentence(sentence: str, text: str) -> bool:
    """Whether `sentence` is in `text` from the start of a sentence to its end (a full stop the summary adds at the
    end of a list item or heading counts as its end)."""
    wanted = [(sentence, False)] + ([(sentence[:-1], True)] if sentence.endswith(".") else [])
    for part, added_stop in wanted:
        at = text.find(part)
        while at >= 0:
            before, after = text[:at].rstrip(" "), text[at + len(part):]
            starts = not before or before.endswith(("\n", ".", "!", "?", ":", ";"))
            ends = after[:1] in ("", "\n") if added_stop or part[-1] not in ".!?" else after[:1] in ("", " ", "\n")
            if starts and ends:
                return True
            at = text.find(part, at + 1)
    return False


def body_findings(body: str, first_line: int, page: str, known: set[str], numbers: set[int]) -> list[Finding]:
    """Findings in a Markdown body: links, images, headings, tables and mentions of case studies."""
    findings: list[Finding] = []
    lines = body.split("\n")
    level, fenced = 1, False
    for offset, line in enumerate(lines):
        number = first_line + offset
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            continue
        findings += _links(line, number, page, known) + _mentions(line, number, numbers)
        heading = HEADING.match(line)
        if heading:
            new = len(heading.group(1))
            if new > level + 1 or new == 1:
                findings.append(_heading(number, level, new))
            level = new
        findings += _table(lines, offset, number)
    return findings


def _heading(number: int, level: int, new: int) -> Finding:
    if new == 1:
        return Finding(number, "heading level 1", "a level 1 heading (`# …`) in the text: the title is the page's only "
                       "level 1 heading, so start sections with `## `")
    return Finding(number, f"heading level {new}", f"this heading skips from level {level} to level {new}: "
                   f"write it with {'#' * (level + 1)} instead of {'#' * new}")


def _links(line: str, number: int, page: str, known: set[str]) -> list[Finding]:
    findings = []
    for image, text, target in LINK.findall(line):
        if image and not text.strip():
            findings.append(Finding(number, "image without alt text", f"the image `{target}` has no alt text: describe "
                                    f"what it shows between the brackets, such as ![Volunteers planting trees]({target})"))
        elif not image and text.strip().lower().rstrip(".") in VAGUE:
            findings.append(Finding(number, f"link text {text.strip().lower()}", f"the link text “{text.strip()}” does "
                                    "not say where the link goes: use words that do, such as [the 2010 survey results]"
                                    f"({target})"))
        elif not image and re.match(r"^(https?://|www\.)", text.strip()):
            findings.append(Finding(number, "bare URL", f"the link text is a web address: use words that say where it "
                                    f"goes, such as [the council's equality page]({target})"))
        missing = _missing_target(target, page, known)
        if missing:
            findings.append(Finding(number, f"missing {target}", missing))
    for url in BARE_URL.findall(LINK.sub("", line)):
        findings.append(Finding(number, "bare URL", f"the web address {url} is not a link with words: write it as "
                                f"[words that say where it goes]({url})"))
    return findings


def _missing_target(target: str, page: str, known: set[str]) -> str | None:
    if not target or target.startswith("#") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        return None
    if target.startswith("/"):
        return (f"the link `{target}` starts with '/', which breaks when the site is published under a sub-path: "
                "write it relative to this page, such as ../07-offender-services/")
    path = posixpath.normpath(posixpath.join(page, target.split("#")[0].split("?")[0]))
    path = "" if path == "." else path
    if path in known or path + "/" in known:
        return None
    return (f"the link `{target}` leads to {path or '/'}, which does not exist: link to an existing page, such as "
            "../07-offender-services/ for a case study")


def _mentions(line: str, number: int, numbers: set[int]) -> list[Finding]:
    return [Finding(number, f"mentions case study {n}", f"the text mentions case study {n}, which does not exist "
                    f"(there are case studies {min(numbers)} to {max(numbers)}): correct the number, or if the text is "
                    f"kept as published, add `checked: [\"mentions case study {n}\"]` to the front matter")
            for n in map(int, MENTION.findall(line)) if numbers and n not in numbers]


def _table(lines: list[str], offset: int, number: int) -> list[Finding]:
    line = lines[offset]
    if not TABLE_ROW.match(line) or (offset > 0 and TABLE_ROW.match(lines[offset - 1])):
        return []
    following = lines[offset + 1] if offset + 1 < len(lines) else ""
    if not SEPARATOR.match(following):
        return [Finding(number, "table without header", "this table has no header row: make its first row the "
                        "column headings and put a line such as |---|---| under it")]
    if not any(cell.strip() for cell in line.strip().strip("|").split("|")):
        return [Finding(number, "table without header", "this table's header row is empty: write a heading for each "
                        "column")]
    return []
