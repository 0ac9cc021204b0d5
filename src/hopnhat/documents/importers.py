"""Domain importers that merge the old document systems into the one register, through the consolidation engine
(`hopnhat consolidate run MAPPING.yaml`, one mapping per data set; see documents/samples.py for two real shapes):

    importer: documents.document    fields: kind (incoming|outgoing|internal, or options.kind), agency (the
                                    holding agency's code or name, or options.agency), register_number,
                                    register_year, number ("15/QĐ-UBND" in any typed form) or code_number +
                                    code_notation, issuer (name or code as written), issued_date, arrived_at,
                                    subject, signer_name, signer_position, urgency, confidentiality, field,
                                    recipients, due_date, state, doc_id, files ("a.pdf;b.pdf" under options.files_dir)
    importer: documents.attachment  fields: document (the old document's key in options.document_stream), name,
                                    path (under options.files_dir)
    importer: documents.history     fields: document, document_stream (or options.document_stream), at, actor_name,
                                    actor_key (a staff id the staff import of options.people_system knows),
                                    action (through options.actions into documents.models.Action; anything else
                                    is kept as an imported step with its words), note, seq

Run every system's documents before its files and history. The target of a document record is its register
entry (the agency's side). One document, however many systems hold it: a record whose document ID, or số/ký hiệu
and issuer (through the agency lineage, old and new codes alike) and year, matches a document already loaded
becomes another side of it — an incoming entry at the receiver beside the sender's outgoing one, linked by an
Exchange (merged) — or, at the same agency and on the same side, a duplicate registration whose register number
is kept as one more number of the same entry (merged). Agencies are kept as they were (closed ones too), the
issuer's name as written beside the agency it resolves to. Files are stored once by checksum; a missing, broken
or encrypted file is named in the document's history and the outcome's detail, and the rest loads.
"""

import datetime
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from hopnhat.consolidation.api import (
    DomainImporter,
    MappingError,
    loaded,
    merged,
    quarantined,
    register_importer,
)
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core.models import Provenance
from hopnhat.core.text import fold, nfc
from hopnhat.dossiers.importers import parse_datetime
from hopnhat.org.agencies import resolve_agency
from hopnhat.org.models import Agency, Person

from . import lookup, numbers, registers, storage
from .actions import _add_numbers
from .models import (
    Action,
    Attachment,
    Channel,
    Document,
    DocumentNumber,
    Entry,
    Event,
    Exchange,
    IncomingState,
    Kind,
    OutgoingState,
    Register,
)

_KINDS = frozenset(Kind.values)
_ACTIONS = frozenset(Action.values)


def _agency(field: str, value: Any, cache: dict) -> Agency:
    key = nfc(str(value or ""))
    if key not in cache:
        try:
            found = resolve_agency(key)
        except ValidationError as exc:
            found = exc
        cache[key] = found
    found = cache[key]
    if isinstance(found, ValidationError):
        raise MappingError(field, " ".join(found.messages))
    if len(found) != 1:
        why = "không tìm thấy" if not found else f"{len(found)} cơ quan trùng tên"
        raise MappingError(field, f"cơ quan “{value}”: {why} / agency not found or ambiguous")
    return found[0]


def _issuer(value: Any, cache: dict) -> Agency | None:
    """The agency an issuer as written resolves to, or None (a ministry outside the platform, a typo): the name as
    written is kept either way."""
    try:
        return _agency("issuer", value, cache) if value else None
    except MappingError:
        return None


def _int(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise MappingError(field, f"“{value}” không phải số / not a number") from None


def _event(document, entry, action, *, at, note="", actor_name="", agency=None, source_system, source_key="",
           seq=0, person=None, **detail) -> Event:
    agency = agency or (entry.agency if entry is not None else None)
    return Event.objects.create(
        document=document, entry=entry, at=at, seq=seq, action=action, actor=f"{source_system}:{actor_name}"[:150]
        if actor_name else source_system, actor_name=actor_name, person=person, agency=agency,
        agency_name=agency.name if agency else "", note=note, detail=detail, source_system=source_system,
        source_key=source_key)


def store_files(document: Document, entry: Entry, names: list[tuple[str, str]], base: Path, *, system: str,
                at: datetime.datetime) -> tuple[list[str], list[dict]]:
    """Attach each (name, path under `base`); (stored names, problems) — a problem names the file and why."""
    stored, problems = [], []
    for i, (name, rel) in enumerate(names):
        path = (base / rel).resolve()
        if not path.is_relative_to(base.resolve()):
            problems.append({"file": rel, "why": "đường dẫn ra ngoài thư mục tệp / path escapes the files directory"})
            continue
        if not path.is_file():
            problems.append({"file": rel, "why": "không tìm thấy tệp / file not found"})
            continue
        try:
            blob, _ = storage.store(name, path.read_bytes())
        except storage.StorageError as exc:
            problems.append({"file": rel, "why": str(exc)})
            continue
        if blob.text and not Attachment.objects.filter(document=document, blob=blob).exists():
            document.content_text = (document.content_text + " " + fold(blob.text)).strip()
            Document.objects.filter(pk=document.pk).update(content_text=document.content_text)
        Attachment.objects.get_or_create(document=document, blob=blob,
                                         defaults={"name": name, "main": i == 0, "source_system": system})
        stored.append(name)
    for problem in problems:
        _event(document, entry, Action.ATTACH, at=at, source_system=system,
               note=f"Tệp “{problem['file']}” không nhập được: {problem['why']}", problem=problem)
    return stored, problems


def _done_state(kind: str, state: str) -> str:
    folded = fold(state)
    if kind == Kind.INCOMING:
        if any(w in folded for w in ("dang xu ly", "chua xu ly", "cho xu ly", "processing")):
            return IncomingState.PROCESSING
        return IncomingState.DONE
    return OutgoingState.SENT if kind == Kind.OUTGOING else "recorded"


@register_importer
class DocumentImporter(DomainImporter):
    name = "documents.document"
    target_model = "documents.Entry"
    # Decree 30 metadata is held once on the document every register side shares: compared there (a path through
    # the entry's foreign key, api.DomainImporter.reconcile_fields); the old register number and the issuer as this
    # side's register wrote it (by a pre-merger name, an old code) on the entry itself, so no side's is lost.
    reconcile_fields = {
        "document__subject": "subject", "document__signer_name": "signer_name",
        "document__signer_position": "signer_position", "issuer_as_written": "issuer",
        "document__field": "field", "document__doc_id": "doc_id", "document__urgency": "urgency",
        "document__confidentiality": "confidentiality", "old_number": "register_number",
    }
    _PARSED = ("đọc theo nhiều dạng (dd/mm/yyyy, yyyy-mm-dd, có giờ); sai thì cách ly / read in several forms; a bad "
               "one is quarantined")
    reconcile_exclude = {
        "agency": "mã cơ quan giữ sổ, tra thành cơ quan (qua cơ quan kế thừa nếu đã dừng) / the register's agency "
                  "code, resolved to the agency (its successor when closed)",
        "number": "số/ký hiệu đọc thành số và ký hiệu (Document.code_number, code_notation) theo Nghị định 30 / the "
                  "number read into its number and notation (Decree 30)",
        "state": "trạng thái cũ đọc thành trạng thái xử lý của sổ / the old state read into the entry's state",
        "register_year": "năm của sổ cũ, cùng số cũ xác định bản ghi sổ / the old register's year, with the old "
                         "number it names the entry",
        "issued_date": _PARSED, "arrived_at": _PARSED,
        "recipients": "nơi nhận tách thành danh sách tên và mã / recipients split into a list of names and codes",
        "files": "tệp đính kèm nạp ở luồng tệp (documents.attachment) / attachments load in their own stream",
    }

    def prepare(self, ctx) -> None:
        self.agencies: dict[str, Any] = {}
        self.registers: dict[tuple, Any] = {}
        self.families: dict[int, set[int]] = {}   # an issuer's lineage (agencies do not change during an import)
        self.batch: _Batch | None = None

    def import_batch(self, items, ctx):
        """The batch in the engine's one transaction, without a savepoint per record: a record's own problems
        (MappingError) are found before it writes anything and quarantine it alone; anything else fails the
        batch, which the engine rolls back and retries record by record (import_record). Within the batch the
        register numbers already taken are read once, and each register's counter moves once at the end."""
        self.batch = _Batch.read(items)
        try:
            outcomes = []
            for record, mapped in items:
                try:
                    outcomes.append(self.import_record(record, mapped, ctx))
                except MappingError as exc:
                    outcomes.append(quarantined(str(exc), field=exc.field))
            self.batch.flush()
            self.batch.finish()
            return outcomes
        except Exception:
            self.registers = {}    # a register this batch opened is rolled back with it: not to be remembered
            raise
        finally:
            self.batch = None

    def import_record(self, record, mapped, ctx):
        """One record: inside import_batch, or alone in the engine's savepoint when a failed batch is retried."""
        where, options, system = ctx.label(record), ctx.mapping.options, ctx.mapping.system
        kind = mapped.get("kind") or options.get("kind")
        if kind not in _KINDS:
            raise MappingError("kind", f"loại “{kind}” phải là incoming, outgoing hoặc internal")
        agency = _agency("agency", mapped.get("agency") or options.get("agency"), self.agencies)
        code_number, code_notation = _code(mapped)
        subject = nfc(mapped.get("subject") or "")
        if not (code_notation or subject):
            return quarantined(f"{where}: không có số, ký hiệu và trích yếu / neither a number nor a subject")
        issued_date = mapped.get("issued_date")
        if isinstance(issued_date, str):
            issued_date = timezone.localdate(parse_datetime("issued_date", issued_date))
        arrived = parse_datetime("arrived_at", mapped.get("arrived_at"))
        issuer_name = nfc(mapped.get("issuer") or "")
        issuer = agency if kind == Kind.OUTGOING and not issuer_name else _issuer(issuer_name, self.agencies)
        issuer_name = issuer_name or (agency.name if kind == Kind.OUTGOING else "")
        reg_number = _int("register_number", mapped.get("register_number"))
        year = _int("register_year", mapped.get("register_year")) or (
            (arrived.year if arrived else None) or (issued_date.year if issued_date else None))
        at = arrived or (timezone.make_aware(datetime.datetime.combine(issued_date, datetime.time(8)))
                         if issued_date else timezone.now())
        meta = {
            "code_number": code_number, "code_notation": code_notation, "issuer_name": issuer_name, "issuer": issuer,
            "issued_date": issued_date, "subject": subject, "signer_name": nfc(mapped.get("signer_name") or ""),
            "signer_position": nfc(mapped.get("signer_position") or ""), "field": nfc(mapped.get("field") or ""),
            "urgency": _int("urgency", mapped.get("urgency")) or 0,
            "confidentiality": _int("confidentiality", mapped.get("confidentiality")) or 0,
            "doc_id": nfc(mapped.get("doc_id") or "") or None,
            "recipients": [{"name": nfc(n)} for n in str(mapped.get("recipients") or "").split(";") if nfc(n)],
        }
        meta["type_name"], meta["type_abbr"] = numbers.type_of(code_notation.split("/")[-1]) if code_notation else (
            "", "")
        if meta["confidentiality"]:
            return quarantined(f"{where}: văn bản mật không đưa vào hệ thống / state-secret documents stay outside")

        number_key = numbers.key(code_number, code_notation)
        matches = []
        if number_key and self._may_repeat(number_key, meta["doc_id"]):
            self._flush()   # the look-up, and the writes that follow a match, see every row the batch has made
            if issuer is not None and issuer.pk not in self.families:
                self.families[issuer.pk] = lookup.lineage(issuer)
            matches = lookup.duplicates(doc_id=meta["doc_id"] or "", number_key=number_key, issuer=issuer,
                                        issuer_name=issuer_name, issued_date=issued_date,
                                        issuer_family=self.families.get(issuer.pk) if issuer else None)
        if self.batch is not None:   # what this record writes: its own keys, and those of the documents it joins
            self.batch.saw(number_key, meta["doc_id"])
            for match in matches:
                self.batch.saw(match.number_key, match.doc_id)
        document = matches[0] if matches else None
        old_number = str(reg_number) if reg_number is not None else ""
        if document is not None:
            same_side = document.entries.filter(agency=agency, kind=kind).order_by("pk").first()
            if same_side is not None:
                # registered twice in the old system: one entry, both register numbers answer
                if reg_number is not None:
                    DocumentNumber.objects.get_or_create(
                        key=str(reg_number), scheme=DocumentNumber.Scheme.REGISTER, document=document,
                        entry=same_side, source_system=system,
                        defaults={"year": year, "as_written": old_number, "issuer": agency})
                _event(document, same_side, Action.IMPORTED, at=at, source_system=system,
                       note=f"Đăng ký trùng trong {system}: số {old_number or '—'} ({where})", duplicate=record.key)
                return merged(same_side, f"đăng ký trùng: cùng văn bản {document.number} đã vào sổ "
                                         f"(số {same_side.old_number or same_side.number}) / duplicate registration")
            # the empty fields the first side lacked are filled from this one, never overwritten
            changed = [k for k, v in meta.items() if v not in (None, "", [], 0) and not getattr(document, k)]
            for k in changed:
                setattr(document, k, meta[k])
            if changed:
                document.save()
                if self.batch is not None:   # a number filled in gives the document a key it had not
                    self.batch.saw(document.number_key, document.doc_id)
        register = self._register(agency, kind, year) if year else None
        number = reg_number if register is not None and reg_number and not self._number_taken(
            register, reg_number) else None
        state = _done_state(kind, mapped.get("state") or "")
        entry = Entry(
            document=document, register=register if number else None, agency=agency, kind=kind, number=number,
            registered_at=at, state=state, due_date=mapped.get("due_date") or None, source_system=system,
            old_number=old_number, done_at=at if state == IncomingState.DONE else None, created_by=system,
            issuer_as_written=nfc(mapped.get("issuer") or ""))
        if number:
            if self.batch is not None:
                self.batch.took(register, number)
            else:
                registers.take_number(register, number)
        files = str(mapped.get("files") or "").strip()
        if document is None and not files and self.batch is not None:
            # most records of an import: a document new here, no other side, no file — its document, entry and
            # numbers are inserted with the batch's others (in record order, before anything reads them)
            entry.document = document = Document(**meta)
            document.normalise()
            self.batch.add(document, entry, self._new_numbers(document, entry, register if number else None,
                                                              reg_number, year, old_number, system))
            return loaded(entry)
        self._flush()
        if document is None:
            entry.document = document = Document(**meta)
            document.save()
        entry.save()
        if matches:
            _add_numbers(document, entry, source_system=system)
            if reg_number and not number:   # the number is taken in that register: it still answers look-ups
                DocumentNumber.objects.get_or_create(
                    key=str(reg_number), scheme=DocumentNumber.Scheme.REGISTER, document=document, entry=entry,
                    source_system=system, defaults={"year": year, "as_written": old_number, "issuer": agency})
            self._link_sides(document, entry, at)
        else:   # a document new here: none of its numbers, no other side yet — one insert for all its numbers
            DocumentNumber.objects.bulk_create(self._new_numbers(
                document, entry, register if number else None, reg_number, year, old_number, system))
        problems = []
        if files:
            base = Path(options.get("files_dir") or ".")
            names = [(Path(p.strip()).name, p.strip()) for p in files.split(";") if p.strip()]
            _, problems = store_files(document, entry, names, base, system=system, at=at)
        detail = {"file_problems": problems} if problems else {}
        if matches:   # a new side (entry) of a document another record brought: one document, an exchange
            detail["same_document"] = document.pk
        return loaded(entry, **detail)

    def _flush(self) -> None:
        if self.batch is not None:
            self.batch.flush()

    def _may_repeat(self, number_key: str, doc_id: str | None) -> bool:
        return self.batch is None or self.batch.may_repeat(number_key, doc_id)

    def _number_taken(self, register, number: int) -> bool:
        if self.batch is not None:
            return self.batch.taken(register, number)
        return Entry.objects.filter(register=register, number=number).exists()

    def _register(self, agency: Agency, kind: str, year: int):
        """registers.register_for, remembered for the run once it is found (a register is never deleted); one
        opened by this record is not remembered yet, since the record's savepoint may still roll it back."""
        key = (agency.pk, kind, year)
        if key not in self.registers:
            found = Register.objects.filter(agency=agency, kind=kind, year=year, secret=False).first()
            if found is None:
                return registers.register_for(agency, kind, year)
            self.registers[key] = found
        return self.registers[key]

    @staticmethod
    def _new_numbers(document: Document, entry: Entry, register, reg_number, year, old_number,
                     system) -> list[DocumentNumber]:
        """The numbers actions._add_numbers gives (and the old register number when its register already holds
        it), for a document that has none yet: inserted together, with no look-up first."""
        rows = []
        if document.number_key:
            rows.append(DocumentNumber(key=document.number_key, scheme=DocumentNumber.Scheme.NOTATION,
                                       document=document, source_system=system, issuer=document.issuer,
                                       as_written=document.number))
        if document.doc_id:
            rows.append(DocumentNumber(key=lookup.doc_id_key(document.doc_id), scheme=DocumentNumber.Scheme.DOC_ID,
                                       document=document, source_system=system, as_written=document.doc_id))
        if entry.number:
            rows.append(DocumentNumber(key=str(entry.number), scheme=DocumentNumber.Scheme.REGISTER,
                                       document=document, entry=entry, source_system=system,
                                       year=register.year if register is not None else None,
                                       as_written=entry.old_number or str(entry.number), issuer=entry.agency))
        elif reg_number:
            rows.append(DocumentNumber(key=str(reg_number), scheme=DocumentNumber.Scheme.REGISTER, document=document,
                                       entry=entry, source_system=system, year=year, as_written=old_number,
                                       issuer=entry.agency))
        return rows

    def _link_sides(self, document: Document, entry: Entry, at) -> None:
        """An exchange between the issuer's outgoing entry and each incoming entry of the same document."""
        if entry.kind == Kind.INCOMING:
            for sender in document.entries.filter(kind=Kind.OUTGOING):
                Exchange.objects.get_or_create(
                    document=document, sender_entry=sender, receiver_entry=entry,
                    defaults={"receiver_agency": entry.agency, "receiver_name": entry.agency.name,
                              "channel": Channel.LEGACY, "status": "03", "received_at": at})
        elif entry.kind == Kind.OUTGOING:
            for receiver in document.entries.filter(kind=Kind.INCOMING):
                Exchange.objects.get_or_create(
                    document=document, sender_entry=entry, receiver_entry=receiver,
                    defaults={"receiver_agency": receiver.agency, "receiver_name": receiver.agency.name,
                              "channel": Channel.LEGACY, "status": "03", "received_at": receiver.registered_at})


def _code(mapped: dict) -> tuple[str, str]:
    """(code_number, code_notation) as a record gives them, separately or as one "15/QĐ-UBND" in any typed form."""
    number_text = nfc(mapped.get("number") or "")
    code_number, code_notation = nfc(str(mapped.get("code_number") or "")), nfc(mapped.get("code_notation") or "")
    if number_text and not code_notation:
        try:
            parsed = numbers.parse(number_text)
            code_number = parsed.number.zfill(2)
            code_notation = (f"{parsed.year}/" if parsed.year else "") + parsed.notation
        except numbers.NumberError:
            code_notation = number_text     # kept as written; look-ups still find it by its folded form
    return code_number, code_notation


class _Batch:
    """What DocumentImporter.import_batch reads once for the whole batch instead of once per record.

    - Which of the batch's số/ký hiệu keys and document IDs any document already holds, in the four places
      lookup.duplicates looks (the document's own columns, its numbers) — then every key a record of the batch
      writes or joins. A record none of whose keys is there cannot repeat a document: its look-up is skipped
      (in an import most records are new). Any other record asks lookup.duplicates as before.
    - The register numbers its records name that some entry already holds, then each number the batch gives;
      the highest number given per register moves the register's counter once at the end."""

    def __init__(self, numbers: set[int], number_keys: set[str], id_keys: set[str]):
        self.numbers = numbers                       # the register numbers the batch's records name
        self.held: dict[int, set[int]] = {}          # register pk -> numbers held (read once per register)
        self.highest: dict[int, tuple[Register, int]] = {}
        self.number_keys, self.id_keys = number_keys, id_keys
        self.documents: list[Document] = []          # new documents not inserted yet, with their entries and numbers
        self.entries: list[Entry] = []
        self.document_numbers: list[DocumentNumber] = []

    def add(self, document: Document, entry: Entry, document_numbers: list[DocumentNumber]) -> None:
        self.documents.append(document)
        self.entries.append(entry)
        self.document_numbers += document_numbers

    def flush(self) -> None:
        """Insert what add() held: documents first (their ids go to the entries and numbers that point at them),
        then entries, then numbers; three statements however many records."""
        if not self.documents:
            return
        Document.objects.bulk_create(self.documents)
        Entry.objects.bulk_create(self.entries)
        DocumentNumber.objects.bulk_create(self.document_numbers)
        self.documents, self.entries, self.document_numbers = [], [], []

    @classmethod
    def read(cls, items) -> "_Batch":
        wanted, keys, doc_ids = set(), set(), set()
        for _, mapped in items:
            try:
                if (number := _int("register_number", mapped.get("register_number"))) is not None:
                    wanted.add(number)
            except MappingError:
                pass                                 # that record is quarantined for it on its own
            if key := numbers.key(*_code(mapped)):
                keys.add(key)
            if doc_id := nfc(mapped.get("doc_id") or ""):
                doc_ids.add(doc_id)
        notation, by_id = DocumentNumber.Scheme.NOTATION, DocumentNumber.Scheme.DOC_ID
        held_keys = set(Document.objects.filter(number_key__in=keys).values_list("number_key", flat=True))
        held_keys |= set(DocumentNumber.objects.filter(scheme=notation, key__in=keys).values_list("key", flat=True))
        held_ids = {lookup.doc_id_key(d) for d in
                    Document.objects.filter(doc_id__in=doc_ids).values_list("doc_id", flat=True)}
        held_ids |= set(DocumentNumber.objects.filter(scheme=by_id, key__in={lookup.doc_id_key(d) for d in doc_ids})
                        .values_list("key", flat=True))
        return cls(wanted, held_keys, held_ids)

    def may_repeat(self, number_key: str, doc_id: str | None) -> bool:
        return number_key in self.number_keys or bool(doc_id and lookup.doc_id_key(doc_id) in self.id_keys)

    def saw(self, number_key: str, doc_id: str | None) -> None:
        if number_key:
            self.number_keys.add(number_key)
        if doc_id:
            self.id_keys.add(lookup.doc_id_key(doc_id))

    def taken(self, register: Register, number: int) -> bool:
        if register.pk not in self.held:
            self.held[register.pk] = set(Entry.objects.filter(register=register, number__in=self.numbers)
                                         .values_list("number", flat=True))
        return number in self.held[register.pk]

    def took(self, register: Register, number: int) -> None:
        self.taken(register, number)                 # the register's held numbers are read before one is added
        self.held[register.pk].add(number)
        if number > self.highest.get(register.pk, (register, 0))[1]:
            self.highest[register.pk] = (register, number)

    def finish(self) -> None:
        for register, number in self.highest.values():
            registers.take_number(register, number)


def entry_for(system: str, stream: str, key: Any) -> Entry | None:
    """The entry an old document record went into (loaded, or merged into another), as the engine staged it."""
    staged = StagedRecord.objects.filter(system=system, stream=stream, key=str(key),
                                         outcome__in=("loaded", "merged")).first()
    if staged is None or not staged.target_pk:
        return None
    return Entry.objects.select_related("document", "agency").filter(pk=staged.target_pk).first()


@register_importer
class AttachmentImporter(DomainImporter):
    name = "documents.attachment"
    target_model = "documents.Attachment"
    reconcile_exclude = {
        "document": "khóa văn bản cũ, tra thành bản ghi sổ đã nạp / the old document's key, resolved to its entry",
        "name": "cùng nội dung từ hai hệ thống là một tệp đính kèm: giữ tên của hệ thống nạp trước, tên kia ở nguồn "
                "gốc (Provenance) / the same bytes from two systems are one attachment: the first name is kept, the "
                "other stays in its provenance",
        "path": "đường dẫn tệp cũ: nội dung lưu một lần theo tổng kiểm (Blob.sha256), tệp thiếu hay "
                                 "hỏng thì cách ly / the old file's path: its bytes are stored once by checksum; a "
                                 "missing or broken file is quarantined"}

    def import_record(self, record, mapped, ctx):
        where, options, system = ctx.label(record), ctx.mapping.options, ctx.mapping.system
        stream = options.get("document_stream", "")
        entry = entry_for(system, stream, mapped.get("document"))
        if entry is None:
            return quarantined(f"{where}: văn bản “{mapped.get('document')}” không có (hoặc chưa nhập) trong "
                               f"{stream} / no such document")
        rel = str(mapped.get("path") or "")
        name = nfc(mapped.get("name") or "") or Path(rel).name
        at = entry.registered_at or timezone.now()
        stored, problems = store_files(entry.document, entry, [(name, rel)], Path(options.get("files_dir") or "."),
                                       system=system, at=at)
        if problems:
            return quarantined(f"{where}: tệp “{rel}” của văn bản {entry.document}: {problems[0]['why']}",
                               file=rel)
        attachment = Attachment.objects.filter(document=entry.document, name=name).first() or \
            Attachment.objects.filter(document=entry.document).order_by("-id").first()
        return loaded(attachment)


@register_importer
class HistoryImporter(DomainImporter):
    name = "documents.history"
    target_model = "documents.Event"
    reconcile_exclude = {
        "document": "khóa văn bản cũ, tra thành bản ghi sổ đã nạp / the old document's key, resolved to its entry",
        "at": "giờ Việt Nam của hệ thống cũ, lưu theo UTC / the old system's Vietnam time, stored in UTC",
        "action": "tên bước cũ đọc thành bước của nền tảng; tên cũ giữ ở ghi chú / the old step's name read into the "
                  "platform's step; the old name is kept with it",
        "actor_key": "mã người xử lý cũ, đối chiếu qua nhập nhân sự; không có thì giữ tên như đã viết / the old "
                     "actor's key, crosswalked through the staff import; the name as written otherwise",
        "document_stream": "luồng của văn bản mà bước xử lý thuộc về / the stream of the document the step "
                           "belongs to",
    }

    def prepare(self, ctx) -> None:
        self.people: dict[tuple, Person | None] = {}

    def _people(self, system: str, wanted: set[tuple[str, str]]) -> None:
        """_person for many (key, name) pairs at once: the staff ids through provenance in one query, the names
        in another; the answers are cached for the run."""
        todo = {(key, name) for key, name in wanted if (system, key, name) not in self.people}
        if not todo:
            return
        by_key = {}
        if system and (keys := {key for key, _ in todo if key}):
            links = dict(Provenance.objects.filter(content_type=ContentType.objects.get_for_model(Person),
                                                   source_system=system, source_key__in=keys)
                         .values_list("source_key", "object_pk"))
            people = Person.objects.in_bulk([int(pk) for pk in links.values()])
            by_key = {key: people.get(int(pk)) for key, pk in links.items()}
        names: dict[str, list[Person]] = {}
        if folded := {fold(name) for key, name in todo if name and by_key.get(key) is None}:
            for person in Person.objects.filter(name_key__in=folded):
                names.setdefault(person.name_key, []).append(person)
        for key, name in todo:
            person = by_key.get(key) if key else None
            if person is None and name:
                same = names.get(fold(name), [])
                person = same[0] if len(same) == 1 else None
            self.people[system, key, name] = person

    def import_record(self, record, mapped, ctx):
        return self.import_batch([(record, mapped)], ctx)[0]

    def import_batch(self, items, ctx):
        """A batch in a handful of queries whatever its size: the entries of its documents (staging, then the
        entries), the steps already imported, the people (staff ids, then names), then every new step in one
        bulk insert (append-only: Event.save's NFC done here)."""
        options, system = ctx.mapping.options, ctx.mapping.system
        streams = [mapped.get("document_stream") or options.get("document_stream", "") for _, mapped in items]
        keys = [str(mapped.get("document")) for _, mapped in items]
        staged = StagedRecord.objects.filter(system=system, stream__in=set(streams), key__in=set(keys),
                                             outcome__in=("loaded", "merged")).exclude(target_pk="")
        target_of = {(stream, key): int(pk) for stream, key, pk in staged.values_list("stream", "key", "target_pk")}
        entries = Entry.objects.select_related("agency").in_bulk(set(target_of.values()))
        source_keys = [f"{ctx.mapping.stream}:{record.key}" for record, _ in items]
        existing = {e.source_key: e for e in Event.objects.filter(source_system=system,
                                                                  source_key__in=source_keys)}
        people_system = options.get("people_system", "")
        self._people(people_system, {(str(m.get("actor_key") or ""), nfc(m.get("actor_name") or ""))
                                     for _, m in items})
        actions = options.get("actions") or {}
        outcomes: list = [None] * len(items)
        new: list[tuple[int, Event]] = []
        for i, ((record, mapped), stream, key, source_key) in enumerate(
                zip(items, streams, keys, source_keys, strict=True)):
            entry = entries.get(target_of.get((stream, key)))
            if entry is None:
                outcomes[i] = quarantined(f"{ctx.label(record)}: văn bản “{mapped.get('document')}” không có trong "
                                          f"{stream} (hoặc không nhập được) / the document of this step is not "
                                          f"loaded")
                continue
            if source_key in existing:
                outcomes[i] = loaded(existing[source_key])   # append-only: a re-read of the same step changes nothing
                continue
            try:
                at = parse_datetime("at", mapped.get("at"))
                if at is None:
                    raise MappingError("at", "thiếu thời điểm / no time")
                seq = _int("seq", mapped.get("seq")) or 0
            except MappingError as exc:
                outcomes[i] = quarantined(str(exc), field=exc.field)
                continue
            words = nfc(mapped.get("action") or "")
            action = actions.get(words, words)
            actor_name = nfc(mapped.get("actor_name") or "")
            person = self.people[people_system, str(mapped.get("actor_key") or ""), actor_name]
            note = nfc(mapped.get("note") or "")
            if action not in _ACTIONS:
                note = f"{words}: {note}" if note else words
                action = Action.IMPORTED
            agency = entry.agency
            new.append((i, Event(
                document_id=entry.document_id, entry=entry, at=at, seq=seq, action=action,
                actor=f"{system}:{actor_name}"[:150] if actor_name else system, actor_name=actor_name,
                person=person, agency=agency, agency_name=nfc(agency.name), note=nfc(note),
                detail={"old_action": words}, source_system=system, source_key=source_key)))
        Event.objects.bulk_create([event for _, event in new])
        for i, event in new:
            outcomes[i] = loaded(event)
        return outcomes
