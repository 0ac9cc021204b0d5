"""`hopnhat signin locked` lists locked accounts and addresses; `hopnhat signin unlock --user X | --ip A` clears
them (audited, as the command and the OS account that ran it)."""


from hopnhat.core.audit import current_actor
from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.shell import signin


class Command(HopnhatCommand):
    help = "Khóa đăng nhập sau nhiều lần sai mật khẩu / sign-in lockouts"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        sub.add_parser("locked", help="tài khoản và địa chỉ đang bị khóa / locked accounts and addresses")
        unlock = sub.add_parser("unlock", help="mở khóa / unlock an account or an address")
        unlock.add_argument("--user", dest="username", help="tên đăng nhập / user name")
        unlock.add_argument("--ip", help="địa chỉ IP / address")

    def handle(self, *args, **options):
        if options["action"] == "locked":
            rows = [{"username": a.username, "ip": a.ip_address, "failures": a.failures_since_start,
                     "last": a.attempt_time} for a in signin.locked_attempts()]
            self.emit({"ok": True, "locked": rows}, "\n".join(f"{r['username'] or '-'}\t{r['ip']}\t{r['failures']}"
                                                  for r in rows) or "Không có khóa nào / nothing locked")
            return
        if not (options["username"] or options["ip"]):
            raise bad_input("Cần --user hoặc --ip / give --user or --ip")
        cleared = signin.unlock(current_actor(), username=options["username"], ip=options["ip"])
        self.emit({"ok": True, "cleared": cleared, "username": options["username"], "ip": options["ip"]},
                  f"Đã mở khóa / unlocked ({cleared} bản ghi / records)")
