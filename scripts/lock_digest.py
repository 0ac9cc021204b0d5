"""The digest of pyproject.toml's dependency lists, which requirements.lock records on its first line.

    python scripts/lock_digest.py              print the digest of pyproject.toml's dependencies
    python scripts/lock_digest.py --check      exit 1, saying how to refresh, when requirements.lock was made
                                               from other dependency lists than pyproject.toml's
"""

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
MARK = "# pyproject-dependencies-sha256: "


def digest() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lists = {"dependencies": project.get("dependencies", []),
             "test": project.get("optional-dependencies", {}).get("test", [])}
    return hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()


def recorded() -> str | None:
    if not LOCK.exists():
        return None
    for line in LOCK.read_text(encoding="utf-8").splitlines()[:40]:
        if line.startswith(MARK):
            return line[len(MARK):].strip()
    return None


def main() -> int:
    if "--check" not in sys.argv:
        print(digest())
        return 0
    if recorded() != digest():
        print("requirements.lock không khớp pyproject.toml (phụ thuộc đã đổi) / requirements.lock does not match "
              "pyproject.toml's dependencies.\n  Làm mới / refresh: scripts/dev lock   (then commit requirements.lock)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
