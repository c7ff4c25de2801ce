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


MAX_DEPTH = 8  # brackets inside brackets: fields are at most a list; far deeper input crashes libyaml


def _mapping(path: str, source: str, offset: int, last: int) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """YAML text as a mapping, with the line of each key; `offset` is the line before the text. Refused before
    parsing: nesting deeper than MAX_DEPTH, anchors and aliases; after: a key given twice and values that cannot be
    made (`!!int abc`, `2024-02-30`), each with its line."""
    early = _too_deep(path, source, offset) or _aliases(path, source, offset, last)
    if early:
        return {}, {}, early
    loader = Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}, []
        if not isinstance(node, yaml.MappingNode):
            return {}, {}, [Problem(path, offset + 1, "this must be a list of `field: value` lines")]
        return _construct(path, loader, node, offset)
    except yaml.YAMLError as error:
        return {}, {}, [_yaml_problem(path, error, offset, last)]
    finally:
        loader.dispose()


def _construct(path: str, loader: Any, node: yaml.MappingNode,
               offset: int) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """Each field's value, made one at a time so that a value that cannot be made is a problem on its line."""
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    problems = []
    for key, value in node.value:
        line = key.start_mark.line + offset + 1
        if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE:
            problems.append(Problem(path, line, "a field name must be a word such as `title`, followed by `:` and "
                                    "the value"))
            continue
        name = str(key.value)
        if name in key_lines:
            problems.append(Problem(path, line, f"the field `{_clip(name)}` is given twice (also on line "
                                    f"{key_lines[name]}): keep one of them"))
            continue
        key_lines[name] = line
        try:
            meta[name] = loader.construct_object(value, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            problems.append(Problem(path, value.start_mark.line + offset + 1, _unreadable(name, value)))
    return meta, key_lines, problems


MERGE = "tag:yaml.org,2002:merge"
TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _unreadable(name: str, value: yaml.Node) -> str:
    """What to say of a value YAML cannot make into what its form or tag says it is."""
    written = _clip(str(value.value)) if isinstance(value, yaml.ScalarNode) else "it"
    if value.tag == TIMESTAMP:
        return f"`{_clip(name)}` is not a real date ({written}): write a date that exists, as YYYY-MM-DD"
    tag = value.tag.replace("tag:yaml.org,2002:", "!!")
    return (f"the value of `{_clip(name)}` is marked `{_clip(tag)}` but {written} is not one: remove the `{_clip(tag)}`, "
            "and put text in double quotes")


def _clip(text: str, width: int = 40) -> str:
    """`text` shortened for a message."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _too_deep(path: str, source: str, offset: int) -> list[Problem]:
    """A problem if brackets nest deeper than MAX_DEPTH outside quotes: one pass over the text."""
    depth, quote, line = 0, "", offset + 1
    for index, char in enumerate(source):
        if char == "\n":
            line += 1
        elif quote:
            if char == quote and not (quote == '"' and source[index - 1] == "\\"):
                quote = ""
        elif char in "\"'" and (index == 0 or source[index - 1] in " \t\n[{,:"):
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return [Problem(path, line, f"brackets are nested more than {MAX_DEPTH} deep: a field's value is "
                                "text, a number, a date or one list such as [\"2.1\", \"2.4\"]")]
        elif char in "]}":
            depth = max(depth - 1, 0)
    return []


def _aliases(path: str, source: str, offset: int, last: int) -> list[Problem]:
    """A problem for the first anchor (`&name`) or alias (`*name`): one can make a few lines into gigabytes."""
    if "&" not in source and "*" not in source:
        return []
    try:
        for token in yaml.scan(source, Loader=Loader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                return [Problem(path, token.start_mark.line + offset + 1, "anchors and aliases (`&name`, `*name`) are "
                                "not allowed in front matter: write each value out in full, and put text that starts "
                                "with & or * in double quotes")]
    except yaml.YAMLError as error:
        return [_yaml_problem(path, error, offset, last)]
    return []


def _yaml_problem(path: str, error: yaml.YAMLError, offset: int, last: int) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + offset + 1 if mark is not None else offset + 1
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    detail = _clip(f"{context}, {what}" if context else what, 120)
    return Problem(path, min(line, last),
                   f"the front matter is not valid YAML ({detail}); write each field as `name: value`, "
                   "put text containing `:` or `#` in double quotes, and check the closing `---` is on its own line")
