"""Limits on the size and shape of Markdown, checked before it is rendered, so that text Python-Markdown would take
minutes over or crash on (lists nested hundreds deep, a line of fifty thousand `[`) is reported as a problem with
its file and line, instead of hanging or breaking the build.

Each limit bounds one way Python-Markdown's time grows faster than the text, or the number of one kind of part it
spends time on, so that any body that passes them all renders in a fraction of a second (tests/test_limits.py
tries the worst cases found). They are checked in time linear in the body, with patterns that cannot backtrack
far: a few passes over the whole text, then work only on the lines that are not plain text and the paragraphs
with links, code or tables in them. Real content is many times inside every limit.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Callable, Iterable, Iterator

from .problems import Problem

# Each value is many times the most that real content uses (the files in content/ and the benchmark's synthetic
# case studies: "content uses" below), and small enough that the worst text found passing every limit at once
# renders in about 0.12 seconds, where unlimited text took minutes or crashed (tests/test_limits.py).
MAX_FILE_BYTES = 64 * 1024  # about 10,000 words, the size the other limits are set for; content uses 7 KB
MAX_LINE_CHARS = 10_000  # 1,600 words on one line; content uses 819
MAX_NESTING = 8  # lists and quotes inside each other: Python-Markdown recurses for each and fails near 300; content: 2
MAX_HEADING_CHARS = 200  # a repeated heading's digits are read as a number, which fails past 4,300 digits; content: 59
MAX_TABLE_COLUMNS = 40  # at most one more `|` in a line: splitting a row takes its `|` times its code spans; content: 3
MAX_PARAGRAPH_MARKS = 1_000  # each inline mark in a paragraph makes Python-Markdown copy all of it again; content: 7
MAX_PARTS = 3_000  # lines, headings, list levels, table cells and marks: 10 to 40 µs each to render; content: 144
MAX_BRACKETED = 30_000  # characters read for the `]` of each `[`, three times (about 0.7 µs each); content: 117
MAX_LINK_TARGETS = 30_000  # characters read for the `)` that ends each link target (about 0.4 µs each); content: 103
MAX_CODE_SCAN = 30_000  # characters read for the backticks that end each code span (about 0.4 µs each); content: 0
MAX_SPLITTING = 1_000_000  # characters read again at each heading, rule or definition in a paragraph; content: 1,802

MARKS = "`\\[]<>&*_"  # where an inline pattern starts or ends; so do `](` (again) and a line break
SPECIAL_START = frozenset(" \t>*+-_#[=0123456789")  # a line starting otherwise is plain text, taken as a whole
SIMPLE_ITEM = re.compile(r"(?:[-*+]|\d+\.) [^ \t>*+\-_#\[=0-9]")  # a list item, not nested, of plain text
PREFIX = re.compile(r"(?:[ ]*(?:>|[*+-][ ]|\d+\.[ ]))*[ ]*")  # the quote and list markers that start a line
LIST_MARKER = re.compile(r"[*+-][ ]|\d+\.[ ]")
SETEXT = re.compile(r"(?:=+|-+)[ ]*")  # just under a line of text, makes that text a heading
REFERENCE = re.compile(r"\[[^\[\]]*\]:")  # the start of a reference definition, `[name]: address`
ESCAPED = r"\\[\\`*_{}\[\]()>#+\-.!|]"  # a backslash escape as Python-Markdown reads one (`\'` is not one)
BRACKET_TOKEN = re.compile(ESCAPED + r"|\[+|\]+")
TARGET_TOKEN = re.compile(ESCAPED + r"|\]\(|[()'\"]")  # or the start of a link target, a parenthesis, a quote
BACKTICK_RUN = re.compile("`+")
PLACEHOLDER = 12  # an escape (`\*`) or code span read before a link becomes a placeholder of 14 characters

SPLITTING = ("headings, rules and reference definitions (`[name]: address`) inside long paragraphs, lists and "
             "tables make this page too slow to publish: put a blank line before and after each heading and rule, "
             "and keep reference definitions together")


def file_size_problem(path: str, size: int) -> Problem | None:
    """A problem if a file of `size` bytes is too big to publish as one page: check it before decoding the file."""
    if size <= MAX_FILE_BYTES:
        return None
    return Problem(path, 1, f"this file is {-(-size // 1024):,} KB, more than the {MAX_FILE_BYTES // 1024} KB "
                            "allowed: split it into two or more pages")


def markdown_problems(path: str, body: str, first_line: int) -> list[Problem]:
    """A problem for each limit the Markdown `body` exceeds, on the first line where it does; `first_line` is the
    file's line number of the body's first line."""
    size = len(body) if len(body) * 4 <= MAX_FILE_BYTES else len(body.encode("utf-8", "surrogatepass"))
    too_big = file_size_problem(path, size)
    if too_big is not None:
        return [too_big]
    text = body
    if "\x02" in text or "\x03" in text:
        text = text.replace("\x02", "").replace("\x03", "")  # Python-Markdown deletes both before it starts
    physical = text.split("\n")
    lines, number = physical, first_line.__add__
    if "\r" in text:  # Python-Markdown reads a carriage return as the end of a line
        lines, numbers = [], []
        for offset, line in enumerate(physical):
            pieces = line.split("\r")
            lines += pieces
            numbers += [first_line + offset] * len(pieces)
        text, number = text.replace("\r", "\n"), numbers.__getitem__
    scan = _Scan(path, text, lines, number)
    if len(text) > MAX_LINE_CHARS and len(max(physical, key=len)) > MAX_LINE_CHARS:
        offset, line = next((i, line) for i, line in enumerate(physical) if len(line) > MAX_LINE_CHARS)
        scan.report("line", first_line + offset, f"this line is {len(line):,} characters long, more than the "
                                                 f"{MAX_LINE_CHARS:,} allowed: break it into paragraphs with a "
                                                 "blank line between them")
    scan.run()
    return list(scan.problems.values())


@dataclass(slots=True)
class _Line:
    """A line that is not plain text, taken apart."""

    text: str  # with tabs expanded
    prefix: str  # the quote and list markers (and spaces) it starts with
    content: str  # the rest
    rest: str  # the line after its quote markers and spaces
    rule: bool  # whether it is a horizontal rule
    markers: int  # quote and list levels it opens

    @classmethod
    def read(cls, line: str) -> _Line:
        text = line.expandtabs(4) if "\t" in line else line
        prefix = PREFIX.match(text).group()  # type: ignore[union-attr]
        rest = text.lstrip(" >")
        rule = _is_rule(rest)
        markers = (prefix.count(">") + (0 if rule else len(LIST_MARKER.findall(prefix)))) if prefix else 0
        return cls(text, prefix, text[len(prefix):], rest, rule, markers)

    @property
    def depth(self) -> int:
        """How deep it is nested: a level for each marker, and for each 4 spaces before them."""
        return self.markers + (len(self.prefix) - len(self.prefix.lstrip(" "))) // 4 if self.markers else 0


@dataclass
class _Target:
    """A link target opened by `](`, while its `)` is looked for."""

    start: int
    index: int  # its place in the list of targets
    quotes: tuple[int, int] | None = None  # how many ' and " came before the first quote inside it


@dataclass
class _Scan:
    """One check of a body: its text and lines as Python-Markdown reads them, and the totals so far."""

    path: str
    text: str
    lines: list[str]
    number: Callable[[int], int]  # the file line of `lines[i]`
    problems: dict[str, Problem] = field(default_factory=dict)
    extra: dict[int, int] = field(default_factory=dict)  # the markers and headings of each line that has any
    prefix_marks: dict[int, int] = field(default_factory=dict)  # the marks that are list bullets or quote markers
    splits: list[int] = field(default_factory=list)  # the lines where Python-Markdown may split a paragraph
    parts: int = 0
    bracketed: int = 0
    targets: int = 0
    code: int = 0
    splitting: int = 0

    def report(self, kind: str, number: int, message: str) -> None:
        if kind not in self.problems:
            self.problems[kind] = Problem(self.path, number, message)

    def run(self) -> None:
        """Check the lines that are not plain text, then the paragraphs that need it, then the page's parts."""
        self._special_lines()
        marks = _marks(self.text) - sum(self.prefix_marks.values())
        parts = len(self.lines) + sum(self.extra.values()) + marks
        if (self.splits or marks > MAX_PARAGRAPH_MARKS or parts > MAX_PARTS
                or any(mark in self.text for mark in "[`|")):
            blocks = list(self._blocks())
            cells = [self._block(start, end, marks > MAX_PARAGRAPH_MARKS) for start, end in blocks]
            if parts + sum(cells) > MAX_PARTS:
                self._find_parts_limit({end: count for (_, end), count in zip(blocks, cells)})

    def _special_lines(self) -> None:
        """Take apart each line that is not plain text: its nesting, its headings and the splits it may cause."""
        lines, previous = self.lines, None
        for index, text in enumerate(lines):
            if text[:1] not in SPECIAL_START or not text.strip(" \t"):
                continue
            if (text[0] == "#" or SIMPLE_ITEM.match(text)) and not (index and lines[index - 1].startswith("    ")):
                self._simple_line(index, text)  # the commonest kinds, taken quickly
                continue
            line = _Line.read(text)
            inside = index > 0 and bool(lines[index - 1].strip(" \t"))  # a line of text just above
            self._line(index, line, previous if previous is not None and previous[0] == index - 1 else None, inside)
            previous = (index, line)

    def _simple_line(self, index: int, text: str) -> None:
        """Take a heading, or a list item that is not nested and starts with plain text: for each, no more than a
        level or heading, a split, and a bullet that is a mark."""
        self.extra[index] = 1
        if text[0] == "#":
            self._heading(text, index, "")
            self.splits.append(index)
        elif text[0] == "*":
            self.prefix_marks[index] = 1

    def _line(self, index: int, line: _Line, previous: tuple[int, _Line] | None, inside: bool) -> None:
        if line.depth > MAX_NESTING:
            self.report("nesting", self.number(index),
                        f"this line is nested {line.depth} levels deep in lists or quotes, more than the "
                        f"{MAX_NESTING} allowed: use fewer levels (each `-`, `*`, `1.` or `>` that starts the line is "
                        "a level, and so are each 4 spaces before them)")
        headings = self._headings(index, line, inside)
        if line.markers + headings:
            self.extra[index] = line.markers + headings
        if line.prefix:
            self.prefix_marks[index] = line.prefix.count(">") + line.prefix.count("*")
        if headings or _splits(line, previous[1] if previous else None, inside):
            self.splits.append(index)
        following = index + 1
        if (line.text.startswith("    ") and following < len(self.lines)
                and self.lines[following][:1] not in SPECIAL_START and self.lines[following].strip(" \t")):
            self.splits.append(following)  # text after code ends the code block

    def _headings(self, index: int, line: _Line, inside: bool) -> int:
        """How many headings the line makes: one if it starts with `#`, one if it underlines the line above."""
        headings = 0
        if line.content.startswith("#"):
            headings += 1
            self._heading(line.content, index, "")
        if inside and line.rest[:1] in ("=", "-") and SETEXT.fullmatch(line.rest):
            headings += 1
            self._heading(self.lines[index - 1], index - 1, " (a line of `---` or `===` just under a line of text "
                          "makes that text a heading: put a blank line between them if you meant a rule)")
        return headings

    def _heading(self, text: str, index: int, hint: str) -> None:
        length = len(text.strip())
        if length > MAX_HEADING_CHARS:
            self.report("heading", self.number(index),
                        f"this heading is {length:,} characters long, more than the {MAX_HEADING_CHARS} allowed: "
                        f"shorten it, and put the rest in a paragraph below{hint}")

    def _blocks(self) -> Iterator[tuple[int, int]]:
        """The first and after-last line of each run of lines without a blank line: a paragraph, list or table."""
        start = None
        for index, line in enumerate(self.lines):
            if line.strip(" \t"):
                start = index if start is None else start
            elif start is not None:
                yield start, index
                start = None
        if start is not None:
            yield start, len(self.lines)

    def _block(self, start: int, end: int, count_marks: bool) -> int:
        """Check one paragraph, list or table; return the table cells it may make."""
        text = "\n".join(self.lines[start:end])
        if count_marks:
            marks = _marks(text) - sum(self.prefix_marks.get(index, 0) for index in range(start, end))
            if marks > MAX_PARAGRAPH_MARKS:
                self.report("marks", self.number(start),
                            f"this paragraph, list or table has {marks:,} marks (`*`, `_`, `` ` ``, `[`, `]`, `<`, "
                            f"`>`, `&`, `\\`), more than the {MAX_PARAGRAPH_MARKS:,} allowed: put a blank line "
                            "between paragraphs, or split the list or table in two")
        splits = bisect_right(self.splits, end - 1) - bisect_right(self.splits, start - 1)
        self.splitting += splits * (len(text) + 1)
        if self.splitting > MAX_SPLITTING:
            self.report("splitting", self.number(start), SPLITTING)
        if "[" in text or "`" in text:
            self._spans(start, end, text)
        return self._cells(start, end) if "|" in text else 0

    def _cells(self, start: int, end: int) -> int:
        """The most table cells a block can make: if any line could be a table's separator row, any line may be a
        row with a cell for each `|` in the widest line."""
        widest, table = 0, False
        for index in range(start, end):
            line = self.lines[index]
            pipes = line.count("|")
            if pipes > MAX_TABLE_COLUMNS + 1:
                self.report("columns", self.number(index),
                            f"this line has {pipes} `|` characters, more than the {MAX_TABLE_COLUMNS + 1} allowed: "
                            f"a table may have at most {MAX_TABLE_COLUMNS} columns, so split a wider one in two")
            widest = max(widest, pipes)
            rest = line.lstrip(" \t>")
            table = table or ("|" in rest and not rest.strip("|:- \t"))
        return (widest + 1) * (end - start) if table else 0

    def _find_parts_limit(self, cells: dict[int, int]) -> None:
        """Report the line by which the page has more parts than allowed: each line is a part, and so are its
        markers, headings and marks; a table's cells count at its last line."""
        parts = 0
        for index, line in enumerate(self.lines):
            parts += (1 + self.extra.get(index, 0) + _marks(line) - self.prefix_marks.get(index, 0)
                      + cells.get(index + 1, 0))
            if parts > MAX_PARTS:
                self.report("parts", self.number(index),
                            f"this page is too big to publish as one page: by this line it has more than "
                            f"{MAX_PARTS:,} parts (lines, headings, list items, table cells, links and marks such as "
                            "`*` and `_`): split it into two or more pages")
                return

    def _line_at(self, start: int, end: int, offset: int) -> int:
        """The file line of a position in a block's text (worked out only for a report, so once a kind)."""
        starts = list(accumulate((len(line) + 1 for line in self.lines[start:end - 1]), initial=0))
        return self.number(start + bisect_right(starts, offset) - 1)

    def _spans(self, start: int, end: int, text: str) -> None:
        """Add up what Python-Markdown reads looking for the end of each `[`, link target and code span."""
        if "[" in text:
            self._add("bracketed", MAX_BRACKETED, _bracket_spans(text), text, start, end,
                      "by this line, the text inside square brackets adds up to more than {:,} characters (each mark "
                      "in it, such as `*` or `\\`, counting as {}): close each `[` with a `]` soon after it (a link's "
                      "text should be short), and write `\\[` for a square bracket that is just text")
        if "](" in text:
            self._add("targets", MAX_LINK_TARGETS, _target_spans(text), text, start, end,
                      "by this line, the link addresses (from `](` to `)`) add up to more than {:,} characters (each "
                      "mark in them counting as {}): end each address with a `)` straight after it, and write a "
                      "quotation mark or apostrophe in an address as `%22` or `%27`")
        if "`" in text:
            self._add("code", MAX_CODE_SCAN, _code_spans(text), text, start, end,
                      "by this line, the text after backticks (`` ` ``) that are not closed adds up to more than {:,} "
                      "characters: close each `` ` `` with another straight after the code, or write `\\`` for a "
                      "backtick that is just text")

    def _add(self, kind: str, limit: int, spans: Iterable[tuple[int, int | None]], text: str, start: int, end: int,
             message: str) -> None:
        """Add to a page total the characters read from the start of each span to its end (`None` if there is none),
        in the order they start; report where the total goes over `limit`."""
        total = getattr(self, kind)
        code = kind == "code"  # read before any other inline pattern, so neither hidden nor grown by one
        for opening, close in spans:
            if close is None or not code and text.find("`", opening, close) >= 0:  # a code span may hide the end
                close = len(text)
            total += close - opening
            if not code:  # each mark on the way may have become a placeholder, PLACEHOLDER characters longer
                total += PLACEHOLDER * sum(text.count(mark, opening + 1, close) for mark in MARKS)
            if total > limit:
                self.report(kind, self._line_at(start, end, opening), message.format(limit, 1 + PLACEHOLDER))
                break
        setattr(self, kind, total)


def _marks(text: str) -> int:
    """How many marks `text` holds: characters at which an inline pattern starts or ends, `](` and line breaks.
    (Looking for a character is many times quicker than counting it, and most text has few of them.)"""
    return (sum(text.count(mark) for mark in MARKS if mark in text) + sum(text.count(mark) for mark in ("](", "  \n")
            if mark in text) + text.endswith("  "))


def _splits(line: _Line, previous: _Line | None, inside: bool) -> bool:
    """Whether Python-Markdown may split a paragraph at this line (other than a heading), and read all that
    follows again: at a rule, at a reference definition (but not the next of several), at a quote after text
    (or a deeper quote after a shallower one).
    `previous` is the line above if it is not plain text; `inside` is whether there is a line of text above."""
    if line.rule:
        return True
    if line.content.startswith("[") and REFERENCE.match(line.content):
        return previous is None or not REFERENCE.match(previous.content)
    if ">" in line.prefix and inside:  # a quote, or a quote inside one, after text
        return line.prefix.count(">") > (previous.prefix.count(">") if previous else 0)
    return previous is not None and previous.text.startswith("    ") and not line.text.startswith("    ")


def _bracket_spans(text: str) -> list[tuple[int, int | None]]:
    """Where each `[` is and where its `]` is, in order: Python-Markdown reads from one to the other three times (for
    a link, a reference and a short reference), and to the end of the paragraph if there is no `]`."""
    spans: list[tuple[int, int | None]] = []
    opened: list[int] = []  # the index in `spans` of each `[` not yet closed
    for token in BRACKET_TOKEN.finditer(text):  # an escape, or a run of `[` or of `]`
        first, after = token.span()
        if text[first] == "[":
            opened.extend(range(len(spans), len(spans) + after - first))
            spans.extend((opening, None) for opening in range(first, after))
        elif text[first] == "]":
            for close in range(first, min(after, first + len(opened))):
                index = opened.pop()
                spans[index] = (spans[index][0], close)
    return spans


def _code_spans(text: str) -> Iterator[tuple[int, int | None]]:
    """Where each backtick that may open a code span is, and where the run of backticks that would close it is, in
    order. Python-Markdown reads from an opening run to the next run as long, or to the end; after one that closes
    nothing it starts again a little further on, perhaps inside a run, so any backtick may open a code span."""
    runs = [(run.start(), run.end()) for run in BACKTICK_RUN.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for first, after in runs:
        by_length.setdefault(after - first, []).append(first)
    for first, after in runs:
        for opening in range(first, after):
            same = by_length[after - opening] if after - opening in by_length else []
            following = bisect_right(same, first)
            yield opening, same[following] if following < len(same) else None


def _target_spans(text: str) -> list[tuple[int, int | None]]:
    """Where each link target's `](` is and where its `)` is, in order: None if there is none, or if the target
    holds a quotation mark that does not end a title just before the `)`, as Python-Markdown then reads on."""
    spans: list[tuple[int, int | None]] = []
    stack: list[_Target | None] = []  # a target, or None for another `(`, for each `(` not yet closed
    unquoted: list[_Target] = []  # the open targets with no quotation mark in them yet
    quotes = {"'": 0, '"': 0}
    for token in TARGET_TOKEN.finditer(text):
        kind = token.group()
        if kind == "](":
            stack.append(_Target(token.end() - 1, len(spans)))
            unquoted.append(stack[-1])  # type: ignore[arg-type]
            spans.append((token.end() - 1, None))
        elif kind == "(":
            stack.append(None)
        elif kind in quotes:
            quotes[kind] += 1
            for target in unquoted:
                target.quotes = (quotes["'"] - (kind == "'"), quotes['"'] - (kind == '"'))
            unquoted.clear()
        elif kind == ")" and stack:
            target = stack.pop()
            if target is not None:
                if target.quotes is None:
                    unquoted.pop()  # it is the innermost open target
                if target.quotes is None or _title_ends(text, token.start(), target.quotes, quotes):
                    spans[target.index] = (target.start, token.start())
    return spans


def _is_rule(text: str) -> bool:
    """Whether `text` (a line after its quote markers) is a horizontal rule, as Python-Markdown reads one."""
    mark = text[:1]
    if mark not in ("-", "*", "_"):
        return False
    text = text.rstrip(" ")
    return text.count(mark) >= 3 and not text.replace(mark, "").strip(" ") and "   " not in text


def _title_ends(text: str, close: int, at_first: tuple[int, int], quotes: dict[str, int]) -> bool:
    """Whether the `)` at `close` ends a target holding a quotation mark, as in `[a](b "title")`: it follows (but
    for spaces) a quote character that has come at least twice since the target's first quotation mark."""
    before = close - 1
    while before >= 0 and text[before] == " ":
        before -= 1
    last = text[before] if before >= 0 else ""
    if last == "'":
        return quotes["'"] - at_first[0] >= 2
    if last == '"':
        return quotes['"'] - at_first[1] >= 2
    return False
