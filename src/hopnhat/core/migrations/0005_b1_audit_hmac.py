"""Issue 13, finding 1: the audit chain's hashes become HMAC-SHA256 under HOPNHAT_AUDIT_KEY.

The existing plain-sha256 chain is verified first; a chain that does not verify is not re-keyed (that would bless
the tampering): the migration stops, naming the entry. Otherwise every hash is recomputed with the key, in order,
and the head row follows. Run it with the production HOPNHAT_AUDIT_KEY set, then `hopnhat audit checkpoint`.
"""

import hashlib
import hmac
import json
from datetime import UTC

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations

GENESIS = "0" * 64


def _canonical(entry) -> str:
    body = {"seq": entry.seq, "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": entry.actor, "action": entry.action, "object_type": entry.object_type,
            "object_pk": entry.object_pk, "data": entry.data}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def rekey(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditHead = apps.get_model("core", "AuditHead")
    key = hmac.new(settings.HOPNHAT_AUDIT_KEY.encode(), b"entry", hashlib.sha256).digest()
    old_prev = new_prev = GENESIS
    expected = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        body = _canonical(entry)
        if (entry.seq != expected or entry.prev_hash != old_prev
                or hashlib.sha256((old_prev + body).encode()).hexdigest() != entry.hash):
            raise RuntimeError(f"audit chain broken at entry #{expected}: not re-keyed; investigate, then restore "
                               f"the log from a backup / chuỗi nhật ký hỏng ở mục #{expected}")
        new_hash = hmac.new(key, (new_prev + body).encode(), hashlib.sha256).hexdigest()
        old_prev = entry.hash
        AuditEntry.objects.filter(seq=entry.seq).update(prev_hash=new_prev, hash=new_hash)
        new_prev, expected = new_hash, expected + 1
    AuditHead.objects.filter(id=1).update(last_hash=new_prev)


class Migration(migrations.Migration):

    dependencies = [("core", "0004_g2_one_language")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False)]
