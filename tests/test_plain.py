"""The quick renderer for plain Markdown (portal/plain.py) gives exactly what Python-Markdown gives, or declines."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate_corpus
from portal import markup, plain, sanitise, urls
from tests.conftest import PROJECT


def _quick(text: str) -> markup.Rendered | None:
    result = plain.render(text, urls.is_safe)
    return None if result is None else markup.Rendered(result[0], tuple(markup.Heading(*h) for h in result[1]))


def _agrees(text: str) -> bool:
    """True if the quick renderer took the text and matched Python-Markdown; fails the test if it took it and
    differed; False if it declined."""
    quick = _quick(text)
    if quick is None:
        return False
    assert quick == markup.python_markdown(text), text
    return True


def _body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1] if text.startswith("---") else text


def test_real_content_is_rendered_the_same_and_mostly_quickly() -> None:
    bodies = [_body(p) for p in sorted((PROJECT / "content").rglob("*.md"))]
    taken = sum(_agrees(body) for body in bodies)
    assert taken >= len(bodies) * 0.8, f"only {taken} of {len(bodies)} content files were plain enough"


def test_the_benchmark_corpus_is_all_rendered_quickly_and_the_same(tmp_path: Path) -> None:
    corpus = generate_corpus(150, tmp_path / "content")
    assert corpus.tables > 0
    for path in corpus.studies:
        assert _agrees(_body(path)), path.name


@pytest.mark.parametrize("text", [
    "- a\n    - nested", "> quoted", "    code", "Some `code`.", "A [link](javascript:alert(1)).", "An ![image](a.png).",
    "A [link](javascript:void).", "A [link](data:text/html;base64,x).",
    "Raw <b>HTML</b>.", "Snake_case.", "&copy; 2010", "Line  \nbreak", "Title\n=====", "Text\n\n---\n\nMore",
    "- a\n\n- b", "[r]: https://example.org", "***both***", "2 * 3", "a | b\n--- | ---\n1 | 2", "## Heading ##",
])
def test_anything_not_plain_is_left_to_python_markdown(text: str) -> None:
    assert _quick(text) is None
    expected = markup.python_markdown(text)
    assert markup.render(text) == markup.Rendered(sanitise.clean(expected.html), expected.headings, expected.dropped)


TEXT = ["text", "plain words here.", "text **b** text", "*a*", "**a**", "**a** and *b*", "[t](/u)",
        "[t](http://x.org/a)", "see [a](#b).", "& co", "a > b", "100%", '"q"', "'s", "é accent", "2.5 million",
        "a*b*c", "[a](b)c", "x\u00a0y", "1 * 2", "**bold words here**", "*x* y *z*", "[two words](/a/b-c/)"]
ODD = ["# h", "##h", "## h ##", "-a", "-- dash", "- - x", "1. - x", "- 1. x", "1) a", "1.", "- ", "##", "# ",
       "---", "***", "* * *", "___", "===", "> q", "    code", "  two", "[x]: /u", "**a", "***a***", "** a **",
       "*a **b** c*", "[t]( /u)", '[t](/u "x")', "[ t](/u)", "[t]", "[t][r]", "![i](x)", "&amp;", "&#169;", "a_b",
       "`c`", "<b>", "a < b", "x  ", "x ", "\\*", "a|b|c", "| a | b", "|x|", "|-|", "<http://x>", "#hash tag",
       "- item\n  cont", "trailing #", "\ufeffbom"]


def _document(rng: random.Random) -> str:
    """A random document of plain blocks, now and then with a line of something else."""
    blocks = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.choice("hpppuotx")
        if kind == "h":
            lines = [rng.choice(["#", "##", "###", "####"]) + " "
                     + rng.choice(["Head", "Same", "Sub & co", "What we did", "2010/11", "Ünïcode", "a > b", "100%"])]
        elif kind == "p":
            lines = [rng.choice(TEXT) for _ in range(rng.randint(1, 3))]
        elif kind == "u":
            marker = rng.choice("-*+")
            lines = [(marker if rng.random() < 0.9 else rng.choice("-*+")) + " " + rng.choice(TEXT)
                     for _ in range(rng.randint(1, 4))]
        elif kind == "o":
            start = rng.choice([1, 1, 1, 2, 0])
            lines = [f"{start + i}. " + rng.choice(TEXT) for i in range(rng.randint(1, 4))]
        elif kind == "t":
            columns = rng.randint(1, 4)
            lines = ["| " + " | ".join(rng.choice(["a", "B c", "**b**", "[l](/x)", "1 & 2", ""])
                                       for _ in range(columns)) + " |",
                     "|" + "|".join(rng.choice(["---", ":--", "--:", ":-:", " --- "])
                                    for _ in range(columns if rng.random() < 0.9 else columns + 1)) + "|"]
            lines += ["| " + " | ".join(rng.choice(["x", "y z", "1", ""])
                                        for _ in range(rng.choice([columns, columns, columns - 1, columns + 1]))) + " |"
                      for _ in range(rng.randint(0, 3))]
        else:
            lines = [rng.choice(ODD)]
        if rng.random() < 0.05:
            lines.insert(rng.randint(0, len(lines)), rng.choice(ODD))
        blocks.append("\n".join(lines))
    text = "".join(block + rng.choice(["\n\n", "\n\n", "\n", "\n\n\n"]) for block in blocks)
    return text.strip("\n") if rng.random() < 0.3 else text


def test_thousands_of_generated_documents_are_rendered_the_same() -> None:
    rng = random.Random(2026)
    documents = [_document(rng) for _ in range(6000)]
    taken = sum(_agrees(text) for text in documents)
    assert taken > 1000, f"only {taken} generated documents were plain enough to compare"


def test_embedding_moves_headings_down_and_prefixes_ids_and_fragment_links() -> None:
    html = markup.render("# One\n\n## Two\n\nSee [two](#two) or [the site](https://example.org/#top).\n\n"
                         "###### Six\n\n### Three *x*").html
    embedded = markup.embed(html, "study-1", 1)
    assert embedded == (
        '<h2 id="study-1-one">One</h2>\n<h3 id="study-1-two">Two</h3>\n'
        '<p>See <a href="#study-1-two">two</a> or <a href="https://example.org/#top">the site</a>.</p>\n'
        '<h6 id="study-1-six">Six</h6>\n<h4 id="study-1-three-x">Three <em>x</em></h4>')
    assert markup.embed(html, "p", 0).replace("p-", "") == html


# Every kind of white space Python's str.split and str.strip know, which Python-Markdown strips and the quick
# renderer must not keep, with control characters, character references and the punctuation Markdown reads.
WHITE_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
PLAIN = st.sampled_from(["word", "two words", "a", "é", "ß", "中", "🌈", " ", ".", ",", ":", "'", '"', "&", "-", "#",
                         "2010/11", "[t](/u)", "[t](https://x.org/a)", "**b**", "*e*", "a\u00a0b", "(x)"])
ODD_PIECES = st.one_of(
    st.sampled_from([*WHITE_SPACE, "\x00", "\x02", "\x03", "\x1b", "\x7f", "\u200b", "\ufeff", "&amp;", "&#169;",
                     "&#x41;", "&copy;", "&;", "*", "**", "_", "`", "\\", "[", "]", "(", ")", "<", ">", "!", "  ", "|",
                     "#", "1."]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3),
)
PIECES = st.one_of(*[PLAIN] * 9, ODD_PIECES)  # mostly text the quick renderer takes, so that it is compared
LINE = st.lists(PIECES, min_size=1, max_size=8).map("".join).map(lambda line: line.strip(" ") or "x")
BLOCK = st.one_of(
    LINE,
    st.tuples(st.sampled_from(["# ", "## ", "### ", "- ", "* ", "+ ", "1. ", "2. ", "| "]), LINE).map("".join),
    st.lists(st.tuples(st.sampled_from(["- ", "1. ", "| ", ""]), LINE).map("".join), min_size=2, max_size=4)
    .map("\n".join),
    st.tuples(LINE, LINE).map(lambda pair: f"| {pair[0]} | {pair[1]} |\n|---|---|\n| x | y |"),
)
DOCUMENT = st.lists(st.tuples(BLOCK, st.sampled_from(["\n\n", "\n", "\n\n\n", "\n \n"])), min_size=1, max_size=6).map(
    lambda blocks: "".join(block + gap for block, gap in blocks))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_the_quick_renderer_agrees_with_python_markdown_on_any_text(text: str) -> None:
    _agrees(text)
