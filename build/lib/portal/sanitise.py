"""The last layer between content and a page: every piece of HTML not written by a template passes an allowlist
sanitiser (nh3, the binding of Rust's ammonia) before it can reach one, wherever it came from (Python-Markdown,
the quick renderer or the cache)."""
from __future__ import annotations

from typing import Any

import nh3
from markupsafe import Markup

from .urls import SAFE_SCHEMES

TAGS = frozenset({"a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol",
                  "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"})
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "th": {"style"},
              "td": {"style"}, **{f"h{level}": {"id"} for level in range(1, 7)}}
_CLEANER = nh3.Cleaner(tags=set(TAGS), attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
                       url_schemes=set(SAFE_SCHEMES), link_rel=None, strip_comments=True,
                       filter_style_properties={"text-align"})


class Clean(str):
    """HTML that has passed the sanitiser."""

    __slots__ = ()


def clean(html: str) -> Clean:
    """`html` with everything not on the allowlist removed: scripts, event handlers, unsafe link targets, styles
    other than a table cell's alignment."""
    return html if isinstance(html, Clean) else Clean(_CLEANER.clean(html))


def safe(value: Any) -> Markup:
    """Jinja's `safe` filter, replaced: HTML a template marks safe is sanitised first, unless it already has been."""
    return Markup(clean(str(value)) if not isinstance(value, Clean) else value)
