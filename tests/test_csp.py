"""The Content-Security-Policy of every page: no page triggers a violation in Chromium, pages other than search
forbid every script, and search works under its own, minimal policy."""
from __future__ import annotations

import html as entities
import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from portal.model import Site
from tests.htmltools import page_paths

CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
LISTEN = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`));"""


def policy(html: str) -> dict[str, list[str]]:
    """A page's CSP, directive by directive."""
    match = CSP_META.search(html)
    assert match, "no Content-Security-Policy meta tag"
    directives = [part.split() for part in entities.unescape(match.group(1)).split(";") if part.strip()]
    names = [d[0] for d in directives]
    assert len(names) == len(set(names)), f"a directive is repeated, and the browser ignores the repeat: {names}"
    return {d[0]: d[1:] for d in directives}


def test_no_page_but_search_may_run_a_script(built: tuple[Path, Site]) -> None:
    out, _site = built
    for page in out.rglob("*.html"):
        csp = policy(page.read_text(encoding="utf-8"))
        scripts = csp.get("script-src", csp["default-src"])
        if page.relative_to(out).as_posix() == "search/index.html":
            assert scripts == ["'self'", "'wasm-unsafe-eval'"], scripts
            assert csp["worker-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
        else:
            assert scripts == ["'none'"], f"{page}: {csp}"
            assert "worker-src" not in csp, page
        assert csp["default-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], page


def test_no_page_triggers_a_violation(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    out, _site = built
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
    page.add_init_script(LISTEN)
    violations = []
    for path in page_paths(out) + ["search/?q=disability&area=Workforce"]:
        page.goto(site_url + path)
        if "?" in path:
            expect(page.locator("#search-status")).to_contain_text("result")
        violations += [f"/{path}: {v}" for v in page.evaluate("window.__violations")]
    assert violations == [] and console == [], violations + console


def test_search_works_under_its_policy_with_pagefind_in_a_worker(page: Page, site_url: str) -> None:
    warnings: list[ConsoleMessage] = []
    page.on("console", lambda m: warnings.append(m) if m.type in ("warning", "error") else None)
    page.add_init_script(LISTEN)
    with page.expect_worker(lambda w: w.url.endswith("pagefind-worker.js")):
        page.goto(site_url + "search/?q=Islamic+Centre")
    expect(page.locator(".search-results__title").first).to_have_text("Islamic Centre Visit")
    assert page.evaluate("window.__violations") == []
    assert [m.text for m in warnings] == []


def test_a_script_slipped_into_a_page_would_not_run(page: Page, site_url: str) -> None:
    def inject(route: Route) -> None:
        html = route.fetch().text().replace("</main>", "<script>document.title = 'ran'</script></main>")
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route("**/casestudies/07-offender-services/", inject)
    page.add_init_script(LISTEN)
    page.goto(site_url + "casestudies/07-offender-services/")
    assert page.title() != "ran"
    assert page.evaluate("window.__violations") == ["script-src-elem blocked inline"]


def test_search_works_under_its_policy_without_the_worker(page: Page, site_url: str) -> None:
    # Where the worker cannot start, Pagefind searches on the page itself: that is what 'wasm-unsafe-eval' is for.
    page.route("**/pagefind-worker.js", lambda route: route.fulfill(status=404, body=""))
    page.add_init_script(LISTEN)
    page.goto(site_url + "search/?q=Islamic+Centre")
    expect(page.locator(".search-results__title").first).to_have_text("Islamic Centre Visit")
    assert page.evaluate("window.__violations") == []
