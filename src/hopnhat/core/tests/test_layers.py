"""The floors of the house: `core` is the ground floor every app stands on and imports none of them; the domain
apps never import the shell, which stands above them (docs/architecture.md)."""

import ast
from pathlib import Path

import hopnhat

SRC = Path(hopnhat.__file__).parent
DOMAIN_APPS = {"org", "consolidation", "portal", "dossiers", "documents", "mail", "reports"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(app: str):
    for path in sorted((SRC / app).rglob("*.py")):
        if "tests" in path.relative_to(SRC).parts:
            continue
        yield path


def _offending(app: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in _modules(app):
        for name in _imports(path):
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "hopnhat" and parts[1] in forbidden:
                found.append(f"{path.relative_to(SRC)} imports {name}")
    return sorted(set(found))


def test_core_imports_no_app():
    assert _offending("core", DOMAIN_APPS | {"shell"}) == []


def test_domain_apps_never_import_the_shell():
    offending = []
    for app in DOMAIN_APPS:
        if (SRC / app).is_dir():
            offending += _offending(app, {"shell"})
    assert offending == []


def test_the_check_sees_an_offending_import(tmp_path, monkeypatch):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text("from hopnhat.org.access import is_staff_member\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", tmp_path)
    assert _offending("core", DOMAIN_APPS) == ["core/bad.py imports hopnhat.org.access",
                                                "core/bad.py imports hopnhat.org.access.is_staff_member"]
