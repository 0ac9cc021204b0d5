"""hopnhat units load | lineage QUERY [--at YYYY-MM-DD] | show CODE [--vintage 2025-06-30|old|new]"""

import argparse
import datetime

from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.org import lineage
from hopnhat.org.models import Level, Vintage
from hopnhat.org.unit_data import UnitDataError
from hopnhat.org.units_load import load_national_units, summary

_VINTAGES = {"old": Vintage.OLD, "new": Vintage.NEW, Vintage.OLD.value: Vintage.OLD, Vintage.NEW.value: Vintage.NEW}
_KIND_VI = {"whole": "toàn bộ", "partial": "một phần"}


def _date(text: str) -> datetime.date:
    """argparse's type for --at: a wrong date is argparse's own error (exit 2, the usage, the reason)."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”: ngày phải có dạng YYYY-MM-DD / the date must be "
                                         f"YYYY-MM-DD") from None


def _place(unit) -> str:
    return ", ".join(unit.path_names())


def _vintage_label(unit) -> str:
    return "trước 01/7/2025" if unit.vintage == Vintage.OLD else "từ 01/7/2025"


class Command(HopnhatCommand):
    help = "Đơn vị hành chính và dòng kế thừa 2025 / administrative units and their 2025 lineage"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        sub.add_parser("load", help="nạp toàn bộ đơn vị cả nước (idempotent) / load every unit in the country")
        lineage_parser = sub.add_parser("lineage", help="đơn vị cũ nay ở đâu / where an old unit went")
        lineage_parser.add_argument("query", help="mã, tên hoặc đường dẫn: “Phường Đội Cấn, Quận Ba Đình, Hà Nội”")
        lineage_parser.add_argument("--at", type=_date, default=None, help="ngày tra cứu (mặc định hôm nay)")
        lineage_parser.add_argument("--level", choices=list(Level.values), default=None)
        show = sub.add_parser("show", help="một đơn vị theo mã / one unit by its code")
        show.add_argument("code")
        show.add_argument("--vintage", choices=sorted(_VINTAGES), default=None,
                          help="old = 2025-06-30, new = 2025-07-01 (mặc định: cả hai / both)")

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_load(self, **options):
        try:
            result = load_national_units()
        except UnitDataError as exc:
            raise CommandError(str(exc)) from exc
        self.emit({"ok": True, **result}, summary(result))

    def handle_lineage(self, query, at=None, level=None, **options):
        found = lineage.lookup(query, at=at, level=level)
        if not found.entries:
            raise bad_input(f"Không tìm thấy đơn vị nào khớp “{query}” / no unit matches “{query}”")
        lines = []
        if found.ambiguous:
            lines.append(f"“{query}” khớp {len(found.entries)} đơn vị / matches {len(found.entries)} units:")
        for entry in found.entries:
            unit = entry.match.unit
            lines.append(f"- {_place(unit)} [{unit.node_id}] ({_vintage_label(unit)})")
            lines.extend(f"    {sentence}" for sentence in entry.sentences)
            if entry.chain:
                for edge in entry.chain.current:
                    if edge.unit.pk != unit.pk:
                        default = ", mặc định" if edge.is_default else ""
                        lines.append(f"    → {_place(edge.unit)} [{edge.unit.node_id}] "
                                     f"({_KIND_VI[edge.kind]}{default})")
        self.emit({"ok": True, **found.as_dict()}, "\n".join(lines))

    def handle_show(self, code, vintage=None, **options):
        units = lineage.resolve(code)
        units = [m.unit for m in units if m.why == "code" and (vintage is None or m.unit.vintage == _VINTAGES[vintage])]
        if not units:
            raise bad_input(f"Không có đơn vị mã “{code}”{' thuộc ' + vintage if vintage else ''} "
                               f"/ no unit with code “{code}”")
        data, lines = [], []
        for unit in units:
            succ, pred = lineage.successors(unit), lineage.predecessors(unit)
            data.append({"unit": lineage.unit_dict(unit),
                         "aliases": sorted(unit.aliases.values_list("alias", flat=True)),
                         "successors": [e.as_dict() for e in succ],
                         "predecessors": [e.as_dict() for e in pred]})
            lines.append(f"{unit.name} [{unit.node_id}] ({_vintage_label(unit)}) — {_place(unit)}")
            lines.extend(f"    sau / after: {e.unit.name} ({_KIND_VI[e.kind]}{', mặc định' if e.is_default else ''})"
                         for e in succ)
            lines.extend(f"    trước / before: {e.unit.name} ({_KIND_VI[e.kind]})" for e in pred)
        self.emit({"ok": True, "units": data}, "\n".join(lines))
