"""The published text keeps every word and figure of the source document: only the layout changes."""
from __future__ import annotations

import html
import re
from collections import Counter

import pytest

from portal import markup
from tests.conftest import PROJECT

CASE_STUDIES_SOURCE = PROJECT / "sources" / "havering-equality-case-studies.txt"
HEADING_WORDS = Counter("what we did why we did it the difference it made".split())


def source_case_studies() -> dict[int, str]:
    """Each case study's What/Why/Difference text from the source, by number (the Relevance column left out)."""
    lines = CASE_STUDIES_SOURCE.read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(lines) if re.match(r"^\d+\. \S", line) and "\t" not in line.strip()]
    studies = {}
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        cells = [line.split("\t")[:3] for line in lines[start + 1:end] if not line.startswith("What We Did")]
        studies[int(lines[start].split(".")[0])] = " ".join(" ".join(row) for row in cells)
    return studies


def words(text: str) -> Counter:
    """Lower-case words and figures, without markup, typed bullets or typographic quote differences."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text)).replace("•", " ")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    found = Counter(re.findall(r"[\w£%]+", text.lower()))
    found.pop("o", None)  # the source's typed "o" bullets
    return found


def published(number: int) -> str:
    path = next((PROJECT / "content" / "casestudies").glob(f"{number:02d}-*.md"))
    return markup.render(path.read_text(encoding="utf-8").split("\n---\n", 1)[1]).html


def test_the_source_document_is_there() -> None:
    assert CASE_STUDIES_SOURCE.is_file(), f"the source document must be at {CASE_STUDIES_SOURCE}"
    assert sorted(source_case_studies()) == list(range(1, 25))


@pytest.mark.parametrize("number", range(1, 25))
def test_every_word_and_figure_is_kept(number: int) -> None:
    source = words(source_case_studies()[number])
    page = words(published(number))
    assert source - page == Counter(), f"case study {number} lost words or figures"
    added = page - source - HEADING_WORDS
    assert sum(added.values()) <= 12, f"case study {number} added words: {dict(added)}"
