"""Finding a document by any number it ever had, the duplicate check on registration, and what a staff page or the
CLI shows about a document.

    find("15/QĐ-UBND", issuer="UBND huyện Yên Sơn", date=…)    số/ký hiệu (+ issuer by old or new name or code)
    find("123", year=2024)                                     an old or new register number (số đến / số đi)
    find("000.00.36.H60,2024/05/03,15/QĐ-UBND")                the document ID (mã định danh văn bản)

An issuer matches through its lineage: an agency, the agencies it became (successors, transitively) and the ones
it came from (predecessors, transitively), so an abolished district's UBND typed by its old name or code finds its
documents, and the same document recorded once under the old code and once under the successor's counts as one.
Siblings merged into one successor are not the same issuer (each kept its own number series)."""

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from hopnhat.core.text import fold, nfc
from hopnhat.org.agencies import resolve_agency
from hopnhat.org.models import Agency, AgencySuccession

from . import numbers
from .models import STATE_LABELS, Action, Document, DocumentNumber, Entry, Event

_REGISTER_NUMBER = re.compile(
    r"^\s*(?:s[oố]\s*(?:đến|den|đi|di)?\s*[:.]?\s*)?(\d{1,10})(?:\s*/\s*((?:19|20)\d\d))?\s*$", re.IGNORECASE)
_DOC_ID = re.compile(r"^\s*([0-9A-Za-z.]+)\s*,\s*(\d{4})/(\d\d)/(\d\d)\s*,\s*(.+?)\s*$")


class LookupError_(ValueError):
    """Bad input: the message says why (exit code 2 on the command line)."""


_LINEAGE_SQL = """
    WITH RECURSIVE fwd(id) AS (SELECT id FROM {agency} WHERE id IN ({marks})
                               UNION SELECT s.successor_id FROM {edge} s JOIN fwd ON s.predecessor_id = fwd.id),
                   bwd(id) AS (SELECT id FROM {agency} WHERE id IN ({marks})
                               UNION SELECT s.predecessor_id FROM {edge} s JOIN bwd ON s.successor_id = bwd.id)
    SELECT id FROM fwd UNION SELECT id FROM bwd"""


def lineage_of(ids: set[int]) -> set[int]:
    """The agencies with their successors and their predecessors, each transitively (not the siblings), in one
    recursive query (UNION stops on a cycle in imported data)."""
    if not ids:
        return set()
    from django.db import connection

    marks = ", ".join(["%s"] * len(ids))
    sql = _LINEAGE_SQL.format(agency=Agency._meta.db_table, edge=AgencySuccession._meta.db_table, marks=marks)
    with connection.cursor() as cur:
        cur.execute(sql, [*ids, *ids])
        return {row[0] for row in cur.fetchall()}


def lineage(agency: Agency) -> set[int]:
    return lineage_of({agency.pk})


def issuers_for(text: str) -> tuple[set[int], str]:
    """(agency ids the typed issuer stands for, through lineage; its folded name for documents whose issuer was
    not resolved). A malformed agency code raises LookupError_."""
    text = nfc(text)
    try:
        found = resolve_agency(text)
    except ValidationError as exc:
        raise LookupError_(" ".join(exc.messages)) from None
    return lineage_of({a.pk for a in found}), fold(text)


def _issued_on(queryset: QuerySet, date: datetime.date | None) -> QuerySet:
    return queryset.filter(issued_date=date) if date else queryset


def find(query: str, *, issuer: str = "", date: datetime.date | None = None, year: int | None = None,
         scope: QuerySet | None = None) -> list[Document]:
    """Every document known by `query`. LookupError_ when the query is neither a number nor a số/ký hiệu nor a
    document ID. `scope`: a queryset of visible documents (staff pages)."""
    query = nfc(query)
    if not query:
        raise LookupError_("cần nhập số đến/đi, số và ký hiệu hoặc mã định danh văn bản / enter a register number, "
                           "a number and notation (15/QĐ-UBND) or a document ID")
    documents = scope if scope is not None else Document.objects.all()
    # Each form is answered by indexed look-ups of its own (the number table, the document's own column), joined
    # in Python: an OR across the join would scan.
    if _DOC_ID.match(query):
        key = doc_id_key(query)
        ids = set(DocumentNumber.objects.filter(scheme=DocumentNumber.Scheme.DOC_ID, key=key)
                  .values_list("document_id", flat=True))
        ids |= set(Document.objects.filter(doc_id=query).values_list("pk", flat=True))
    elif found := _REGISTER_NUMBER.match(query):
        number, year_typed = found.group(1), found.group(2)
        the_year = int(year_typed) if year_typed else year
        numbered = DocumentNumber.objects.filter(scheme=DocumentNumber.Scheme.REGISTER, key=str(int(number)))
        if the_year:
            numbered = numbered.filter(year=the_year)
        ids = set(numbered.values_list("document_id", flat=True))
    else:
        try:
            parsed = numbers.parse(query)
        except numbers.NumberError as exc:
            raise LookupError_(f"{exc}; hoặc nhập số đến/đi (123, 123/2024) hay mã định danh văn bản / or a register "
                               f"number (123, 123/2024) or a document ID") from None
        ids = _by_number(parsed.key, issuer)
    result = documents.filter(pk__in=ids) if ids else documents.none()
    result = _issued_on(result, date)
    return list({d.pk: d for d in result.select_related("issuer").order_by("pk")}.values())


# One statement for a số/ký hiệu with its issuer: the issuer's lineage (as _LINEAGE_SQL), the notation numbers and
# the documents of that key from the lineage (indexes document_number_notation and document_number_issuer), and the
# documents of that key whose issuer was never resolved, with the name as written (compared folded in Python).
_BY_NUMBER_SQL = """
    WITH RECURSIVE fwd(id) AS (SELECT id FROM {agency} WHERE id IN ({marks})
                               UNION SELECT s.successor_id FROM {edge} s JOIN fwd ON s.predecessor_id = fwd.id),
                   bwd(id) AS (SELECT id FROM {agency} WHERE id IN ({marks})
                               UNION SELECT s.predecessor_id FROM {edge} s JOIN bwd ON s.successor_id = bwd.id),
                   fam(id) AS (SELECT id FROM fwd UNION SELECT id FROM bwd)
    SELECT n.document_id, NULL FROM {number} n
     WHERE n.scheme = 'notation' AND n.key = %s AND n.issuer_id IN (SELECT id FROM fam)
    UNION SELECT d.id, NULL FROM {document} d WHERE d.number_key = %s AND d.issuer_id IN (SELECT id FROM fam)
    UNION SELECT d.id, d.issuer_name FROM {document} d
     WHERE d.number_key = %s AND d.issuer_id IS NULL AND NOT EXISTS (
           SELECT 1 FROM {number} x WHERE x.document_id = d.id AND x.scheme = 'notation' AND x.key = %s
              AND x.issuer_id IS NOT NULL)
    UNION SELECT n.document_id, d.issuer_name FROM {number} n JOIN {document} d ON d.id = n.document_id
     WHERE n.scheme = 'notation' AND n.key = %s AND n.issuer_id IS NULL AND d.number_key <> %s AND NOT EXISTS (
           SELECT 1 FROM {number} x WHERE x.document_id = n.document_id AND x.scheme = 'notation' AND x.key = %s
              AND x.issuer_id IS NOT NULL)"""


def _by_number(key: str, issuer: str) -> set[int]:
    """The documents whose số/ký hiệu key is `key`, from `issuer` when one is typed: any agency of its lineage, or
    for a document whose issuer was never resolved (on the document nor on a number of that key), the folded name
    as written. The issuer is part of each indexed look-up, so a common number ("01/QĐ-UBND", held by every
    agency) reads only that issuer's few rows; the lineage and the numbers are one statement (one round trip)."""
    from django.db import connection

    if not issuer:
        return set(DocumentNumber.objects.filter(scheme=DocumentNumber.Scheme.NOTATION, key=key)
                   .values_list("document_id", flat=True)) | set(Document.objects.filter(number_key=key)
                                                                 .values_list("pk", flat=True))
    text = nfc(issuer)
    try:
        agencies = [a.pk for a in resolve_agency(text)] or [None]
    except ValidationError as exc:
        raise LookupError_(" ".join(exc.messages)) from None
    name_key = fold(text)
    marks = ", ".join(["%s"] * len(agencies))
    sql = _BY_NUMBER_SQL.format(agency=Agency._meta.db_table, edge=AgencySuccession._meta.db_table, marks=marks,
                                number=DocumentNumber._meta.db_table, document=Document._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(sql, [*agencies, *agencies, key, key, key, key, key, key, key])
        return {pk for pk, name in cur.fetchall() if name is None or (name_key and fold(name) == name_key)}


FTS_SQL = ("to_tsvector('simple'::regconfig, documents_document.search_text || ' ' || documents_document.content_text)"
           " @@ plainto_tsquery('simple'::regconfig, %s)")


def search_q(text: str, prefix: str = ""):
    """A filter for staff full-text search: every folded word in the metadata or the attachments' text. On
    PostgreSQL the GIN index of migration 0002 answers it (the expression must match the index's exactly);
    elsewhere each word is a substring test. `prefix` "document__" when filtering entries."""
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    words = fold(text).split()[:8]
    if connection.vendor == "postgresql":
        return RawSQL(FTS_SQL, [" ".join(words)], output_field=BooleanField())  # noqa: S611 — constant SQL, text bound
    q = Q()
    for word in words:
        q &= Q(**{f"{prefix}search_text__contains": word}) | Q(**{f"{prefix}content_text__contains": word})
    return q


def doc_id_key(doc_id: str) -> str:
    """The comparison key of a document ID: agency code, date, and the số/ký hiệu key."""
    found = _DOC_ID.match(nfc(doc_id))
    if not found:
        return fold(doc_id)
    code, y, m, d, number = found.groups()
    return f"{code.upper()},{y}/{m}/{d},{numbers.key(number, '')}"


def duplicates(*, doc_id: str = "", number_key: str = "", issuer: Agency | None = None, issuer_name: str = "",
               issued_date: datetime.date | None = None, exclude: int | None = None,
               issuer_family: set[int] | None = None) -> list[Document]:
    """Documents already held that this one repeats (Phụ lục VI III.1.h): the same document ID, or the same
    số/ký hiệu from the same issuer (old and new codes of one agency are one issuer; by name when unresolved) —
    in the same year when both dates are known (numbers restart each year). `issuer_family`: the issuer's
    lineage when the caller already has it (an import asks for the same issuers again and again)."""
    if not (doc_id or number_key):
        return []
    # Two queries whatever the forms: the numbers table by each (scheme, key) — indexed conditions joined by OR,
    # a bitmap OR on PostgreSQL — then the documents by their own columns or those ids. An OR across the
    # numbers *join* would read every document (each record of an import would cost the size of the register).
    forms = Q()
    if doc_id:
        forms |= Q(scheme=DocumentNumber.Scheme.DOC_ID, key=doc_id_key(doc_id))
    if number_key:
        forms |= Q(scheme=DocumentNumber.Scheme.NOTATION, key=number_key)
    by_id, by_notation = set(), set()
    for scheme, document_id in DocumentNumber.objects.filter(forms).values_list("scheme", "document_id"):
        (by_id if scheme == DocumentNumber.Scheme.DOC_ID else by_notation).add(document_id)
    wanted = Q(pk__in=by_id | by_notation)
    if doc_id:
        wanted |= Q(doc_id=doc_id)
    if number_key:
        wanted |= Q(number_key=number_key)
    same_id: dict[int, Document] = {}
    found: dict[int, Document] = {}
    family = None
    for d in Document.objects.filter(wanted).select_related("issuer").order_by("pk"):
        if doc_id and (d.doc_id == doc_id or d.pk in by_id):
            same_id[d.pk] = d       # the same document ID first, then the same number from the same issuer
            continue
        if not number_key or not (d.number_key == number_key or d.pk in by_notation):
            continue
        if issuer is not None and d.issuer_id:
            if family is None:
                family = issuer_family if issuer_family is not None else lineage(issuer)
            same_issuer = d.issuer_id in family
        else:
            same_issuer = fold(d.issuer_name) == fold(issuer_name) and bool(issuer_name)
        same_year = not (issued_date and d.issued_date) or issued_date.year == d.issued_date.year
        if same_issuer and same_year:
            found[d.pk] = d
    found = same_id | found
    found.pop(exclude, None)
    return list(found.values())


def timeline(document: Document) -> list[dict[str, Any]]:
    """The whole processing history, every side (sender and receivers, old systems and this one), in order."""
    rows = []
    for e in (Event.objects.filter(document=document).select_related("entry", "person", "agency")
              .order_by("at", "seq", "id")):
        rows.append({
            "at": timezone.localtime(e.at).isoformat(timespec="minutes"),
            "action": e.action, "action_label": Action(e.action).label if e.action in Action.values else e.action,
            "actor": e.actor, "actor_name": e.actor_name or (e.person.full_name if e.person else ""),
            "person": e.person.full_name if e.person else None,
            "agency": e.agency_name or (e.agency.name if e.agency else ""),
            "side": e.entry.kind if e.entry else "", "note": e.note, "source_system": e.source_system,
        })
    return rows


def entry_dict(entry: Entry) -> dict[str, Any]:
    return {"id": entry.pk, "kind": entry.kind, "agency": entry.agency.name, "agency_code": entry.agency.code,
            "number": entry.number, "year": entry.register.year if entry.register_id else None,
            "old_number": entry.old_number, "registered_at": entry.registered_at, "state": entry.state,
            "state_label": STATE_LABELS.get(entry.state, entry.state), "due_date": entry.due_date,
            "overdue": entry.is_overdue(), "routed_by": entry.routed_by.name if entry.routed_by_id else None,
            "source_system": entry.source_system, "issuer_as_written": entry.issuer_as_written or ""}


def other_numbers(document: Document) -> list[str]:
    """The numbers an old system knew the document by: số/ký hiệu as written elsewhere, old register numbers."""
    out = set()
    for n in document.numbers.all():
        if n.scheme == DocumentNumber.Scheme.REGISTER:
            if n.source_system != "hopnhat":
                out.add(f"{n.as_written or n.key}{f'/{n.year}' if n.year else ''} ({n.source_system})")
        elif n.scheme == DocumentNumber.Scheme.NOTATION and (n.as_written or n.key) != document.number:
            out.add(n.as_written or n.key)
    return sorted(out)


def describe(document: Document) -> dict[str, Any]:
    data = {
        "id": document.pk, "doc_id": document.doc_id, "number": document.number, "type": document.type_name,
        "issuer_name": document.issuer_name, "issuer_code": document.issuer.code if document.issuer_id else None,
        "issued_date": document.issued_date, "secret": document.is_secret,
        "other_numbers": other_numbers(document),
        "entries": [entry_dict(e) for e in document.entries.select_related("agency", "register", "routed_by")
                    .order_by("registered_at", "id")],
    }
    if document.is_secret:
        return data | {"timeline": []}
    return data | {
        "subject": document.subject, "signer": document.signer_name, "signer_position": document.signer_position,
        "urgency": document.get_urgency_display(), "field": document.field,
        "attachments": [{"name": a.name, "sha256": a.blob.sha256, "size": a.blob.size, "signed": a.signed,
                         "signature_report": a.signature_report} for a in document.attachments.select_related("blob")],
        "timeline": timeline(document),
    }
