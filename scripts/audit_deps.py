"""Known vulnerabilities of the locked requirements, through pip-audit (PyPI's advisory data).

    python scripts/audit_deps.py requirements.lock [--all]

Fails (exit 1) when a locked version has a known vulnerability that a newer release fixes, naming the package,
the advisory and the versions that fix it (raise the range in pyproject.toml or run `scripts/dev lock`).
Advisories without a fixed release are printed as warnings: nothing to upgrade to yet (`--all` fails on them too).

A package pip-audit could not look up (the index answers no per-release JSON, as a mirror may not, or the
advisory service is unreachable) was not audited: that fails too, naming them, because an audit that checked
nothing must not pass. HOPNHAT_AUDIT_UNREACHABLE_OK=1 turns that one case into a warning, for machines whose
index is a mirror without the JSON API.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")
    strict = "--all" in sys.argv
    if "--report" in sys.argv:  # judge a pip-audit JSON report already made (how this script is checked)
        return judge(json.loads(Path(sys.argv[sys.argv.index("--report") + 1]).read_text()), strict)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        # --no-deps --disable-pip: the lock already pins every package; nothing is installed to audit it.
        done = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(lock), "--no-deps", "--disable-pip",
                               "--progress-spinner", "off", "-f", "json", "-o", str(report)],
                              capture_output=True, text=True, check=False)
        if not report.exists() or not report.read_text().strip():
            print(f"pip-audit failed / không chạy được:\n{done.stderr}", file=sys.stderr)
            return 2
        data = json.loads(report.read_text())
    return judge(data, strict)


def judge(data: dict, strict: bool) -> int:
    fixable, unfixed = [], []
    skipped = [f"{d['name']}: {d['skip_reason']}" for d in data.get("dependencies", []) if d.get("skip_reason")]
    for dep in data.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            line = f"{dep['name']} {dep.get('version')}: {vuln['id']} ({', '.join(vuln.get('aliases', []))})"
            (fixable if vuln.get("fix_versions") else unfixed).append(
                line + (f" → sửa ở / fixed in {', '.join(vuln['fix_versions'])}" if vuln.get("fix_versions") else ""))
    for line in unfixed:
        print(f"cảnh báo / warning (chưa có bản sửa / no fix released): {line}", file=sys.stderr)
    if fixable or (strict and unfixed):
        print("Lỗ hổng đã biết có bản sửa / known vulnerabilities with a fix:\n  " + "\n  ".join(fixable or unfixed),
              file=sys.stderr)
        return 1
    audited = len(data.get("dependencies", [])) - len(skipped)
    if skipped:
        print(f"pip-audit: {len(skipped)} gói không kiểm được / packages could not be audited (first: "
              f"{skipped[0]})", file=sys.stderr)
        if os.environ.get("HOPNHAT_AUDIT_UNREACHABLE_OK") != "1":
            return 1
    print(f"pip-audit: {audited} gói/packages đã kiểm / audited, không có lỗ hổng cần sửa / nothing to fix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
