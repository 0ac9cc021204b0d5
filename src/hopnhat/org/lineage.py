"""The resolution API every module uses to turn old units into new ones. (Implementation in progress.)

Contract (other apps code against these names):

    resolve(query, at=None, level=None) -> list[UnitMatch]
        A code ("00004"), a name ("Phường Đội Cấn", "doi can", "Phường 01") or a path
        ("Phường Đội Cấn, Quận Ba Đình, Hà Nội"), matched on fold() keys and aliases, among the units valid at
        `at` (any vintage when None). Ambiguous names return every candidate; never a guess.
    successors(unit) -> list[Edge]      (unit, kind whole/partial, is_default, effective_date, legal_basis)
    predecessors(unit) -> list[Edge]
    current(unit, at=date.today()) -> list[Edge]
        Follow successor edges until units valid at `at`; kind is partial if any step was partial.
    default_current(unit, at=...) -> AdminUnit    the default successor where a split must pick one.
"""
