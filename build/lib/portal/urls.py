"""Which link targets may reach a page: a URL is read as a browser reads it before its scheme is checked."""
from __future__ import annotations

import html
import re
from urllib.parse import unquote

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
C0_OR_SPACE = "".join(map(chr, range(0x21)))  # what a browser strips from both ends of a URL
TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")  # what a browser removes from anywhere in it
DECODINGS = 3  # percent-decoding applied this many times at most: enough to undo double and triple encoding


def as_browser_reads(url: str) -> str:
    """`url` as a browser reads it in an `href`: character references decoded, spaces and control characters
    stripped from both ends and tabs and newlines removed, then percent-encoding decoded (which browsers do not do
    for a scheme, but a check must not depend on it)."""
    text = TAB_OR_NEWLINE.sub("", html.unescape(url)).strip(C0_OR_SPACE)
    for _ in range(DECODINGS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = TAB_OR_NEWLINE.sub("", decoded).strip(C0_OR_SPACE)
    return text


def scheme(url: str) -> str | None:
    """The scheme of `url` as a browser reads it, in lower case; None for a relative URL or a fragment."""
    match = SCHEME.match(as_browser_reads(url))
    return match.group(1).lower() if match else None


def is_safe(url: str) -> bool:
    """True for a relative URL or fragment, and for http, https, mailto and tel links."""
    found = scheme(url)
    return found is None or found in SAFE_SCHEMES


def is_web_address(url: str) -> bool:
    """True for an absolute http or https URL with a host, such as a field of links to elsewhere must hold."""
    return scheme(url) in ("http", "https") and re.match(r"https?://[^/\s?#]+", url.strip(), re.IGNORECASE) is not None


def shown(url: str, width: int = 40) -> str:
    """`url` shortened for a message, printable characters only."""
    text = "".join(c if c.isprintable() else "?" for c in url)
    return text if len(text) <= width else text[:width - 1] + "…"
