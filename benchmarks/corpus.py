"""The synthetic corpus: N case studies written from the real case studies' words with a seeded random generator,
shaped like the real ones (front matter, three `##` sections of paragraphs and bullet lists, now and then a table),
beside copies of the real settings, areas, actions, groups, pages, organisations and sources that our generator
needs to build them (the peers are given the case studies only).
"""
from __future__ import annotations

import json
import random
import re
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
CONTENT = PROJECT / "content"
SEED = 4000
ORGANISATION = "havering"  # content/organisations/havering.md
SOURCE = "havering-equality-case-studies"  # content/sources/havering-equality-case-studies.md
SECTIONS = (("What we did", 0.45), ("Why we did it", 0.25), ("The difference it made", 0.30))
COPIED = ("site.yaml", "areas", "actions", "groups", "pages", "organisations", "sources")


def split_front_matter(text: str) -> tuple[str, str]:
    """A Markdown file's front matter and body."""
    _, front, body = text.split("---\n", 2)
    return front, body


def action_key(action_id: str) -> tuple[int, ...]:
    """Sort action ids numerically: 2.2 before 2.10."""
    return tuple(int(part) for part in action_id.split("."))


def real_action_ids(content: Path) -> list[str]:
    """The ids of the real framework actions, in order."""
    ids = [str(yaml.safe_load(split_front_matter(p.read_text(encoding="utf-8"))[0])["id"])
           for p in (content / "actions").glob("*.md")]
    return sorted(ids, key=action_key)


def real_words(content: Path) -> list[str]:
    """Every word of the real case studies' bodies, in file order, so sampling keeps their frequencies."""
    words: list[str] = []
    for path in sorted((content / "casestudies").glob("*.md")):
        body = split_front_matter(path.read_text(encoding="utf-8"))[1]
        body = "\n".join(line for line in body.splitlines() if not line.startswith(("#", "|")))
        words += re.findall(r"[A-Za-z][A-Za-z']*[A-Za-z]|\b[aA]\b", body)
    return words


class StudyWriter:
    """Writes synthetic case studies from the real ones' words, with a seeded random generator."""

    def __init__(self, words: list[str], action_ids: list[str], groups: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = words
        self.long_words = sorted({w.lower() for w in words if len(w) >= 4 and "'" not in w})
        self.action_ids = action_ids
        self.groups = groups
        self.used_slugs: set[str] = set()

    def figure(self) -> str:
        """A number as the case studies write them: a percentage, a count or a year."""
        kind = self.rng.random()
        if kind < 0.4:
            return f"{self.rng.randint(2, 98)}%"
        if kind < 0.7:
            return str(self.rng.randint(3, 450))
        return str(self.rng.randint(2005, 2011))

    def sentence(self, low: int = 8, high: int = 26) -> str:
        """One sentence of real words, sometimes with a figure."""
        words = [self.rng.choice(self.words) for _ in range(self.rng.randint(low, high))]
        if self.rng.random() < 0.2:
            words.insert(self.rng.randrange(len(words)), self.figure())
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        """Two to five sentences."""
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def bullets(self) -> str:
        """A bullet list of three to eight short items."""
        items = [self.sentence(3, 12).rstrip(".").lower() + ";" for _ in range(self.rng.randint(3, 8))]
        return "\n".join(f"- {item}" for item in items)

    def table(self) -> str:
        """A small table of measures with before and after figures."""
        rows = ["| Measure | Before | After |", "| --- | --- | --- |"]
        for _ in range(self.rng.randint(3, 6)):
            name = " ".join(self.rng.choice(self.long_words) for _ in range(self.rng.randint(1, 3))).capitalize()
            rows.append(f"| {name} | {self.rng.randint(5, 60)}% | {self.rng.randint(40, 99)}% |")
        return "\n".join(rows)

    def section(self, heading: str, budget: int, table: bool) -> str:
        """One `##` section of about `budget` characters: paragraphs, bullet lists and perhaps a table."""
        blocks = [f"## {heading}"]
        size = 0
        while size < budget or len(blocks) < 2:
            roll = self.rng.random()
            if roll < 0.2 and len(blocks) > 1 and not blocks[-1].startswith("- "):
                block = self.bullets()
            elif roll < 0.25 and heading.startswith("The difference"):
                block = f"### {self.sentence(2, 5).rstrip('.')}\n\n{self.paragraph()}"
            else:
                block = self.paragraph()
            blocks.append(block)
            size += len(block) + 2
        if table:
            blocks.insert(self.rng.randint(2, len(blocks)), self.table())
        return "\n\n".join(blocks)

    def title(self) -> tuple[str, str]:
        """A title of real words and a short name for the file that no other study has."""
        words = [self.rng.choice(self.long_words) for _ in range(self.rng.randint(2, 5))]
        slug = "-".join(re.sub(r"[^a-z0-9]", "", w) for w in words[:4])
        while slug in self.used_slugs:
            slug += "-" + self.rng.choice(self.long_words)
        self.used_slugs.add(slug)
        return " ".join(w.capitalize() for w in words), slug

    def study(self, number: int, width: int) -> tuple[str, str]:
        """One case study's file name and text, about 5.5 KB."""
        title, slug = self.title()
        target = self.rng.randint(4500, 6500)
        actions = sorted(self.rng.sample(self.action_ids, self.rng.randint(1, min(7, len(self.action_ids)))),
                         key=action_key)
        table = self.rng.random() < 0.08
        budgets = [(heading, share) for heading, share in SECTIONS]
        body_budget = target - 1100  # the front matter, and the last block's overshoot
        sections = [self.section(h, int(body_budget * share), table and i == 2) for i, (h, share) in enumerate(budgets)]
        first_paragraph = sections[0].split("\n\n")[1]
        summary = " ".join(re.split(r"(?<=\.) ", first_paragraph)[:2])
        front = [f"title: {json.dumps(title)}", f"number: {number}", f"summary: {json.dumps(summary)}",
                 f"organisation: {json.dumps(ORGANISATION)}", f"source: {json.dumps(SOURCE)}"]
        if self.rng.random() < 0.3:
            front.append(f"service: {json.dumps(' '.join(self.rng.choice(self.long_words) for _ in range(2)).title())}")
        front.append(f"actions: {json.dumps(actions)}")
        if self.groups and self.rng.random() < 0.35:
            front.append(f"groups: {json.dumps(sorted(self.rng.sample(self.groups, self.rng.randint(1, 2))))}")
        if self.rng.random() < 0.2:
            front.append(f"updated: 2010-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
        text = "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(sections) + "\n"
        return f"{number:0{width}d}-{slug}.md", text


@dataclass
class Corpus:
    """A generated content folder: its path, case study files and sizes."""

    content: Path
    studies: list[Path]
    total_bytes: int
    tables: int

    def describe(self) -> str:
        """One line about the corpus."""
        sizes = [p.stat().st_size for p in self.studies]
        return (f"{len(self.studies)} case studies, mean {statistics.mean(sizes) / 1000:.2f} KB "
                f"(min {min(sizes) / 1000:.1f}, max {max(sizes) / 1000:.1f}), {self.total_bytes / 1e6:.1f} MB, "
                f"{self.tables} with a table, seed {SEED}")


def generate_corpus(n: int, target: Path) -> Corpus:
    """Write N synthetic case studies and copies of the real settings, areas, actions, groups, pages, organisations
    and sources."""
    if target.exists():
        shutil.rmtree(target)
    (target / "casestudies").mkdir(parents=True)
    for name in COPIED:
        source = CONTENT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    groups = sorted(p.stem for p in (CONTENT / "groups").glob("*.md"))
    writer = StudyWriter(real_words(CONTENT), real_action_ids(CONTENT), groups, SEED)
    width = max(4, len(str(n)))
    studies, total, tables = [], 0, 0
    for number in range(1, n + 1):
        name, text = writer.study(number, width)
        path = target / "casestudies" / name
        path.write_text(text, encoding="utf-8")
        studies.append(path)
        total += len(text.encode())
        tables += "| --- |" in text
    return Corpus(target, studies, total, tables)
