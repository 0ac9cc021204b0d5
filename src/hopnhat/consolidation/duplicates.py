"""Duplicate rules from a mapping's `duplicates:` block, shared by every importer.

    duplicates:
      exact: [national_id_hash]              # every listed field equal (and not empty) → the same record: merge
      fuzzy: [[name_key, birth_date]]        # each list equal (and not empty) → maybe the same: review queue

Exact rules merge; fuzzy rules never do — they only find candidates for a person to decide on.
"""

from typing import Any

from django.db.models import Model


def rules(spec: Any, default: list[list[str]]) -> list[list[str]]:
    if spec is None:
        return default
    if spec and all(isinstance(s, str) for s in spec):
        return [list(spec)]
    return [list(s) if not isinstance(s, str) else [s] for s in spec]


def rule_name(fields: list[str]) -> str:
    return "+".join(fields)


def find_exact(model: type[Model], values: dict[str, Any], spec: Any, default: list[list[str]]) -> Model | None:
    for fields in rules(spec, default):
        if all(values.get(f) not in (None, "") for f in fields):
            found = model._default_manager.filter(**{f: values[f] for f in fields}).order_by("pk").first()
            if found is not None:
                return found
    return None


def find_fuzzy(model: type[Model], values: dict[str, Any], spec: Any, default: list[list[str]],
               exclude_pk=None) -> list[tuple[str, Model]]:
    """(rule name, candidate) pairs, the oldest candidate first, each candidate once."""
    found: dict[Any, tuple[str, Model]] = {}
    for fields in rules(spec, default):
        if any(values.get(f) in (None, "") for f in fields):
            continue
        for candidate in model._default_manager.filter(**{f: values[f] for f in fields}).exclude(
                pk=exclude_pk).order_by("pk")[:20]:
            found.setdefault(candidate.pk, (rule_name(fields), candidate))
    return list(found.values())
