"""Accessibility check for every page the browser tests visit.

axe-core is taken from its npm package at test time (`npm pack`, cached under
tests/e2e/.cache, never committed). Every browser context the tests open gets a `load`
hook that runs `axe.run` (rules tagged wcag2a, wcag2aa, best-practice) once per Django URL
pattern per test session; critical and serious violations fail the session, with a report
in tests/e2e/artifacts/axe-report.json and in the terminal summary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

AXE_CORE_VERSION = os.environ.get("AXE_CORE_VERSION", "4.14.1")
CACHE = Path(__file__).resolve().parent / ".cache"
TAGS = ["wcag2a", "wcag2aa", "best-practice"]
BLOCKING = ("critical", "serious")

_RUN_AXE = """async (tags) => {
  if (document.contentType !== "text/html") return null;
  // An HTML fragment (a region refreshed in place) opened on its own is not a page.
  if (document.doctype === null) return null;
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    help_url: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      impact: n.impact,
      target: n.target.map(String),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""


class AxeUnavailable(RuntimeError):
    pass


@cache
def axe_source() -> str:
    """axe.min.js from the npm package, fetched once into the gitignored cache."""
    target = CACHE / f"axe-core-{AXE_CORE_VERSION}.min.js"
    if target.exists():
        return target.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm is not installed: apt-get install npm (needed for axe-core)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        done = subprocess.run(  # fixed arguments, npm from PATH
            [npm, "pack", f"axe-core@{AXE_CORE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        tarballs = list(Path(tmp).glob("axe-core-*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise AxeUnavailable(f"npm pack axe-core@{AXE_CORE_VERSION} failed: {done.stderr}")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise AxeUnavailable("axe-core package has no axe.min.js")
            source = member.read().decode("utf-8")
        partial = Path(tmp) / "axe.min.js"
        partial.write_text(source, encoding="utf-8")
        os.replace(partial, target)  # atomic: a parallel run never reads half a file
    return source


def url_pattern(url: str) -> str | None:
    """The Django route behind a URL ("projects/<slug:org>/<int:pk>/"), so each kind of
    page is checked once however many objects the tests create; None for non-page URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return "<not found>"
    return "/" + (match.route or parts.path.lstrip("/"))


@dataclass
class AxeCollector:
    checked: dict[str, str] = field(default_factory=dict)  # pattern -> first URL checked
    violations: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    current_test: str = ""

    def attach_context(self, context: Any) -> Any:
        context.on("page", self.attach_page)
        for page in context.pages:
            self.attach_page(page)
        return context

    def attach_page(self, page: Any) -> None:
        page.on("load", lambda *_: self.check(page))

    def check(self, page: Any) -> None:
        try:
            url = page.url
            pattern = url_pattern(url)
        except Exception as exc:  # a closing page must not break the test
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        if pattern is None or pattern in self.checked:
            return
        self.checked[pattern] = url  # claimed before running: no second run meanwhile
        try:
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(axe_source())
            found = page.evaluate(_RUN_AXE, TAGS)
        except Exception:  # navigated or closed mid-run: check on next visit
            del self.checked[pattern]
            return
        for violation in found or []:
            violation.update(page=urlsplit(url).path, pattern=pattern, test=self.current_test)
            self.violations.append(violation)

    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in BLOCKING]

    def write_report(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "axe_core": AXE_CORE_VERSION,
            "tags": TAGS,
            "pages_checked": dict(sorted(self.checked.items())),
            "blocking": len(self.blocking()),
            "violations": self.violations,
        }
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    def summary_lines(self) -> list[str]:
        lines = []
        for v in self.blocking():
            lines.append(f"[{v['impact']}] {v['rule']} on {v['page']} ({v['help']})")
            lines.append(f"    first seen in {v['test']}")
            for node in v["nodes"][:5]:
                lines.append(f"    target: {' '.join(node['target'])}")
            if v["nodes"]:
                lines.append(f"    html: {v['nodes'][0]['html'][:300]}")
            if len(v["nodes"]) > 5:
                lines.append(f"    ... and {len(v['nodes']) - 5} more elements")
        return lines


collector = AxeCollector()
