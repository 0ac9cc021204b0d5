"""What an old unit became, in the words the portal shows: "UBND xã X (cũ) — nay thuộc phường Y"."""

from hopnhat.org import lineage
from hopnhat.org.models import LAST_OLD_DAY, REFORM_DATE, AdminUnit, Level


def _lower_type(unit: AdminUnit) -> str:
    """"Thị trấn Vị Xuyên" → "thị trấn Vị Xuyên": the type word is lower case inside a sentence."""
    if unit.unit_type and unit.name.startswith(unit.unit_type):
        return unit.unit_type.lower() + unit.name[len(unit.unit_type):]
    return unit.name


def _places(units: list[AdminUnit]) -> str:
    """New units, each province named once: "xã Vị Xuyên, xã Bạch Ngọc (tỉnh Tuyên Quang)"."""
    by_province: dict[str, list[str]] = {}
    for unit in units:
        province = unit.province if unit.province_id and unit.province_id != unit.pk else None
        by_province.setdefault(_lower_type(province) if province else "", []).append(_lower_type(unit))
    return "; ".join(f"{', '.join(names)} ({province})" if province else ", ".join(names)
                     for province, names in by_province.items())


def historic_title(unit: AdminUnit) -> str:
    """"UBND tỉnh Hà Giang (cũ)" — the old people's committee whose portal we imported."""
    return f"UBND {_lower_type(unit)} (cũ)"


def _current_units(unit: AdminUnit) -> tuple[list[AdminUnit], bool]:
    """The units valid today that took the old unit over, and whether any step was a partial split."""
    edges = lineage.current(unit)
    units, partial = [], False
    for edge in edges:
        if edge.unit not in units:
            units.append(edge.unit)
        partial = partial or edge.kind == "partial"
    return units, partial


def successor_statement(unit: AdminUnit) -> dict:
    """{"vi", "en", "successors"}: one sentence each way, built from the lineage graph only."""
    units, partial = _current_units(unit)
    title = historic_title(unit)
    if not units:
        return {"vi": f"{title} — hoạt động đến hết ngày {LAST_OLD_DAY:%d/%m/%Y}; chưa có dữ liệu đơn vị kế thừa.",
                "en": f"{unit.name} (former) — active until {LAST_OLD_DAY:%d %B %Y}; no successor is recorded yet.",
                "successors": []}
    places = _places(units)
    if unit.level == Level.DISTRICT:
        # Districts were abolished, not merged: their area went to the new communes.
        vi = (f"{title} — cấp huyện kết thúc hoạt động từ ngày {REFORM_DATE:%d/%m/%Y}; "
              f"địa bàn nay thuộc {places}.")
        en = f"{unit.name} (former) — districts were abolished on {REFORM_DATE:%d %B %Y}; its area is now in {places}."
    elif partial:
        vi = f"{title} — nay được chia về {places}."
        en = f"{unit.name} (former) — now divided between {places}."
    else:
        vi = f"{title} — nay thuộc {places}."
        en = f"{unit.name} (former) — now part of {places}."
    return {"vi": vi, "en": en, "successors": units}
