"""JSON Schemas for each kind of front matter, made from the same field declarations the build validates with.

The closed vocabularies (action ids, areas, groups) come from the content, so an editor can complete them.
"""
from __future__ import annotations

import json
from typing import Any

from . import schema
from .model import Site

SCHEMAS = {"casestudy": schema.CASE_STUDY, "action": schema.ACTION, "area": schema.AREA,
           "group": schema.GROUP, "progress": schema.PROGRESS, "page": schema.PAGE,
           "organisation": schema.ORGANISATION, "source": schema.SOURCE}


def vocabularies(site: Site) -> dict[tuple[str, str], list[str]]:
    """The values a field may take, by (content type, field), where the content closes the list."""
    actions = [a.id for a in site.actions]
    areas = [a.slug for a in site.areas]
    groups = [g.slug for g in site.groups]
    organisations = [o.slug for o in site.organisations]
    sources = [d.slug for d in site.documents]
    return {("casestudy", "actions"): actions, ("casestudy", "groups"): groups, ("action", "links_to"): actions,
            ("action", "area"): areas, ("progress", "areas"): areas, ("progress", "groups"): groups,
            ("casestudy", "organisation"): organisations, ("progress", "organisation"): organisations,
            ("casestudy", "source"): sources, ("progress", "source"): sources, ("source", "publisher"): organisations}


def _property(field: schema.Field, allowed: list[str] | None) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": field.description}
    if field.kind == "integer":
        prop["type"] = "integer"
        if field.minimum is not None:
            prop["minimum"] = field.minimum
    elif field.kind == "date":
        prop.update(type="string", format="date", pattern=r"^\d{4}-\d{2}-\d{2}$")
    elif field.kind == "url":
        prop.update(type="string", format="uri", pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^/\s?#]+")
    elif field.kind == "email":
        prop.update(type="string", format="email", pattern="^" + schema.EMAIL.pattern.replace("\\Z", "$"))
    elif field.kind == "matrix":
        numbers = {"type": "array", "items": {"type": "integer", "minimum": 1}}
        prop.update(type="object", patternProperties={schema.ACTION_ID: numbers}, additionalProperties=False)
    elif field.kind == "list":
        item: dict[str, Any] = {"type": "string"}
        if field.pattern:
            item["pattern"] = field.pattern
        if allowed is not None:
            item["enum"] = allowed
        prop.update(type="array", items=item, uniqueItems=True)
    else:
        prop.update(type="string", minLength=1, pattern=field.pattern or r"\S")
        if allowed is not None:
            prop["enum"] = allowed
    return prop


def make(name: str, site: Site) -> dict[str, Any]:
    """The JSON Schema for one kind of front matter."""
    ctype = SCHEMAS[name]
    vocab = vocabularies(site)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{name}.schema.json",
        "title": f"Front matter of a {ctype.name}",
        "description": f"The fields of a file in content/{ctype.folder}/; see README.md.",
        "type": "object",
        "properties": {f.name: _property(f, vocab.get((name, f.name))) for f in ctype.fields},
        "required": [f.name for f in ctype.fields if f.required],
        "additionalProperties": False,
    }


def files(site: Site) -> dict[str, str]:
    """Every schema as JSON text, keyed by file name."""
    return {f"{name}.schema.json": json.dumps(make(name, site), indent=2, ensure_ascii=False) + "\n" for name in SCHEMAS}
