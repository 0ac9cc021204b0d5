"""Where an imported record came from: attach with `link`, ask with `sources_of`."""

import datetime
import decimal
import hashlib
import json
from typing import Any

import orjson
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .models import Provenance

# Values orjson writes exactly as json.dumps(..., cls=DjangoJSONEncoder) does: text, integers, booleans, nulls,
# and (passed through to the same DjangoJSONEncoder.default) dates, times and decimals, so checksums never change.
_PLAIN = frozenset({str, int, bool, type(None), datetime.datetime, datetime.date, datetime.time, decimal.Decimal})
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_django_default = DjangoJSONEncoder().default


def canonical_json(record: Any) -> bytes:
    """A record's canonical JSON (keys sorted, compact, UTF-8), the bytes `checksum` hashes.

    orjson writes the same bytes as the standard library for flat records of text, integers, booleans, nulls and
    (through Django's encoder, as json would call it) dates, times and decimals — nearly every source row, SQL
    rows with their cursor timestamps too — at a twentieth of the cost; anything else (floats, whose exponent
    it spells differently, nested values) goes through json so that checksums never change between versions."""
    if type(record) is dict and all(type(v) in _PLAIN for v in record.values()):
        try:
            return orjson.dumps(record, default=_django_default, option=_ORJSON)
        except (orjson.JSONEncodeError, TypeError):  # a non-text key, an integer over 64 bits, a lone surrogate
            pass
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      cls=DjangoJSONEncoder).encode()


def checksum(record: Any) -> str:
    """sha256 of a record's canonical JSON (keys sorted), the same for the same content whatever its order."""
    raw = record if isinstance(record, bytes) else canonical_json(record)
    return hashlib.sha256(raw).hexdigest()


def link(target: models.Model, *, source_system: str, source_key: str, record: Any = None,
         checksum_hex: str | None = None, **detail: Any) -> Provenance:
    """Say that `target` was built (partly) from the old record (source_system, source_key). Idempotent."""
    digest = checksum_hex or checksum(record)
    prov, _ = Provenance.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(target),
        object_pk=str(target.pk),
        source_system=source_system,
        source_key=str(source_key),
        defaults={"checksum": digest, "detail": detail},
    )
    return prov


def sources_of(target: models.Model):
    return Provenance.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_pk=str(target.pk)
    ).order_by("imported_at", "id")


def find_target(model: type[models.Model], *, source_system: str, source_key: str):
    """The platform record that the given old record went into, or None."""
    prov = Provenance.objects.filter(
        content_type=ContentType.objects.get_for_model(model), source_system=source_system,
        source_key=str(source_key),
    ).first()
    return model._default_manager.filter(pk=prov.object_pk).first() if prov else None
