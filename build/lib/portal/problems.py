"""Problems found in content: each names a file, a line, what is wrong and what to write instead."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one content file; sorts by file, then line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised when content has problems; carries all of them, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    def report(self, published: bool = True) -> str:
        """The problems, one a line, followed by a count and, for a build (`published`), that nothing was."""
        n = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(f"{n} problem{'s' if n != 1 else ''} found{'; nothing was published' if published else ''}.")
        return "\n".join(lines)
