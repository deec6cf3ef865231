"""Run axe-core (WCAG 2.2 AA rules) in headless Chromium over every page of a report.

Usage: python scripts/a11y_check.py outputs/barnet/2026-03
Needs Debian's chromium and axe-core from npm (`.ci/setup-browser` installs both into .ci/).
Prints violations by severity; exits 1 if any is serious or critical.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / ".ci" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=20000", "--dump-dom"]
RUNNER = ("axe.run(document,{runOnly:{type:'tag',values:%s}}).then(function(r){"
          "var p=document.createElement('pre');p.id='axe-results';p.textContent="
          "JSON.stringify(r.violations.map(function(v){return {id:v.id,impact:v.impact,"
          "nodes:v.nodes.length,help:v.help,target:v.nodes.slice(0,3).map(function(n)"
          "{return n.target.join(' ')})}}));document.body.appendChild(p);});")


def chromium() -> str | None:
    """Path of a Chromium binary, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def available() -> bool:
    """True when both Chromium and axe-core are installed."""
    return chromium() is not None and AXE.is_file()


def audit_page(page: Path) -> list[dict]:
    """axe violations of one page (the page is copied with axe injected; original untouched)."""
    html = page.read_text(encoding="utf-8")
    script = f"<script>{AXE.read_text(encoding='utf-8')}</script><script>{RUNNER % json.dumps(TAGS)}</script>"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
        out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp}/profile",
                              copy.as_uri()], capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="axe-results">(.*?)</pre>', out.stdout, re.S)
    if not m:
        raise RuntimeError(f"axe did not report for {page.name}: {out.stderr[-500:]}")
    import html as h

    return json.loads(h.unescape(m.group(1)))


def audit_report(folder: Path) -> dict[str, list[dict]]:
    """Violations for index.html and every chapter page."""
    pages = [folder / "index.html", *sorted((folder / "chapters").glob("*.html"))]
    return {p.name: audit_page(p) for p in pages}


def main() -> int:
    folder = Path(sys.argv[1])
    if not available():
        print("chromium or axe-core missing: run .ci/setup-browser", file=sys.stderr)
        return 2
    results = audit_report(folder)
    counts: dict[str, int] = {}
    for page, violations in results.items():
        for v in violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + 1
            print(f"{page}: [{v['impact']}] {v['id']}: {v['help']} ({v['nodes']} nodes) {v['target']}")
    print(f"pages: {len(results)}; violations by severity: {counts or 'none'}")
    return 1 if counts.get("serious") or counts.get("critical") else 0


if __name__ == "__main__":
    raise SystemExit(main())
