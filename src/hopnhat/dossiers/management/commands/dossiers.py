"""hopnhat dossiers handover [--dry-run] | lookup CODE | procedures FILE |
outbox send [--loop --interval S --rounds N] | outbox status | outbox requeue [--dossier CODE] |
catalogue-conflicts [--all] | catalogue-decide ID (--from SYSTEM | --value V) --actor NAME [--note T] |
sweep-uploads [--older-than-hours H]"""

import signal
import threading
import time

from django.core.management.base import CommandError
from django.db import close_old_connections, connection

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.dossiers import catalogue, handover, lookup, outbox, procedure_catalogue, quarantine
from hopnhat.dossiers.models import CatalogueConflict, OutboxMessage, OutboxState

ACTOR = "system:dossiers-cli"
BATCH = 100   # messages per round of the worker


class Command(HopnhatCommand):
    help = "Hồ sơ thủ tục hành chính / administrative-procedure dossiers"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        hand = sub.add_parser("handover", help="bàn giao hồ sơ đang giải quyết của cơ quan đã dừng / hand over "
                                               "in-progress dossiers of closed agencies")
        hand.add_argument("--dry-run", action="store_true", help="chỉ xem trước / only show what would happen")
        find = sub.add_parser("lookup", help="tra cứu theo mã mới hoặc cũ / look up by any old or new code")
        find.add_argument("code")
        procs = sub.add_parser("procedures", help="nạp danh mục thủ tục từ CSV/Excel / load the procedure catalogue")
        procs.add_argument("path")
        box = sub.add_parser("outbox", help="hàng đợi đồng bộ DVCQG / the DVCQG sync outbox")
        box_sub = self.add_subcommands(box, dest="outbox_action")
        send = box_sub.add_parser("send", help="gửi những gì đến hạn / send what is due")
        send.add_argument("--loop", action="store_true",
                          help="chạy liên tục như một worker (Ctrl-C / SIGTERM để dừng) / keep running as a worker")
        send.add_argument("--interval", type=float, default=30.0,
                          help="số giây nghỉ giữa hai vòng / seconds between rounds (30)")
        send.add_argument("--rounds", type=int, default=0,
                          help="dừng sau N vòng, 0 = không dừng / stop after N rounds, 0 = never")
        box_sub.add_parser("status", help="đếm theo trạng thái, liệt kê thông điệp hỏng / counts and dead messages")
        again = box_sub.add_parser("requeue", help="gửi lại các thông điệp hỏng / queue dead messages again")
        again.add_argument("--dossier", default="", help="chỉ của hồ sơ này (mã bất kỳ) / only this dossier's")
        conflicts = sub.add_parser("catalogue-conflicts", help="khác biệt giữa danh mục của các đơn vị cũ / where "
                                                               "the old units' procedure lists differ")
        conflicts.add_argument("--all", action="store_true", help="cả những mục đã quyết định / decided ones too")
        decide = sub.add_parser("catalogue-decide", help="quyết định một khác biệt / decide one difference")
        decide.add_argument("id", type=int)
        decide.add_argument("--from", dest="system", default=None, help="lấy giá trị của đơn vị cũ này / take the "
                                                                         "value this old unit published")
        decide.add_argument("--value", default=None, help="hoặc giá trị khác (JSON) / or another value (JSON)")
        decide.add_argument("--actor", required=True, help="quản trị viên đơn vị / the unit administrator")
        decide.add_argument("--note", default="")
        sweep = sub.add_parser("sweep-uploads", help="xoá tệp tải lên bỏ dở và tệp không hồ sơ nào dùng / remove "
                                                     "abandoned uploads and stored files no dossier names")
        sweep.add_argument("--older-than-hours", type=float, default=24.0)

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action'].replace('-', '_')}")(**options)

    def handle_handover(self, dry_run=False, **options):
        report = handover.run(dry_run=dry_run)
        lines = [f"{'Xem trước' if dry_run else 'Đã bàn giao'} {report['total']} hồ sơ / "
                 f"{'would hand over' if dry_run else 'handed over'} {report['total']} dossiers: {report['by_rule']}"]
        for d in report["decisions"]:
            target = f"{d['to_name']} [{d['to']}]" if d["to"] else "→ hàng chờ xem xét / review queue"
            lines.append(f"  {d['code']}: {d['from_name']} → {target} ({d['rule']})")
        self.emit({"ok": True, **report}, "\n".join(lines))

    def handle_lookup(self, code, **options):
        found = lookup.find(code)
        if not found:
            self._lookup_quarantined(code)
            return
        data = [{**lookup.describe(d, public=False), "codes": lookup.code_sources(d)} for d in found]
        lines = []
        for d in data:
            lines.append(f"{d['code']} — {d['status_label']}{' (quá hạn / overdue)' if d['overdue'] else ''}")
            if d["other_codes"]:
                lines.append(f"  mã khác / other codes: {', '.join(d['other_codes'])}")
            lines.append("  mã và hệ thống cấp / codes and issuing systems: " + "; ".join(
                f"{c['code']} ({c['system'] or 'dẫn chiếu từ / cited by ' + c['cited_by']})" for c in d["codes"]))
            lines.append(f"  {d['procedure']}")
            lines.append(f"  cơ quan / agency: {d['agency']} [{d['agency_code']}]; hẹn trả / due {d['due_date']}")
            lines.extend(f"  {s['at']}  {s['action_label']}  → {s['status_label']}  {s['agency']}  {s['note']}"
                         for s in d["timeline"])
        self.emit({"ok": True, "dossiers": data}, "\n".join(lines))

    def _lookup_quarantined(self, code):
        """A code only quarantined import records carry: say so, with why and where, instead of "no dossier"."""
        waiting = quarantine.open_records(code)
        if not waiting:
            raise bad_input(f"Không có hồ sơ nào mang mã “{code}” / no dossier has the code “{code}”")
        rows = []
        for w in waiting:
            agency = quarantine.receiving_agency(w)
            rows.append({"system": w.system, "stream": w.stream, "key": w.key, "reason": w.reason,
                         "receiving_agency": agency.code if agency else None})
        lines = [f"Mã “{code}”: hồ sơ đang chờ xử lý cách ly, chưa nạp / the dossier is quarantined, not loaded:"]
        lines += [f"  {r['system']}/{r['stream']} khóa / key {r['key']}: {r['reason']}" for r in rows]
        self.emit({"ok": True, "dossiers": [], "quarantined": rows}, "\n".join(lines))

    def handle_procedures(self, path, **options):
        try:
            counts = catalogue.load_procedures(path)
        except catalogue.CatalogueError as exc:
            raise bad_input(str(exc)) from exc
        self.emit({"ok": True, **counts}, f"Danh mục thủ tục: thêm {counts.get('created', 0)}, cập nhật "
                                          f"{counts.get('updated', 0)}, không đổi {counts.get('unchanged', 0)}")

    def handle_outbox(self, outbox_action, **options):
        getattr(self, f"outbox_{outbox_action}")(**options)

    def outbox_send(self, loop=False, interval=30.0, rounds=0, **options):
        if not outbox.connected():
            raise CommandError("HOPNHAT_DVCQG['url'] chưa đặt, không gửi được / is not set, nothing can be sent")
        stop, previous = threading.Event(), None
        if loop and threading.current_thread() is threading.main_thread():
            # a service manager stops the worker with SIGTERM: finish the message in hand, then leave
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        totals, done = {"sent": 0, "retry": 0, "dead": 0}, 0
        try:
            while True:
                if loop and not connection.in_atomic_block:
                    close_old_connections()   # a worker outlives database restarts and idle timeouts
                counts = outbox.send_due(limit=BATCH)
                done += 1
                totals = {k: totals[k] + counts[k] for k in totals}
                if loop and not self.as_json and any(counts.values()):
                    self.stdout.write(f"{time.strftime('%H:%M:%S')} DVCQG: {counts}")
                if not loop or (rounds and done >= rounds):
                    break
                # a full batch means a backlog: go straight on with the next one
                if stop.is_set() or (sum(counts.values()) < BATCH and stop.wait(interval)):
                    break
        except KeyboardInterrupt:
            pass
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.emit({"ok": True, **totals, "rounds": done, "outbox": outbox.state_counts(OutboxMessage.objects)},
                  f"DVCQG: {totals} qua {done} vòng / in {done} rounds")

    def outbox_status(self, **options):
        dead = [{"key": m.key, "dossier": m.dossier.code, "service": m.service, "attempts": m.attempts,
                 "last_error": m.last_error}
                for m in OutboxMessage.objects.filter(state=OutboxState.DEAD).select_related("dossier")[:200]]
        counts = outbox.state_counts(OutboxMessage.objects)
        lines = [f"DVCQG: {counts}"] + [f"  {d['dossier']} {d['service']} ×{d['attempts']}: {d['last_error']}"
                                        for d in dead]
        self.emit({"ok": True, "counts": counts, "dead": dead}, "\n".join(lines))

    def outbox_requeue(self, dossier="", **options):
        messages = OutboxMessage.objects.all()
        if dossier:
            found = lookup.find(dossier)
            if not found:
                raise bad_input(f"Không có hồ sơ nào mang mã “{dossier}” / no dossier has the code “{dossier}”")
            messages = messages.filter(dossier__in=found)
        count = outbox.requeue(ACTOR, messages)
        self.emit({"ok": True, "requeued": count}, f"Đã xếp lại {count} thông điệp / {count} messages queued again")

    @staticmethod
    def _conflict_dict(c: CatalogueConflict) -> dict:
        return {"id": c.pk, "procedure": c.procedure.national_code, "name": c.procedure.name, "field": c.field,
                "values": c.values, "decided": c.decided, "decided_value": c.decided_value,
                "decided_by": c.decided_by, "decided_at": c.decided_at, "note": c.note}

    def handle_catalogue_conflicts(self, all=False, **options):
        rows = CatalogueConflict.objects.select_related("procedure") if all else procedure_catalogue.open_conflicts()
        data = [self._conflict_dict(c) for c in rows]
        lines = [f"{len(data)} khác biệt / differences"] + [
            f"  #{d['id']} {d['procedure']} {d['name']} — {d['field']}: "
            + "; ".join(f"{v['system']} = {v['value']}" for v in d["values"])
            + (f"  → {d['decided_value']} ({d['decided_by']})" if d["decided"] else "") for d in data]
        self.emit({"ok": True, "conflicts": data}, "\n".join(lines))

    def handle_catalogue_decide(self, id, system=None, value=None, actor="", note="", **options):
        import json

        conflict = CatalogueConflict.objects.select_related("procedure").filter(pk=id).first()
        if conflict is None:
            raise bad_input(f"Không có khác biệt #{id} / no catalogue difference #{id}")
        if value is not None:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        try:
            procedure_catalogue.decide(conflict, actor=actor, system=system, value=value, note=note)
        except (procedure_catalogue.CatalogueDecisionError, ValueError) as exc:
            raise bad_input(f"Khác biệt #{id} ({conflict.procedure.national_code}): {exc}") from None
        data = self._conflict_dict(conflict)
        self.emit({"ok": True, **data}, f"#{id} {data['procedure']} {data['field']} → {data['decided_value']}")

    def handle_sweep_uploads(self, older_than_hours=24.0, **options):
        from hopnhat.dossiers import online, uploads

        seconds = older_than_hours * 3600
        sessions = uploads.sweep(seconds)
        blobs = online.sweep_blobs(seconds)
        self.emit({"ok": True, "uploads_removed": sessions, "files_removed": blobs},
                  f"Đã xoá {sessions} tệp tải lên bỏ dở, {len(blobs)} tệp không hồ sơ nào dùng / removed {sessions} "
                  f"abandoned uploads, {len(blobs)} unreferenced files")
