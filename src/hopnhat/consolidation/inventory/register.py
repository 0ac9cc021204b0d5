"""One register of old systems: a mapping's `system:` is the code of its entry in the inventory (OldSystem.code),
so the inventory dashboard, the CLI and the cutover all count the same runs.

Why refuse rather than create: an entry needs what only people know (the owning agency, the unit it will serve,
its type), and the failure this prevents is a second name for one system ("hr-hagiang" here, "nhansu-hagiang"
there) — exactly what creating an entry for an unknown code would do on every typo. So a run of a system the
register does not hold is refused, naming the closest registered codes and how to register it. A platform whose
register is still empty (a first trial import, a test database) is not held to it: there is nothing to match.
"""

import difflib

from hopnhat.core.text import fold

from .models import OldSystem


class UnregisteredSystem(LookupError):
    """A mapping names a system the inventory does not hold."""


def require_registered(code: str) -> OldSystem | None:
    """The register entry of `code`; None when the register is empty; UnregisteredSystem otherwise."""
    entry = OldSystem.objects.filter(code=code).first()
    if entry is not None:
        return entry
    known = dict(OldSystem.objects.values_list("code", "name"))
    if not known:
        return None
    close = difflib.get_close_matches(code, list(known), n=3, cutoff=0.5)
    words = set(fold(code.replace("-", " ")).split())
    close += [c for c, name in known.items() if c not in close and words and words <= set(fold(name).split())][:3]
    hint = "; ".join(f"{c} ({known[c]})" for c in close)
    raise UnregisteredSystem(
        f"hệ thống “{code}” chưa có trong danh mục hệ thống cũ: ghi mã của nó trong danh mục (trường `system:` của "
        f"tệp ánh xạ) hoặc đăng ký nó trước tại /ra-soat/ hay bằng `hopnhat inventory import`"
        f"{'; có phải: ' + hint if hint else ''} / system {code!r} is not in the register of old systems: use its "
        f"register code as the mapping's `system:` or register it first (/ra-soat/, `hopnhat inventory import`)"
        f"{'; did you mean: ' + hint if hint else ''}")
