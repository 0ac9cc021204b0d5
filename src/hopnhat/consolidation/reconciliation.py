"""Proof that nothing was lost: every source record read is staged, every staged record has exactly one outcome,
every loaded or merged record points at a target that exists, and each reconciled field holds in the target
what the source said (compared per record, summed into an order-independent checksum per field).

`reconcile_run(run)` answers for one run and for the whole stream so far; `write_report` writes the answer as
JSON and as one self-contained HTML page (inline SVG, no outside assets) under var/reports/.
"""

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string

from hopnhat.core.lang import pick, vi_en
from hopnhat.core.text import nfc

from .models import OUTCOMES, MigrationRun, Outcome, StagedRecord

MISSING = object()
_MOD = 2**128
_SAMPLES = 20


def normal(value: Any) -> str:
    """How a value compares across systems: text NFC, dates ISO, empty and None alike."""
    if value is None or value is MISSING:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return nfc(str(value))


def _digest(key: str, value: str) -> int:
    # 128 bits of BLAKE2b: a run hashes every reconciled field of every record, and for such short texts it
    # costs half of sha256. The sums are compared within one run only, never with another version's.
    return int.from_bytes(hashlib.blake2b(f"{key}\x1f{value}".encode(), digest_size=16).digest(), "big")


# Field types whose text form in SQL is exactly normal() of the value Python reads (NFC aside, which only makes
# SQL report a difference that Python then settles): compared in the database.
_SQL_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
_SQL_DATE = {"DateField"}
_SQL_INT = {"IntegerField", "SmallIntegerField", "BigIntegerField", "PositiveIntegerField",
            "PositiveSmallIntegerField", "PositiveBigIntegerField"}


def target_field(model, path: str):
    """The model field a reconciled target attribute names: a column of the target (`subject`) or, through
    forward foreign keys, of a record it points at (`document__subject`: the value the importer stores on the
    related document). ([the foreign keys followed], the final field)."""
    hops, current = [], model
    *links, last = path.split("__")
    for name in links:
        field = current._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            raise ValueError(f"{model._meta.label}: “{path}” goes through {name}, not a forward foreign key")
        hops.append(field)
        current = field.related_model
    return hops, current._meta.get_field(last)


def read_back(model, fields: list[str], expected: dict[str, list[str]]) -> dict[str, dict[str, Any] | None]:
    """The targets (pk as text → normal() values of `fields`) that do not hold the expected values in the
    database: {pk: the row's values} for those that differ, {pk: None} for those missing. A field may be a path
    through forward foreign keys (`document__subject`, see target_field). On PostgreSQL one query compares an md5
    of the fields in the database (joining the related tables) and returns only the differing rows; elsewhere
    (or for other field types) the rows are read and compared here."""
    from django.db import connection

    resolved = [target_field(model, f) for f in fields]
    kinds = [final.get_internal_type() for _, final in resolved]
    if connection.vendor != "postgresql" or not all(k in _SQL_TEXT | _SQL_DATE | _SQL_INT for k in kinds):
        rows = {str(r["pk"]): r for r in model._default_manager.filter(pk__in=list(expected)).values("pk", *fields)}
        differing: dict[str, dict[str, Any] | None] = {}
        for pk, values in expected.items():
            row = rows.get(pk)
            if row is None or [normal(row[f]) for f in fields] != values:
                differing[pk] = row
        return differing
    from . import bulk

    meta = model._meta
    joins: dict[tuple[str, ...], str] = {(): "t"}   # path prefix → its table's alias
    join_sql = []
    columns = []
    for hops, final in resolved:
        prefix: tuple[str, ...] = ()
        for hop in hops:
            parent = joins[prefix]
            prefix = (*prefix, hop.name)
            if prefix not in joins:
                alias = joins[prefix] = f"j{len(joins)}"
                target = hop.target_field
                join_sql.append(f'LEFT JOIN "{hop.related_model._meta.db_table}" {alias} '
                                f'ON {alias}."{target.column}" = {parent}."{hop.column}"')
        columns.append(f'{joins[prefix]}."{final.column}"')
    parts = [f"coalesce(to_char({column}, 'YYYY-MM-DD'), '')" if kind in _SQL_DATE else
             f"coalesce({column}::text, '')" if kind in _SQL_INT else f"coalesce({column}, '')"
             for column, kind in zip(columns, kinds, strict=True)]
    pk_type = meta.pk.db_type(connection)
    pk_column = f't."{meta.pk.column}"'
    pks = list(expected)
    hashes = [hashlib.md5("\x1f".join(expected[pk]).encode()).hexdigest() for pk in pks]  # noqa: S324 — a check
    sql = (f"SELECT v.pk, {pk_column} IS NOT NULL, {', '.join(columns)} "  # noqa: S608
           f"FROM unnest(%b::text[], %b::text[]) AS v(pk, h) "
           f'LEFT JOIN "{meta.db_table}" t ON {pk_column} = v.pk::{pk_type} {" ".join(join_sql)} '
           f"WHERE {pk_column} IS NULL OR md5(concat_ws(E'\\x1f', {', '.join(parts)})) <> v.h")
    with bulk.pg_cursor() as cur:
        cur.execute(sql, [pks, hashes], prepare=True)
        return {pk: (dict(zip(fields, values, strict=True)) if present else None)
                for pk, present, *values in cur.fetchall()}


def new_field_check(source_field: str, excluded: str = "", unaccounted: bool = False) -> dict[str, Any]:
    return {"source_field": source_field, "compared": 0, "mismatched": 0, "source_checksum": 0,
            "target_checksum": 0, "samples": [], "garbled": 0, "excluded": excluded, "unaccounted": unaccounted}


def field_plan(importer, mapping, target_model) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """What reconciliation compares for a run: ({target attribute: mapped field} compared, {mapped field: reason}
    left out, [mapped fields neither compared nor excused]). Every field the mapping maps is compared unless the
    importer names a reason to leave it out (api.DomainImporter.reconcile_exclude); a mapping without `fields:`
    (the record passed through as it is) compares what the importer declares."""
    declared = dict(importer.reconcile_fields)
    reasons = {k: v for k, v in importer.reconcile_exclude.items() if k not in importer.reconcile_other_fields}
    other = set(importer.reconcile_other_fields)
    compared = {target: source for target, source in declared.items() if source not in reasons}
    mapped = [rule.target for rule in mapping.fields]
    columns = set()
    if target_model is not None:
        columns = {f.name for f in target_model._meta.concrete_fields if not f.primary_key}
    excluded, unaccounted = {}, []
    covered = set(compared.values())
    for name in mapped:
        if name in covered or name in other:
            continue
        if name in reasons:
            excluded[name] = reasons[name]
        elif name in columns and name not in compared:
            compared[name] = name
            covered.add(name)
        else:
            unaccounted.append(name)
    if not mapped:
        excluded = {name: reason for name, reason in reasons.items() if name not in covered}
    return compared, excluded, unaccounted


def count_garbled(check: dict[str, Any], key: str, value: Any, why: str) -> None:
    """A source value that arrived garbled (encodings.garbled): the field cannot be reported as balanced."""
    check["garbled"] += 1
    if len(check.setdefault("garbled_samples", [])) < _SAMPLES:
        check["garbled_samples"].append({"key": key, "value": normal(value)[:200], "why": why})


def field_ok(check: dict[str, Any]) -> bool:
    return (check.get("mismatched", 0) == 0 and check.get("checksums_equal", True) and not check.get("garbled")
            and not check.get("unaccounted"))


def compare_field(check: dict[str, Any], key: str, source_value: Any, target_value: Any) -> None:
    """Add one record's field to the running check. Checksums are sums of per-record digests (mod 2^128), so
    they do not depend on order and add up across batches."""
    compare_normal(check, key, normal(source_value), normal(target_value), missing=target_value is MISSING)


def compare_normal(check: dict[str, Any], key: str, src: str, dst: str, *, missing: bool = False) -> None:
    """compare_field for values already normal()."""
    check["compared"] += 1
    source_digest = _digest(key, src)
    target_digest = source_digest if src == dst else _digest(key, dst)  # nearly always equal: hash once
    check["source_checksum"] = (check["source_checksum"] + source_digest) % _MOD
    check["target_checksum"] = (check["target_checksum"] + target_digest) % _MOD
    if src != dst:
        check["mismatched"] += 1
        if len(check["samples"]) < _SAMPLES:
            check["samples"].append({"key": key, "source": src,
                                     "target": "(thiếu / missing)" if missing else dst})


def compare_matching(check: dict[str, Any], pairs) -> None:
    """compare_normal for many records whose target holds exactly the source value: (key, normal value) pairs,
    each hashed once and the digests summed once (the same checksums, a fraction of the work)."""
    total = count = 0
    for key, value in pairs:
        total += _digest(key, value)
        count += 1
    check["compared"] += count
    check["source_checksum"] = (check["source_checksum"] + total) % _MOD
    check["target_checksum"] = (check["target_checksum"] + total) % _MOD


def finish_field_checks(checks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The checks as stored: checksums as hex text, and whether source and target sums agree."""
    return {name: {**c, "source_checksum": format(c["source_checksum"], "032x"),
                   "target_checksum": format(c["target_checksum"], "032x"),
                   "checksums_equal": c["source_checksum"] == c["target_checksum"]}
            for name, c in checks.items()}


def _outcome_counts(queryset) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in queryset.values("outcome").annotate(n=Count("id")):
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + row["n"]
    return counts


def _missing_targets(queryset) -> list[dict[str, Any]]:
    """Loaded or merged staged records whose target row no longer exists (an anti-join in the database)."""
    problems = []
    pointing = queryset.filter(outcome__in=["loaded", "merged"])
    for type_id in pointing.values_list("target_type", flat=True).distinct():
        if type_id is None:
            continue
        model = ContentType.objects.get_for_id(type_id).model_class()
        exists = model._default_manager.annotate(pk_text=Cast("pk", CharField())).filter(
            pk_text=OuterRef("target_pk"))
        for key, pk in pointing.filter(target_type_id=type_id).filter(~Exists(exists)).values_list(
                "key", "target_pk")[:_SAMPLES]:
            problems.append({"key": key, "target": f"{model._meta.label_lower}#{pk}"})
    return problems


def cumulative(system: str, stream: str | None = None) -> dict[str, Any]:
    """Where a system (or one stream of it) stands over all runs."""
    staged = StagedRecord.objects.filter(system=system)
    if stream:
        staged = staged.filter(stream=stream)
    counts = _outcome_counts(staged)
    total = staged.count()
    without_outcome = staged.exclude(outcome__in=OUTCOMES).count()
    pointerless = staged.filter(Q(outcome__in=["loaded", "merged"]) & (Q(target_type__isnull=True) | Q(target_pk="")))
    missing = _missing_targets(staged)
    return {
        "staged": total, "outcomes": counts, "source_deleted": staged.filter(source_deleted=True).count(),
        # quarantined records the source still holds: each has its outcome, and waits for a person's decision
        "waiting": staged.filter(outcome="quarantined", source_deleted=False).count(),
        "without_outcome": without_outcome, "without_target": pointerless.count(), "missing_targets": missing,
        "balanced": (sum(counts.values()) == total and without_outcome == 0 and not pointerless.exists()
                     and not missing),
    }


def reconcile_run(run: MigrationRun) -> dict[str, Any]:
    """The run's balance (from its counters and from the database) and the stream's cumulative balance."""
    t = run.totals or {}
    outcomes = t.get("outcomes", {})
    checks = []

    def check(name: str, left: int, right: int, vi: str, en: str) -> None:
        checks.append({"name": name, "ok": left == right, "left": left, "right": right, "vi": vi, "en": en})

    check("read_accounted", t.get("read", 0),
          t.get("new", 0) + t.get("changed", 0) + t.get("unchanged", 0) + t.get("repeated", 0),
          "Mỗi bản ghi đọc được là mới, thay đổi, không đổi hoặc đọc lại",
          "every record read is new, changed, unchanged or read again")
    check("one_outcome_each", sum(outcomes.values()), t.get("new", 0) + t.get("changed", 0) + t.get("reimported", 0),
          "Mỗi bản ghi mới/thay đổi có đúng một kết quả", "every new or changed record has exactly one outcome")
    if not run.dry_run:
        # Counted when the run finished (later runs move last_run on), so an old run reconciles the same way.
        touched = t.get("staged_touched", 0)
        check("all_staged", touched, t.get("read", 0) - t.get("repeated", 0) + t.get("deleted", 0),
              "Mọi bản ghi đã đọc đều nằm trong vùng đệm", "every record read is in staging")
    fields_ok = all(field_ok(f) for f in (run.field_checks or {}).values())
    whole = cumulative(run.system, run.stream)
    balanced = all(c["ok"] for c in checks) and fields_ok and (run.dry_run or whole["balanced"])
    return {
        "run": run.pk, "system": run.system, "stream": run.stream, "importer": run.importer,
        "dry_run": run.dry_run, "full_scan": run.full_scan, "status": run.status,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "cursor_from": run.cursor_from, "cursor_to": run.cursor_to,
        "totals": t, "checks": checks, "fields": run.field_checks or {}, "cumulative": whole,
        "quarantined": list(StagedRecord.objects.filter(last_run=run, outcome="quarantined")
                            .values("key", "reason")[:50]) if not run.dry_run else [],
        "balanced": balanced,
        **verdict(balanced, whole["waiting"]),
    }


def verdict(balanced: bool | None, waiting: int) -> dict[str, Any]:
    """What a run's report and the CLI say, as it is: never "no record lost" while records wait in quarantine."""
    if not balanced:
        vi, en = "KHÔNG cân đối", "NOT balanced"
    elif waiting:
        vi = f"Mọi bản ghi đều có kết quả; {waiting} bản ghi chờ quyết định"
        en = f"every record accounted for; {waiting} wait{'s' if waiting == 1 else ''} for a decision"
    else:
        vi, en = "Cân đối — không mất bản ghi nào", "balanced: no record lost"
    return {"waiting": waiting, "verdict_vi": vi, "verdict_en": en}


def report_dir() -> Path:
    path = Path(settings.VAR_DIR) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


_COLOURS = {"loaded": "#2e7d32", "merged": "#1565c0", "quarantined": "#c62828", "filtered": "#757575",
            "new": "#2e7d32", "changed": "#ef6c00", "unchanged": "#9e9e9e", "repeated": "#6a1b9a",
            "deleted": "#5d4037"}


# What each bar is called on the report, in one language (the outcomes' own labels; issue 19).
_BAR_LABELS = {**{o.value: o.label for o in Outcome},
               "new": vi_en("Mới", "New"), "changed": vi_en("Thay đổi", "Changed"),
               "unchanged": vi_en("Không đổi", "Unchanged"), "repeated": vi_en("Đọc lại", "Read again"),
               "deleted": vi_en("Đã xóa ở nguồn", "Deleted at the source")}


def bar_chart(values: dict[str, int], title: str) -> str:
    """A horizontal bar chart as inline SVG (no script, no outside asset)."""
    from django.utils.html import escape

    width, row, label_w = 640, 26, 250
    top = max(values.values() or [0]) or 1
    bars = []
    for i, (name, value) in enumerate(values.items()):
        y = 28 + i * row
        w = round((width - label_w - 80) * value / top)
        label = escape(pick(_BAR_LABELS.get(name, name)))
        bars.append(f'<text x="0" y="{y + 15}" font-size="13">{label}</text>'
                    f'<rect x="{label_w}" y="{y}" width="{w}" height="{row - 8}" '
                    f'fill="{_COLOURS.get(name, "#455a64")}"><title>{label}: {value:,}</title></rect>'
                    f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="13">{value:,}</text>')
    height = 36 + len(values) * row
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
            f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>{"".join(bars)}</svg>')


def write_report(run: MigrationRun, result: dict[str, Any]) -> dict[str, str]:
    """var/reports/run-<id>.json and .html; returns their paths."""
    base = report_dir() / f"run-{run.pk}"
    json_path, html_path = base.with_suffix(".json"), base.with_suffix(".html")
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder), encoding="utf-8")
    html_path.write_text(render_report(result), encoding="utf-8")
    return {"json": str(json_path), "html": str(html_path)}


def render_report(result: dict[str, Any], *, queue_url: str = "", request=None) -> str:
    """The report as one self-contained HTML page (the file, and the staff view of a run: given the request, its
    <style> carries the response's CSP nonce, without which the browser drops it)."""
    t = result["totals"]
    return render_to_string("consolidation/report.html", request=request, context={
        "queue_url": queue_url,
        "r": result,
        "read_chart": bar_chart({k: t.get(k, 0) for k in ("new", "changed", "unchanged", "repeated", "deleted")},
                                pick(vi_en("Bản ghi đọc trong lượt", "Records read in this run"))),
        "outcome_chart": bar_chart(t.get("outcomes", {}), pick(vi_en("Kết quả trong lượt", "Outcomes in this run"))),
        "cumulative_chart": bar_chart(result["cumulative"]["outcomes"],
                                      pick(vi_en("Kết quả lũy kế", "Cumulative outcomes"))),
        "cumulative_outcomes": [(_BAR_LABELS.get(name, name), n)
                                for name, n in result["cumulative"]["outcomes"].items()],
    })
