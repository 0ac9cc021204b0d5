"""Period codes: 2024M03 (month), 2024Q4 (quarter), 2024H1 (six months), 2024N9 (nine months), 2024 (year).

`parse` gives the calendar start and end; `cutoff` the data cut-off window under Decree 09/2019 art. 12 when the
period type says so (cut-off day 15: from the 15th of the month before the period's first month to the 14th of
its last month); `due` the deadline in working days (core.workdays) after the cut-off end."""

import calendar
import datetime
import re
from dataclasses import dataclass

from hopnhat.core import workdays

_CODE = re.compile(r"^(?P<year>\d{4})(?:(?P<kind>[MQHN])(?P<n>\d{1,2}))?$")
_MONTHS = {"M": 1, "Q": 3, "H": 6, "N": 9}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # M Q H N Y
    start: datetime.date
    end: datetime.date

    def label(self, lang: str = "vi") -> str:
        year = self.start.year
        n = int(self.code[5:]) if len(self.code) > 4 else 0
        if lang == "vi":
            return {"M": f"Tháng {n}/{year}", "Q": f"Quý {n}/{year}", "H": f"6 tháng {'đầu' if n == 1 else 'cuối'} "
                    f"năm {year}", "N": f"9 tháng năm {year}", "Y": f"Năm {year}"}[self.kind]
        return {"M": f"{calendar.month_abbr[n]} {year}", "Q": f"Q{n} {year}", "H": f"H{n} {year}",
                "N": f"9 months {year}", "Y": f"{year}"}[self.kind]


def parse(code: str) -> Period:
    text = (code or "").strip().upper()
    match = _CODE.match(text)
    if not match:
        raise PeriodError(f"kỳ báo cáo không hợp lệ / not a period code: {code!r} (2024Q4, 2024M03, 2024H1, "
                          "2024N9, 2024)")
    year = int(match["year"])
    kind = match["kind"] or "Y"
    if kind == "Y":
        return Period(str(year), "Y", datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    n = int(match["n"])
    span = _MONTHS[kind]
    limits = {"M": 12, "Q": 4, "H": 2, "N": 1}
    if kind == "N" and n == 9:
        n = 1
    if not 1 <= n <= limits[kind]:
        raise PeriodError(f"kỳ báo cáo không hợp lệ / not a period code: {code!r}")
    first = (n - 1) * span + 1
    last = first + span - 1
    norm = f"{year}{kind}{n:02d}" if kind == "M" else (f"{year}N9" if kind == "N" else f"{year}{kind}{n}")
    return Period(norm, kind, datetime.date(year, first, 1),
                  datetime.date(year, last, calendar.monthrange(year, last)[1]))


def cutoff(period: Period, cutoff_day: int = 0) -> tuple[datetime.date, datetime.date]:
    """The window the figures cover: the calendar period, or (cut-off day d) the d-th of the month before the
    period to the (d-1)-th of its last month."""
    if not cutoff_day:
        return period.start, period.end
    before = period.start - datetime.timedelta(days=1)
    return (datetime.date(before.year, before.month, cutoff_day),
            datetime.date(period.end.year, period.end.month, cutoff_day - 1))


def due(period: Period, deadline_days: int, cutoff_day: int = 0) -> datetime.date:
    return workdays.add_working_days(cutoff(period, cutoff_day)[1], deadline_days)


def months(period: Period) -> list[Period]:
    out, day = [], period.start
    while day <= period.end:
        out.append(parse(f"{day.year}M{day.month:02d}"))
        day = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out
