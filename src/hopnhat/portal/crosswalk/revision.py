"""The crosswalk's revision number: bumped in the same transaction as any change to what old URLs answer, read
by the bouncer about once a second to drop its cached answers (see `bouncer.py`).

Saves and deletes through the ORM bump it by signal; code that writes in bulk (`bulk_create`, `update`) calls
`bump()` itself.
"""

from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import AllowedHost, Mapping, OldHost, OldSite, Revision

ROW = 1


def bump(**_kwargs) -> None:
    if not Revision.objects.filter(pk=ROW).update(number=F("number") + 1):
        Revision.objects.get_or_create(pk=ROW, defaults={"number": 1})


def current() -> int:
    """The number now, in one small query (the bouncer asks often; no ORM compilation per call)."""
    quote = connection.ops.quote_name
    sql = f"SELECT {quote('number')} FROM {quote(Revision._meta.db_table)} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [ROW])
        row = cursor.fetchone()
    return row[0] if row else 0


for _model in (Mapping, OldSite, OldHost, AllowedHost):
    post_save.connect(bump, sender=_model, dispatch_uid=f"crosswalk-revision-{_model.__name__}")
    post_delete.connect(bump, sender=_model, dispatch_uid=f"crosswalk-revision-del-{_model.__name__}")
