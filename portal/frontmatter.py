"""Split a Markdown file into YAML front matter and body, keeping line numbers for every key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .problems import Problem

FENCE = "---"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: same results, faster


@dataclass(frozen=True)
class Document:
    """A parsed content file: its front matter, the line of each key, and the Markdown body."""

    path: str
    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int
    end_line: int

    def line_of(self, key: str) -> int:
        """The line a front-matter key is on, or the opening fence's line if it is absent."""
        return self.key_lines.get(key, 1)


def _fence_end(lines: list[str]) -> int | None:
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == FENCE:
            return index
    return None


def parse(path: str, text: str) -> tuple[Document | None, list[Problem]]:
    """Parse front matter and body; on failure return None and the problems found."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return None, [Problem(path, 1, "the file must start with a line `---` that opens the front matter")]
    end = _fence_end(lines)
    if end is None:
        return None, [Problem(path, 1, "the front matter opened on line 1 has no closing `---`: "
                              "add a line `---` after the last field, before the text")]
    meta, key_lines, problems = _mapping(path, "\n".join(lines[1:end]), 1, end + 1)
    if problems:
        return None, problems
    body = "\n".join(lines[end + 1:])
    return Document(path, meta, key_lines, body, end + 2, len(lines)), []


def parse_yaml(path: str, text: str) -> tuple[Document | None, list[Problem]]:
    """Parse a whole YAML file of settings as if it were front matter with no body."""
    meta, key_lines, problems = _mapping(path, text, 0, text.count("\n") + 1)
    if problems:
        return None, problems
    return Document(path, meta, key_lines, "", 0, text.count("\n") + 1), []


def _mapping(path: str, source: str, offset: int, last: int) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """YAML text as a mapping, with the line of each key; `offset` is the line before the text."""
    loader = Loader(source)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        return {}, {}, [_yaml_problem(path, error, offset, last)]
    finally:
        loader.dispose()
    if meta is None:
        return {}, {}, []
    if not isinstance(meta, dict):
        return {}, {}, [Problem(path, offset + 1, "this must be a list of `field: value` lines")]
    key_lines = {str(key.value): key.start_mark.line + offset + 1 for key, _value in node.value}
    return meta, key_lines, []


def _yaml_problem(path: str, error: yaml.YAMLError, offset: int, last: int) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + offset + 1 if mark is not None else offset + 1
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    detail = f"{context}, {what}" if context else what
    return Problem(path, min(line, last),
                   f"the front matter is not valid YAML ({detail}); write each field as `name: value`, "
                   "put text containing `:` or `#` in double quotes, and check the closing `---` is on its own line")
