"""Headless Chromium for the browser tests: launch settings and the accessibility check.

The fixtures that use these live in src/hopnhat/conftest.py (`browser`, `browser_page`, `phone_page`,
`desktop_page`, `assert_accessible`); docs/contributing.md says how to write a browser test.
"""

import os
from pathlib import Path

CHROMIUM = os.environ.get("HOPNHAT_CHROMIUM", "/usr/bin/chromium")
# Quiet, offline, root-safe: no sandbox (CI runs as root), no GPU, and nothing that phones home.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1366, "height": 900},
}
# axe-core impact levels that fail a test; "moderate" and "minor" are reported by axe but left to review.
FAILING_IMPACTS = ("serious", "critical")


def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium không có ở {CHROMIUM} / Chromium not found at {CHROMIUM}: run "
                                f"`scripts/dev test` (ensure_chromium installs it) or set HOPNHAT_CHROMIUM")
    return CHROMIUM


def axe_violations(page, impacts=FAILING_IMPACTS) -> list[dict]:
    """Run axe-core (the copy shipped in axe-playwright-python) on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} — {targets} ({v['helpUrl']})")
    return "\n".join(lines)
