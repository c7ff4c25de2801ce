"""New content files that pass `check`, with every field documented in comments: data in, text out."""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import schema
from .model import CaseStudy, ProgressReport, Site

PLACEHOLDER_SUMMARY = "Write one or two sentences from the text here: they are shown in lists and search results."


@dataclass(frozen=True)
class NewFile:
    """A file to create: its path below the content folder and its text."""

    path: str
    text: str


SLUG_LENGTH = 60  # characters at most: file names stay well within every file system's limit


def slugify(title: str, words: int = 5) -> str:
    """A short lower-case name for a file, from the first few words of a title."""
    parts = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(parts[:words])[:SLUG_LENGTH].strip("-") or "untitled"


def quoted(text: str) -> str:
    """Text as a double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def front_matter(ctype: schema.ContentType, schema_name: str, values: dict[str, str],
                 notes: tuple[str, ...] = ()) -> str:
    """Front matter with a schema line, any `notes` for editors as comments, each field's description as a comment,
    optional fields without a value commented out; `values` are written as they are (YAML)."""
    lines = ["---", f"# yaml-language-server: $schema=../../schemas/{schema_name}.schema.json"]
    lines += [f"# {note}" for note in notes]
    for field in ctype.fields:
        lines.append(f"# {field.description}{'' if field.required else ' Optional.'}")
        value = values.get(field.name)
        lines.append(f"{field.name}: {value}" if value is not None else f"# {field.name}: {field.example}")
    return "\n".join(lines + ["---", ""])


def _provenance(site: Site, items: tuple[CaseStudy, ...] | tuple[ProgressReport, ...]) -> dict[str, str]:
    """The organisation and source document of the last item of its kind, or the first there are."""
    organisation = items[-1].organisation if items else site.organisations[0].slug
    document = items[-1].document if items else site.documents[0].slug
    return {"organisation": quoted(organisation), "source": quoted(document)}


def casestudy(site: Site, title: str) -> NewFile:
    """A new case study with the next free number."""
    number = max((s.number for s in site.casestudies), default=0) + 1
    values = {"title": quoted(title), "number": str(number), "summary": quoted(PLACEHOLDER_SUMMARY),
              **_provenance(site, site.casestudies), "actions": "[]"}
    body = ("\n## What we did\n\nWrite what was done.\n\n## Why we did it\n\nWrite why it was needed.\n\n"
            "## The difference it made\n\nWrite what changed, with figures where there are any.\n")
    return NewFile(f"casestudies/{number:02d}-{slugify(title)}.md",
                   front_matter(schema.CASE_STUDY, "casestudy", values) + body)


def progress(site: Site, title: str) -> NewFile:
    """A new progress report with the next free number."""
    number = max((p.number for p in site.progress), default=0) + 1
    values = {"title": quoted(title), "number": str(number), "summary": quoted(PLACEHOLDER_SUMMARY),
              **_provenance(site, site.progress), "areas": f'["{site.areas[0].slug}"]'}
    body = "\n## Achievements\n\n- Write each achievement as a list item.\n"
    return NewFile(f"progress/{number:02d}-{slugify(title)}.md",
                   front_matter(schema.PROGRESS, "progress", values) + body)


def action(site: Site, statement: str, area: str | None = None) -> NewFile:
    """A new action with the next free id after the last one, in the given area or the last action's."""
    last = site.actions[-1]
    major, minor = last.sort_key[0], last.sort_key[-1] + 1
    action_id = f"{major}.{minor}"
    values = {"id": quoted(action_id), "area": quoted(area or last.area), "links_to": "[]"}
    return NewFile(f"actions/{major}-{minor}.md", front_matter(schema.ACTION, "action", values) + f"\n{statement}\n")
