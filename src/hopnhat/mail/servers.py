"""The real mail and directory servers the platform drives: Postfix (SMTP in, LMTP out), Dovecot (IMAP, LMTP, a
master user for migrations) and OpenLDAP slapd, from Debian's packages, and Radicale (CardDAV, from PyPI), each
configured in a directory of the project's own (`$HOPNHAT_VAR_DIR/mailserver` by default) and listening on its
own loopback ports. Nothing of the
machine's system-wide mail set-up is read or changed: Postfix runs as `postfix -c DIR`, Dovecot as `dovecot -c
FILE`, slapd as `slapd -f FILE -h ldap://127.0.0.1:PORT/`.

    layout = Layout.from_settings()          # or Layout(root=…, smtp_port=…) for a test's own instance
    write_config(layout)                      # the configuration files, from server_templates/ in the repository
    start(layout); reload_postfix(layout); stop(layout)

`python -m hopnhat.mail.servers start [--dir DIR]` is what scripts/services.sh runs (no database needed); the
platform's maps (who exists, what forwards) are written by `hopnhat.mail.maps.publish`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).resolve().parent / "server_templates"
MASTER_USER = "migrator"
MAP_NAMES = ["mailbox_domains", "alias_domains", "mailboxes", "aliases", "relocated", "notice_bcc"]
# The platform's own mailbox where Postfix puts a blind copy of mail to an old address whose senders are told the
# new one (hopnhat.mail.notices); its address is NOTICE_LOCAL@<hostname>.
NOTICE_LOCAL = "moved-notices"


@dataclass
class Layout:
    root: Path
    smtp_port: int = 10025
    lmtp_port: int = 10024
    imap_port: int = 10143
    ldap_port: int = 10389
    carddav_port: int = 10232
    hostname: str = "mail.hopnhat.local"
    ldap_suffix: str = "dc=hopnhat,dc=vn"
    instance: str = "hopnhat"
    default_transport: str = "error:5.3.0 thư ra ngoài chưa được cấu hình / no outgoing relay configured"
    with_postfix: bool = True
    with_ldap: bool = True
    with_carddav: bool = True
    secrets: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.root = Path(self.root).resolve()

    @classmethod
    def from_settings(cls) -> Layout:
        from django.conf import settings

        conf = settings.HOPNHAT_MAIL
        return cls(root=Path(conf["dir"]), smtp_port=conf["smtp_port"], lmtp_port=conf["lmtp_port"],
                   imap_port=conf["imap_port"], ldap_port=conf["ldap_port"], hostname=conf["hostname"],
                   ldap_suffix=conf["ldap_suffix"], carddav_port=conf.get("carddav_port", 10232))

    @classmethod
    def from_env(cls, root: str | None = None) -> Layout:
        """Without Django (scripts/services.sh): the same environment variables settings.py reads."""
        var = Path(os.environ.get("HOPNHAT_VAR_DIR", Path.cwd() / "var"))
        env = os.environ.get
        return cls(root=Path(root or env("HOPNHAT_MAIL_DIR", var / "mailserver")),
                   smtp_port=int(env("HOPNHAT_MAIL_SMTP_PORT", "10025")),
                   lmtp_port=int(env("HOPNHAT_MAIL_LMTP_PORT", "10024")),
                   imap_port=int(env("HOPNHAT_MAIL_IMAP_PORT", "10143")),
                   ldap_port=int(env("HOPNHAT_LDAP_PORT", "10389")),
                   carddav_port=int(env("HOPNHAT_CARDDAV_PORT", "10232")),
                   hostname=env("HOPNHAT_MAIL_HOSTNAME", "mail.hopnhat.local"),
                   ldap_suffix=env("HOPNHAT_LDAP_SUFFIX", "dc=hopnhat,dc=vn"))

    @property
    def configured(self) -> bool:
        """Has `write_config` set this instance up on this machine? (A host that runs no mail servers has no maps.)"""
        return self.maps_dir.is_dir() and (not self.with_postfix or (self.postfix_dir / "main.cf").exists())

    # paths
    @property
    def postfix_dir(self) -> Path:
        return self.root / "postfix" / "conf"

    @property
    def maps_dir(self) -> Path:
        return self.root / "maps"

    @property
    def dovecot_conf(self) -> Path:
        return self.root / "dovecot" / "dovecot.conf"

    @property
    def slapd_conf(self) -> Path:
        return self.root / "ldap" / "slapd.conf"

    def secret(self, name: str) -> str:
        """Passwords generated once per instance into secrets.json (0600): the migration master user's, the LDAP
        administrator's and the read-only LDAP reader's."""
        if not self.secrets:
            path = self.root / "secrets.json"
            if path.exists():
                self.secrets = json.loads(path.read_text())
            missing = [key for key in ("master", "ldap_admin", "ldap_reader") if key not in self.secrets]
            if missing:
                # Written only when a key is new, and renamed into place: a migration's worker processes read
                # this file at the same moment, and a rewrite in place showed one of them an empty file.
                for key in missing:
                    self.secrets[key] = secrets.token_urlsafe(18)
                self.root.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".secrets.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(self.secrets))
                tmp.chmod(0o600)
                os.replace(tmp, path)
        return self.secrets[name]

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def ldap_admin_dn(self) -> str:
        return f"cn=admin,{self.ldap_suffix}"

    @property
    def ldap_reader_dn(self) -> str:
        return f"cn=reader,{self.ldap_suffix}"

    def describe(self) -> dict:
        data = asdict(self)
        data.pop("secrets")
        data["root"] = str(self.root)
        return data


def _render(name: str, layout: Layout, **extra) -> str:
    values = {**layout.describe(), **extra}
    return Template((TEMPLATES / name).read_text()).substitute(values)


def _chown(path: Path, user: str, group: str | None = None) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user, group or user)


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} → {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _daemon(layout: Layout, *args: str) -> None:
    """Start a server that forks into the background: its inherited output goes to a file, not to a pipe the
    caller would wait on for ever."""
    log = layout.root / "log" / "start.log"
    with open(log, "ab") as out:
        code = subprocess.call(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=60)
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(args)} → {code}: {' / '.join(tail)}")


def _ldap_hash(password: str) -> str:
    return _run("slappasswd", "-s", password).stdout.strip()


def write_config(layout: Layout) -> Layout:
    """Write every server's configuration under layout.root (idempotent; keeps the mail, queue and LDAP data)."""
    root = layout.root
    for sub in ("log", "maps", "mail", "postfix/conf", "postfix/queue", "postfix/data", "dovecot/run",
                "dovecot/state", "ldap/db", "ldap/run", "carddav/collections/collection-root/danhba/toanbo"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    _chown(root / "postfix" / "data", "postfix")
    _chown(root / "mail", "mail")
    if layout.with_postfix:
        (layout.postfix_dir / "main.cf").write_text(_render("main.cf", layout))
        (layout.postfix_dir / "master.cf").write_text(_render("master.cf", layout))
        (layout.postfix_dir / "lmtp_status_filter").write_text((TEMPLATES / "lmtp_status_filter").read_text())
    layout.dovecot_conf.write_text(_render("dovecot.conf", layout))
    master_hash = _run("doveadm", "pw", "-s", "SHA512-CRYPT", "-p", layout.secret("master")).stdout.strip()
    atomic_write(root / "dovecot" / "master-users", f"{MASTER_USER}:{master_hash}\n")
    if layout.with_ldap:
        layout.slapd_conf.write_text(_render("slapd.conf", layout,
                                             ldap_admin_hash=_ldap_hash(layout.secret("ldap_admin"))))
        layout.slapd_conf.chmod(0o600)
    if layout.with_carddav:
        (root / "carddav" / "radicale.conf").write_text(_render("radicale.conf", layout))
        (root / "carddav" / "rights").write_text((TEMPLATES / "radicale-rights").read_text())
        book = root / "carddav" / "collections" / "collection-root" / "danhba" / "toanbo"
        props = {"tag": "VADDRESSBOOK", "D:displayname": "Danh bạ điện tử / Directory",
                 "CR:addressbook-description": "Danh bạ toàn cơ quan, chỉ đọc / global address book, read-only"}
        (book / ".Radicale.props").write_text(json.dumps(props, ensure_ascii=False))
        if not (root / "carddav" / "users").exists():
            atomic_write(root / "carddav" / "users", "")
    # Empty maps until the platform publishes its own, so every server starts.
    for name in MAP_NAMES if layout.with_postfix else []:
        if not (layout.maps_dir / f"{name}.db").exists():
            install_postfix_map(layout, name, "")
    for name in ("dovecot-passwd", "dovecot-users"):
        if not (layout.maps_dir / name).exists():
            atomic_write(layout.maps_dir / name, "")
    return layout


def atomic_write(path: Path, text: str, mode: int = 0o640) -> None:
    """Readers (Dovecot's passwd-file, Postfix's tables) see the old file or the new one, never half of one.

    Dovecot reloads a passwd-file when its size or its mtime *in whole seconds* differs from what it read: a new
    file of the same size written within the same second (a password changed twice, a login closed and another
    opened) would be ignored until the next change. The new file's mtime is therefore always at least one second
    past the old one's. (Dovecot also looks at the file at most once per second: a change is live within one.)"""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    if os.geteuid() == 0:
        shutil.chown(tmp, "root", "dovecot")
    try:
        before = int(path.stat().st_mtime)
    except FileNotFoundError:
        before = None
    if before is not None and int(tmp.stat().st_mtime) <= before:
        os.utime(tmp, (before + 1, before + 1))
    os.replace(tmp, path)


def install_postfix_map(layout: Layout, name: str, text: str) -> None:
    """Build `name.db` with postmap beside a temporary copy, then rename it into place: Postfix's daemons see the
    old table's file unlinked and restart on their next request with the new one; no lookup ever sees a
    half-built table. The source text is kept beside it for people to read."""
    maps = layout.maps_dir
    tmp = maps / f".{name}.{os.getpid()}"
    tmp.write_text(text)
    _run("postmap", "-c", str(layout.postfix_dir), f"hash:{tmp}")
    os.chmod(f"{tmp}.db", 0o644)
    os.replace(f"{tmp}.db", maps / f"{name}.db")
    os.replace(tmp, maps / name)


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"cổng {port} không trả lời / port {port} is not answering")
        time.sleep(0.05)


def postfix_running(layout: Layout) -> bool:
    return _pid_alive(layout.root / "postfix" / "queue" / "pid" / "master.pid") is not None


def dovecot_pid(layout: Layout) -> int | None:
    return _pid_alive(layout.root / "dovecot" / "run" / "master.pid")


def slapd_pid(layout: Layout) -> int | None:
    return _pid_alive(layout.root / "ldap" / "run" / "slapd.pid")


def radicale_pid(layout: Layout) -> int | None:
    return _pid_alive(layout.root / "carddav" / "radicale.pid")


def _start_radicale(layout: Layout) -> None:
    """Radicale (PyPI, GPL-3.0) as a program of its own, from the same Python environment."""
    import sys

    log = open(layout.root / "log" / "radicale.log", "ab")  # noqa: SIM115 — handed to the child process
    child = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(layout.root / "carddav" /
                                                                                   "radicale.conf")],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (layout.root / "carddav" / "radicale.pid").write_text(str(child.pid))


def start(layout: Layout, wait: bool = True) -> dict:
    """Start whatever of the three is not running (idempotent), then wait for each port."""
    started = []
    if layout.with_postfix and not postfix_running(layout):
        _daemon(layout, "postfix", "-c", str(layout.postfix_dir), "start")
        started.append("postfix")
    if dovecot_pid(layout) is None:
        _daemon(layout, "dovecot", "-c", str(layout.dovecot_conf))
        started.append("dovecot")
    if layout.with_ldap and slapd_pid(layout) is None:
        _daemon(layout, "slapd", "-f", str(layout.slapd_conf), "-h", f"ldap://127.0.0.1:{layout.ldap_port}/")
        started.append("slapd")
    if layout.with_carddav and radicale_pid(layout) is None:
        _start_radicale(layout)
        started.append("radicale")
    if wait:
        for port in ports(layout):
            wait_port(port)
    return {"started": started, "ports": ports(layout)}


def ports(layout: Layout) -> list[int]:
    out = [layout.imap_port, layout.lmtp_port]
    if layout.with_postfix:
        out.insert(0, layout.smtp_port)
    if layout.with_ldap:
        out.append(layout.ldap_port)
    if layout.with_carddav:
        out.append(layout.carddav_port)
    return out


def reload_postfix(layout: Layout) -> None:
    """Graceful: the master keeps its listening sockets, so no connection is refused while the daemons restart."""
    if layout.with_postfix and postfix_running(layout):
        _run("postfix", "-c", str(layout.postfix_dir), "reload", check=False)


def _stop_pid(pid: int | None, timeout: float = 10) -> None:
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:   # our own child (Radicale): reap it
                return
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)


def stop(layout: Layout) -> None:
    if layout.with_postfix and postfix_running(layout):
        _run("postfix", "-c", str(layout.postfix_dir), "stop", check=False)
    _stop_pid(dovecot_pid(layout))
    if layout.with_ldap:
        _stop_pid(slapd_pid(layout))
    if layout.with_carddav:
        _stop_pid(radicale_pid(layout))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hopnhat.mail.servers",
                                     description="Postfix, Dovecot and slapd of the project (no database needed)")
    parser.add_argument("action", choices=["config", "start", "stop", "status"])
    parser.add_argument("--dir", help="the instance's directory (default $HOPNHAT_VAR_DIR/mailserver)")
    args = parser.parse_args(argv)
    layout = Layout.from_env(args.dir)
    if args.action in {"config", "start"}:
        write_config(layout)
    if args.action == "start":
        result = start(layout)
        # Already running from an earlier checkout: the configuration just written takes effect without a restart
        # (both reloads are graceful: listening sockets stay open, no mail is refused).
        if "postfix" not in result["started"]:
            reload_postfix(layout)
        if "dovecot" not in result["started"] and dovecot_pid(layout) is not None:
            _run("dovecot", "-c", str(layout.dovecot_conf), "reload", check=False)
        print(json.dumps(result))
    elif args.action == "stop":
        stop(layout)
    elif args.action == "status":
        print(json.dumps({"postfix": postfix_running(layout), "dovecot": dovecot_pid(layout) is not None,
                          "slapd": slapd_pid(layout) is not None, "radicale": radicale_pid(layout) is not None,
                          "ports": {p: port_open(p) for p in ports(layout)}}))


if __name__ == "__main__":
    main()
