"""Limits on the size and shape of Markdown, checked before it is rendered, so that text Python-Markdown would take
minutes over or crash on (lists nested hundreds deep, a line of fifty thousand `[`) is reported as a problem with
its file and line, instead of hanging or breaking the build.

Each limit bounds one way Python-Markdown's time grows faster than the text, or the number of one kind of part it
spends time on, so that any body that passes them all renders in a fraction of a second (tests/test_limits.py
tries the worst cases found). They are checked in one pass, in time linear in the body, with patterns that cannot
backtrack far; the lines of plain text most content is made of are only counted, not taken apart. Real content is
many times inside every limit.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable

from .problems import Problem

# Each value is many times what real content uses (the files in content/ and the benchmark's synthetic case
# studies), and small enough that the worst text passing every limit at once still renders quickly.
MAX_FILE_BYTES = 64 * 1024  # about 10,000 words: 13 times the longest file in content/
MAX_LINE_CHARS = 10_000  # a paragraph of 1,600 words on one line; 12 times the longest line in content/
MAX_NESTING = 8  # lists and quotes inside each other: Python-Markdown recurses for each, and fails near 300
MAX_HEADING_CHARS = 200  # Python-Markdown reads a repeated heading's digits as a number, and fails past 4,300
MAX_TABLE_COLUMNS = 40  # at most one more `|` in a line: splitting a row takes its `|` times its code spans
MAX_PARAGRAPH_MARKS = 1_000  # each inline mark in a paragraph, list or table makes Python-Markdown copy all of it
MAX_PARTS = 3_000  # lines, headings, list levels, table cells and marks in a page: each costs up to 40 µs
MAX_BRACKETED = 30_000  # characters read (three times) looking for the `]` of each `[`
MAX_LINK_TARGETS = 30_000  # characters read looking for the `)` that ends each link target
MAX_CODE_SCAN = 30_000  # characters read looking for the backticks that end each code span
MAX_SPLITTING = 1_000_000  # characters read again each time a heading, rule or definition splits a paragraph

MARKS = "`\\[]<>&*_"  # where inline patterns start or end; with `](` and a line break, a mark
WITHOUT_MARKS = str.maketrans("", "", MARKS)
PLAIN_START = re.compile(r"[^ \t>*+\-_#\[=0-9]")  # a line starting so is plain text: no markers, heading or rule
PREFIX = re.compile(r"(?:[ ]*(?:>|[*+-][ ]|\d+\.[ ]))*[ ]*")  # the quote and list markers that start a line
LIST_MARKER = re.compile(r"[*+-][ ]|\d+\.[ ]")
SETEXT = re.compile(r"(?:=+|-+)[ ]*")  # just under a line of text, makes that text a heading
REFERENCE = re.compile(r"\[[^\[\]]*\]:")  # the start of a reference definition, `[name]: address`
ESCAPED = r"\\[\\`*_{}\[\]()>#+\-.!|]"  # a backslash escape as Python-Markdown reads one (`\'` is not one)
BRACKET_TOKEN = re.compile(ESCAPED + r"|[\[\]]")
TARGET_TOKEN = re.compile(ESCAPED + r"|\]\(|[()'\"]")  # or the start of a link target, a parenthesis, a quote
BACKTICKS = re.compile(r"(?<!\\)(\\*)(`+)")  # a run of backticks, and the backslashes before it

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
    text = body.replace("\x02", "").replace("\x03", "")  # Python-Markdown deletes both before it starts
    physical = text.split("\n")
    lines, number = physical, first_line.__add__
    if "\r" in text:  # Python-Markdown reads a carriage return as the end of a line
        lines, numbers = [], []
        for offset, line in enumerate(physical):
            pieces = line.split("\r")
            lines += pieces
            numbers += [first_line + offset] * len(pieces)
        number = numbers.__getitem__
    scan = _Scan(path, lines, number)
    if len(max(physical, key=len)) > MAX_LINE_CHARS:
        offset, line = next((i, line) for i, line in enumerate(physical) if len(line) > MAX_LINE_CHARS)
        scan.report("line", first_line + offset, f"this line is {len(line):,} characters long, more than the "
                                                 f"{MAX_LINE_CHARS:,} allowed: break it into paragraphs with a "
                                                 "blank line between them")
    scan.run()
    return list(scan.problems.values())


@dataclass
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
        text = line.expandtabs(4)
        prefix = PREFIX.match(text).group()  # type: ignore[union-attr]
        rest = text.lstrip(" >")
        rule = _is_rule(rest)
        markers = prefix.count(">") + (0 if rule else len(LIST_MARKER.findall(prefix)))
        return cls(text, prefix, text[len(prefix):], rest, rule, markers)

    @property
    def depth(self) -> int:
        """How deep it is nested: a level for each marker, and for each 4 spaces before them."""
        return self.markers + (len(self.prefix) - len(self.prefix.lstrip(" "))) // 4 if self.markers else 0


@dataclass
class _Block:
    """The lines since the last blank line: a paragraph, list or table (or several, to Python-Markdown)."""

    start: int  # its first line's index
    end: int = 0
    parts: int = 0  # for markers and headings, counted as the lines come
    prefix_marks: int = 0  # marks that are list bullets or quote markers
    splits: int = 0  # lines at which Python-Markdown may split it, and read the rest again
    extra: dict[int, int] = field(default_factory=dict)  # the parts counted above, by line


@dataclass
class _Target:
    """A link target opened by `](`, while its `)` is looked for."""

    start: int
    quotes: tuple[int, int] | None = None  # how many ' and " came before the first quote inside it


@dataclass
class _Scan:
    """One pass over a body's lines, with the page's totals."""

    path: str
    lines: list[str]
    number: Callable[[int], int]  # the file line of `lines[i]`
    problems: dict[str, Problem] = field(default_factory=dict)
    parts: int = 0
    bracketed: int = 0
    targets: int = 0
    code: int = 0
    splitting: int = 0

    def report(self, kind: str, number: int, message: str) -> None:
        if kind not in self.problems:
            self.problems[kind] = Problem(self.path, number, message)

    def run(self) -> None:
        """Check the lines, as Python-Markdown reads them."""
        block: _Block | None = None
        previous: _Line | None = None  # the last line of the block, if it is not plain text
        for index, line in enumerate(self.lines):
            if not line.strip(" \t"):
                if block is not None:
                    self._end(block, index)
                    block = None
                self._add_parts(1, index)
                continue
            if block is None:
                block, previous = _Block(index), None
            if PLAIN_START.match(line) and not (previous is not None and previous.text.startswith("    ")):
                previous = None
                continue
            previous = self._line(block, index, _Line.read(line), previous)
        if block is not None:
            self._end(block, len(self.lines))

    def _line(self, block: _Block, index: int, line: _Line, previous: _Line | None) -> _Line:
        """Take a line that is not plain text: its nesting, headings and the splits it may cause."""
        if line.depth > MAX_NESTING:
            self.report("nesting", self.number(index),
                        f"this line is nested {line.depth} levels deep in lists or quotes, more than the "
                        f"{MAX_NESTING} allowed: use fewer levels (each `-`, `*`, `1.` or `>` that starts the line is "
                        "a level, and so are each 4 spaces before them)")
        headings = self._headings(block, index, line)
        block.extra[index] = line.markers + headings
        block.parts += line.markers + headings
        block.prefix_marks += line.prefix.count(">") + line.prefix.count("*")
        block.splits += headings > 0 or _splits(line, previous, index > block.start)
        return line

    def _headings(self, block: _Block, index: int, line: _Line) -> int:
        """How many headings the line makes: one if it starts with `#`, one if it underlines the line above."""
        headings = 0
        if line.content.startswith("#"):
            headings += 1
            self._heading(line.content, index, "")
        if index > block.start and SETEXT.fullmatch(line.rest):
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

    def _end(self, block: _Block, end: int) -> None:
        """Check a block that a blank line (or the end of the body) has ended."""
        block.end = end
        text = "\n".join(self.lines[block.start:end])
        marks = (len(text) - len(text.translate(WITHOUT_MARKS)) - block.prefix_marks + text.count("](")
                 + text.count("  \n") + text.endswith("  "))
        if marks > MAX_PARAGRAPH_MARKS:
            self.report("marks", self.number(block.start),
                        f"this paragraph, list or table has {marks:,} marks (`*`, `_`, `` ` ``, `[`, `]`, `<`, `>`, "
                        f"`&`, `\\`), more than the {MAX_PARAGRAPH_MARKS:,} allowed: put a blank line between "
                        "paragraphs, or split the list or table in two")
        cells = self._cells(block) if "|" in text else 0
        self._add_block_parts(block, end - block.start + block.parts + marks + cells)
        self.splitting += block.splits * (len(text) + 1)
        if self.splitting > MAX_SPLITTING:
            self.report("splitting", self.number(block.start), SPLITTING)
        if "[" in text:
            self._bracketed(block, text)
        if "](" in text:
            self._targets(block, text)
        if "`" in text:
            self._code(block, text)

    def _cells(self, block: _Block) -> int:
        """The most table cells the block can make: if any line could be a table's separator row, any line may be a
        row with a cell for each `|` in the widest line."""
        widest, table = 0, False
        for index in range(block.start, block.end):
            line = self.lines[index]
            pipes = line.count("|")
            if pipes > MAX_TABLE_COLUMNS + 1:
                self.report("columns", self.number(index),
                            f"this line has {pipes} `|` characters, more than the {MAX_TABLE_COLUMNS + 1} allowed: "
                            f"a table may have at most {MAX_TABLE_COLUMNS} columns, so split a wider one in two")
            widest = max(widest, pipes)
            rest = line.lstrip(" \t>")
            table = table or ("|" in rest and not rest.strip("|:- \t"))
        return (widest + 1) * (block.end - block.start) if table else 0

    def _add_parts(self, count: int, index: int) -> None:
        self.parts += count
        if self.parts > MAX_PARTS and "parts" not in self.problems:
            self.report("parts", self.number(index), f"this page is too big to publish as one page: by this line it "
                                                     f"has more than {MAX_PARTS:,} parts (lines, headings, list "
                                                     "items, table cells, links and marks such as `*` and `_`): "
                                                     "split it into two or more pages")

    def _add_block_parts(self, block: _Block, count: int) -> None:
        """Add a block's parts; if they take the page over the limit, find the line where it does."""
        if "parts" in self.problems or self.parts + count <= MAX_PARTS:
            self.parts += count
            return
        for index in range(block.start, block.end):
            line = self.lines[index]
            line_parts = 1 + block.extra.get(index, 0) + len(line) - len(line.translate(WITHOUT_MARKS))
            self._add_parts(line_parts, index)
            count -= line_parts
            if "parts" in self.problems:
                break
        self._add_parts(count, block.end - 1)  # the rest: table cells, `](` and line breaks

    def _line_at(self, block: _Block, offset: int) -> int:
        """The file line of a position in the block's text (worked out only for a report, so once a kind)."""
        starts, position = [], 0
        for line in self.lines[block.start:block.end]:
            starts.append(position)
            position += len(line) + 1
        return self.number(block.start + bisect_right(starts, offset) - 1)

    def _bracketed(self, block: _Block, text: str) -> None:
        """Python-Markdown reads from each `[` to its `]` three times (for a link, a reference and a short
        reference), and to the end of the paragraph if there is none."""
        opened: list[int] = []
        for token in BRACKET_TOKEN.finditer(text):
            if token.group() == "[":
                opened.append(token.start())
            elif token.group() == "]" and opened:
                start = opened.pop()
                self._add_bracketed(block, token.start() - start, start)
        for start in opened:
            self._add_bracketed(block, len(text) - start, start)

    def _add_bracketed(self, block: _Block, span: int, start: int) -> None:
        self.bracketed += span
        if self.bracketed > MAX_BRACKETED and "bracketed" not in self.problems:
            self.report("bracketed", self._line_at(block, start),
                        f"by this line, the text inside square brackets adds up to more than {MAX_BRACKETED:,} "
                        "characters: close each `[` with a `]` soon after it (a link's text should be short), and "
                        "write `\\[` for a square bracket that is just text")

    def _targets(self, block: _Block, text: str) -> None:
        """Python-Markdown reads from each link target's `](` to its `)`, and to the end of the paragraph if there
        is none, or if the target holds a quotation mark that does not end a title just before the `)`."""
        stack: list[_Target | None] = []  # a target, or None for another `(`, for each `(` not yet closed
        unquoted: list[_Target] = []  # the open targets with no quotation mark in them yet
        quotes = {"'": 0, '"': 0}
        for token in TARGET_TOKEN.finditer(text):
            kind = token.group()
            if kind == "](":
                stack.append(_Target(token.end() - 1))
                unquoted.append(stack[-1])  # type: ignore[arg-type]
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
                    closed = target.quotes is None or _title_ends(text, token.start(), target.quotes, quotes)
                    self._add_target(block, (token.start() if closed else len(text)) - target.start, target.start)
        for target in stack:
            if target is not None:
                self._add_target(block, len(text) - target.start, target.start)

    def _add_target(self, block: _Block, span: int, start: int) -> None:
        self.targets += span
        if self.targets > MAX_LINK_TARGETS and "targets" not in self.problems:
            self.report("targets", self._line_at(block, start),
                        f"by this line, the link addresses (from `](` to `)`) add up to more than "
                        f"{MAX_LINK_TARGETS:,} characters: end each address with a `)` straight after it, and write "
                        "a quotation mark or apostrophe in an address as `%22` or `%27`")

    def _code(self, block: _Block, text: str) -> None:
        """Python-Markdown reads from each run of backticks to the next run as long, and to the end of the
        paragraph if there is none."""
        following: dict[int, int] = {}  # where the next run of each length starts
        for run in reversed(list(BACKTICKS.finditer(text))):
            start, ticks = run.start(2), len(run.group(2))
            opening = ticks - len(run.group(1)) % 2  # a backslash just before a backtick escapes it
            if opening:
                self.code += following.get(opening, len(text)) - start
                if self.code > MAX_CODE_SCAN and "code" not in self.problems:
                    self.report("code", self._line_at(block, start),
                                f"by this line, the text after backticks (`` ` ``) that are not closed adds up to "
                                f"more than {MAX_CODE_SCAN:,} characters: close each `` ` `` with another straight "
                                "after the code, or write `\\`` for a backtick that is just text")
            following[ticks] = start


def _splits(line: _Line, previous: _Line | None, inside: bool) -> bool:
    """Whether Python-Markdown may split a block at this line (not a heading), and read what follows again: at a
    rule, at a reference definition (but not the next of several), at a quote after text, at text after code.
    `previous` is the line before, unless it is plain text; `inside` is whether there is a line before."""
    if line.rule:
        return True
    if REFERENCE.match(line.content):
        return previous is None or not REFERENCE.match(previous.content)
    if not inside:
        return False
    if ">" in line.prefix:
        return previous is None or ">" not in previous.prefix
    return previous is not None and previous.text.startswith("    ") and not line.text.startswith("    ")


def _is_rule(text: str) -> bool:
    """Whether `text` (a line after its quote markers) is a horizontal rule, as Python-Markdown reads one."""
    text = text.rstrip(" ")
    return "   " not in text and any(text.count(mark) >= 3 and not text.replace(mark, "").strip(" ")
                                      for mark in "-*_")


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
