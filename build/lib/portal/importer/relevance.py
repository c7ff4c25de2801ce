"""The framework actions a Relevance cell names, written as free text: "2.1, 2.4, 2.15., 2.16,", "All performance
measures from 2.1 to 2.23", "2.1. 2.2, 2.3 2.13 to 2.23", "2.23. 2.32". Ranges are expanded over the actions the
content has, stray punctuation is ignored, and every other word is given back so that nothing is guessed silently."""
from __future__ import annotations

import re
from dataclasses import dataclass

ID = r"(?<![\d.])(\d{1,3})\.(\d{1,3})(?!\d)"
RANGE = re.compile(ID + r"\s*(?:to|-|–|—|until|through)\s*" + ID.replace("(?<![\\d.])", ""), re.IGNORECASE)
ACTION = re.compile(ID)
WORD = re.compile(r"[^\W_]+")
FILLER = frozenset("all and to from the of performance measures measure actions action framework relevant relevance "
                   "including inclusive also plus".split())


@dataclass(frozen=True)
class Relevance:
    """What a Relevance cell says: the known actions it names in order, the ids it names that are not actions, and
    the words it holds besides ids and filler words (such as "except")."""

    actions: tuple[str, ...]
    unknown: tuple[str, ...]
    unread: tuple[str, ...]


def sort_key(action_id: str) -> tuple[int, ...]:
    """An action id's place in order: 2.9 before 2.10."""
    return tuple(int(part) for part in action_id.split("."))


def read(text: str, known: tuple[str, ...]) -> Relevance:
    """The actions `text` names, ranges expanded over the `known` action ids."""
    found: list[str] = []
    unknown: list[str] = []
    for start, end in ((_id(m.group(1, 2)), _id(m.group(3, 4))) for m in RANGE.finditer(text)):
        if sort_key(end) < sort_key(start):
            unknown.append(f"{start} to {end} (a range that runs backwards)")
            continue
        unknown += [end_id for end_id in (start, end) if end_id not in known]
        found += [a for a in known if sort_key(start) <= sort_key(a) <= sort_key(end)]
    rest = RANGE.sub(" ", text)
    for action_id in (_id(m.group(1, 2)) for m in ACTION.finditer(rest)):
        (found if action_id in known else unknown).append(action_id)
    words = [word for word in WORD.findall(ACTION.sub(" ", rest)) if word.lower() not in FILLER]
    return Relevance(tuple(sorted(dict.fromkeys(found), key=sort_key)), tuple(dict.fromkeys(unknown)), tuple(words))


def _id(parts: tuple[str, str]) -> str:
    return f"{int(parts[0])}.{int(parts[1])}"
