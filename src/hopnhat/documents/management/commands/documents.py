"""hopnhat documents lookup QUERY [--issuer NAME|CODE] [--date YYYY-MM-DD] [--year YYYY]
hopnhat documents register export AGENCY YEAR [--kind incoming|outgoing] [--format pdf|xlsx] [--out FILE]
hopnhat documents rules review [--repoint]
hopnhat documents sign PDF --key FILE.p12|pkcs11:MODULE.so?token=LABEL [--secret-env VAR] [--role signer|organisation]
    [--name NAME] [--position POST] [--number 15/QĐ-UBND] [--out FILE]
hopnhat documents verify PDF [--trust ROOT.pem ...]

Exit codes: 0 found / done, 1 nothing found, 2 bad input (the reason is printed)."""

import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.documents import actions, lookup, routing
from hopnhat.documents.models import Kind
from hopnhat.org.agencies import resolve_agency

ACTOR = "system:documents-cli"


def _bad(message: str) -> CommandError:
    return bad_input(message)


class Command(HopnhatCommand):
    help = "Văn bản đến, đi (QLVBĐH) / incoming and outgoing documents"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        find = sub.add_parser("lookup", help="tra cứu theo số đến/đi cũ hoặc mới, số/ký hiệu, mã định danh / look up "
                                             "by any old or new register number, number/notation or document ID")
        find.add_argument("query")
        find.add_argument("--issuer", default="", help="cơ quan ban hành (tên hoặc mã, cũ hay mới) / issuer")
        find.add_argument("--date", default="", help="ngày ban hành YYYY-MM-DD / date of issue")
        find.add_argument("--year", type=int, default=None, help="năm của sổ (số đến/đi) / register year")
        reg = sub.add_parser("register", help="sổ văn bản / registers")
        reg_sub = self.add_subcommands(reg, dest="register_action")
        export = reg_sub.add_parser("export", help="in sổ theo Phụ lục IV / print a register (Phụ lục IV)")
        export.add_argument("agency", help="mã định danh hoặc tên cơ quan / agency code or name")
        export.add_argument("year", type=int)
        export.add_argument("--kind", choices=[Kind.INCOMING, Kind.OUTGOING], default=Kind.INCOMING)
        export.add_argument("--format", choices=["pdf", "xlsx"], default="xlsx", dest="fmt")
        export.add_argument("--out", default="", help="tệp ra / output file")
        rules = sub.add_parser("rules", help="quy tắc phân luồng / routing rules")
        rules_sub = self.add_subcommands(rules, dest="rules_action")
        review = rules_sub.add_parser("review", help="quy tắc trỏ tới cơ quan đã dừng / rules naming closed agencies")
        review.add_argument("--repoint", action="store_true",
                            help="chuyển sang cơ quan kế thừa / re-point them through the agency crosswalk")

        sign = sub.add_parser("sign", help="ký số tệp PDF / sign a PDF (PAdES)")
        sign.add_argument("pdf")
        sign.add_argument("--key", required=True, help="tệp PKCS#12 hoặc pkcs11:MODULE.so?token=NHÃN&key=NHÃN")
        sign.add_argument("--secret-env", default="HOPNHAT_SIGNING_SECRET",
                          help="biến môi trường chứa mật khẩu/PIN (không gõ trên dòng lệnh) / env var with the "
                               "passphrase or PIN (default HOPNHAT_SIGNING_SECRET)")
        sign.add_argument("--role", choices=["signer", "organisation"], default="signer")
        sign.add_argument("--name", default="", help="họ tên người ký / signer's name")
        sign.add_argument("--position", default="", help="chức vụ / post")
        sign.add_argument("--number", default="", help="số, ký hiệu văn bản / the document's number")
        sign.add_argument("--out", default="", help="tệp ra (mặc định PDF-da-ky.pdf) / output file")
        verify = sub.add_parser("verify", help="kiểm tra chữ ký số / verify a PDF's signatures")
        verify.add_argument("pdf")
        verify.add_argument("--trust", action="append", default=None,
                            help="chứng thư gốc tin cậy (lặp lại được) / a trusted root (repeatable); "
                                 "default HOPNHAT_SIGNING_TRUST_ROOTS")

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(**options)

    def _read_pdf(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise _bad(f"không đọc được {path} / cannot read {path}: {exc.strerror}") from exc

    def handle_sign(self, pdf, key, secret_env, role, name, position, number, out, **options):
        import os

        from hopnhat.documents import signing

        try:
            spec = signing.KeySpec.parse(key, os.environ.get(secret_env, ""))
            signed = signing.sign_pdf(self._read_pdf(pdf), spec, role=role, signer_name=name, position=position,
                                      number=number)
        except signing.SigningError as exc:
            raise _bad(f"{pdf}: {exc}") from exc
        target = Path(out or Path(pdf).with_name(Path(pdf).stem + "-da-ky.pdf"))
        target.write_bytes(signed)
        reports = signing.verify_pdf(signed)
        self.emit({"ok": True, "path": str(target), "bytes": len(signed),
                   "signatures": [r.as_dict() for r in reports]}, f"Đã ký / signed: {target}")

    def handle_verify(self, pdf, trust=None, **options):
        from hopnhat.documents import signing

        try:
            roots = signing.trusted_roots(trust) if trust else None
            reports = signing.verify_pdf(self._read_pdf(pdf), roots=roots)
        except (signing.SigningError, OSError, ValueError) as exc:
            raise _bad(f"{pdf}: {exc}") from exc
        lines = [f"{r.field}: {signing.STATUS_TEXT[r.status][0]} — {r.signer}, "
                 f"{r.signing_time:%d/%m/%Y %H:%M:%S}" if r.signing_time else f"{r.field}: "
                 f"{signing.STATUS_TEXT[r.status][0]} — {r.signer}" for r in reports]
        self.emit({"ok": True, "signatures": [r.as_dict() for r in reports]},
                  "\n".join(lines) or f"{pdf}: không có chữ ký số / no digital signature")

    def handle_lookup(self, query, issuer="", date="", year=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise _bad(f"ngày “{date}” không đúng dạng YYYY-MM-DD / the date is not YYYY-MM-DD") from None
        try:
            found = lookup.find(query, issuer=issuer, date=day, year=year)
        except lookup.LookupError_ as exc:
            raise _bad(str(exc)) from None
        if not found:
            raise _bad(f"Không có văn bản nào mang số “{query}”"
                       f"{f' của “{issuer}”' if issuer else ''} / no document has that number")
        data = [lookup.describe(d) for d in found]
        lines = []
        for d in data:
            lines.append(f"{d['number'] or '—'}  {d['issuer_name']}  {d['issued_date'] or ''}")
            if d.get("subject"):
                lines.append(f"  {d['subject']}")
            if d["other_numbers"]:
                lines.append(f"  số khác / other numbers: {', '.join(d['other_numbers'])}")
            for e in d["entries"]:
                lines.append(f"  [{e['kind']}] {e['agency']}: số {e['number'] or e['old_number'] or '—'}"
                             f" ({e['year'] or ''}) — {e['state_label']}")
            lines.extend(f"  {s['at']}  {s['action_label']}  {s['actor_name'] or s['actor']}  {s['agency']}  "
                         f"{s['note']}" for s in d.get("timeline", []))
        self.emit({"ok": True, "documents": data}, "\n".join(lines))

    def handle_register(self, register_action, **options):
        getattr(self, f"register_{register_action}")(**options)

    def register_export(self, agency, year, kind=Kind.INCOMING, fmt="xlsx", out="", **options):
        from hopnhat.documents import printing

        try:
            found = resolve_agency(agency)
        except ValidationError as exc:
            raise _bad(" ".join(exc.messages)) from None
        if len(found) != 1:
            raise _bad(f"cơ quan “{agency}”: {'không tìm thấy' if not found else f'{len(found)} cơ quan trùng tên'} "
                       f"/ agency not found or ambiguous")
        data = printing.export(found[0], year, kind, fmt)
        path = Path(out or f"so-{'den' if kind == Kind.INCOMING else 'di'}-{found[0].code or found[0].pk}-{year}.{fmt}")
        path.write_bytes(data)
        self.emit({"ok": True, "path": str(path), "bytes": len(data), "rows": printing.count(found[0], year, kind)},
                  f"Đã in sổ / register written: {path}")

    def handle_rules(self, rules_action, repoint=False, **options):
        if repoint:
            report = actions.repoint_rules(ACTOR)
            lines = [f"{r['rule']}: {r['field']} {r['from']} → {r['to'] or 'tạm dừng / switched off'}" for r in report]
            self.emit({"ok": True, "repointed": report}, "\n".join(lines) or "Không có quy tắc nào / none")
            return
        stale = [{"rule": s["rule"].name, "agency": s["rule"].agency.name, "field": s["field"],
                  "closed": s["closed"].name, "successor": s["successor"].name if s["successor"] else None}
                 for s in routing.stale_rules()]
        lines = [f"{s['rule']} ({s['agency']}): {s['field']} → {s['closed']} (đã dừng); kế thừa: {s['successor']}"
                 for s in stale]
        self.emit({"ok": True, "stale": stale}, "\n".join(lines) or "Không có quy tắc nào trỏ tới cơ quan đã dừng")
