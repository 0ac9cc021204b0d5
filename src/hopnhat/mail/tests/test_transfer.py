"""The migration's byte movers without servers: the FETCH reader against scripted server answers (items in any
order, untagged responses in between, forms it does not take apart), and the Maildir writer's files."""

import datetime as dt
import io
import os

import pytest

from hopnhat.mail import transfer


class _Imap:
    def __init__(self, answer: bytes):
        self.file = io.BufferedReader(io.BytesIO(answer))
        self.sent = b""
        self.tagged_commands = {}

    def _new_tag(self):
        self.tagged_commands[b"T1"] = None
        return b"T1"

    def send(self, data):
        self.sent += data


class _Client:
    def __init__(self, answer: bytes):
        self._imap = _Imap(answer)

    def search(self, criteria):
        return [1, 2, 3, 9]


def _literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


MSG1 = b"Message-ID: <1@x>\r\nSubject: =?utf-8?B?Q8O0bmcgdsSDbg==?=\r\n\r\nbody {7}\r\n) not the end\r\n"
MSG2 = b"Subject: two\r\n\r\n* 5 FETCH (FLAGS (\\Seen))\r\nT1 OK looks like the end\r\n"


def test_fetch_takes_items_in_any_order_and_skips_untagged_answers():
    answer = (b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged) INTERNALDATE \"01-Dec-2024 09:00:00 +0700\" "
              b"RFC822.SIZE %d BODY[] " % len(MSG1) + _literal(MSG1) + b")\r\n"
              b"* 4 EXISTS\r\n"
              b"* 2 FETCH (FLAGS (\\Deleted) UID 9)\r\n"                      # unsolicited: not an answer
              b"* 2 FETCH (BODY[] " + _literal(MSG2) + b" UID 2 RFC822.SIZE %d FLAGS () "
              b"INTERNALDATE \"02-Dec-2024 10:30:00 +0000\")\r\n" % len(MSG2) +
              b"T1 OK Fetch completed.\r\nNEXT")
    client = _Client(answer)
    got = transfer.fetch(client, [1, 2, 3], transfer.FETCH_BODY)
    assert client._imap.sent == b"T1 UID FETCH 1:3 " + transfer.FETCH_BODY + b"\r\n"
    assert set(got) == {1, 2}
    assert got[1][b"BODY[]"] == MSG1 and got[2][b"BODY[]"] == MSG2
    assert got[1][b"FLAGS"] == (b"\\Seen", b"\\Flagged") and got[2][b"FLAGS"] == ()
    assert got[1][b"RFC822.SIZE"] == len(MSG1)
    assert got[2][b"INTERNALDATE"].astimezone(dt.UTC) == dt.datetime(2024, 12, 2, 10, 30, tzinfo=dt.UTC)
    assert client._imap.file.read() == b"NEXT"       # read up to its own tagged answer, no further
    assert b"T1" not in client._imap.tagged_commands


def test_fetch_headers_sizes_and_empty_sections():
    header = b"Message-ID: <9@x>\r\nDate: Mon, 1 Dec 2024 09:00:00 +0700\r\n\r\n"
    answer = (b"* 1 FETCH (UID 1 RFC822.SIZE 120 BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)] "
              + _literal(header) + b")\r\n"
              b"* 2 FETCH (UID 3 RFC822.SIZE 7 BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)] NIL)\r\n"
              b"* 3 FETCH (UID 9 RFC822.SIZE 8 BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)] \"\")\r\n"
              b"T1 OK done\r\n")
    got = transfer.fetch(_Client(answer), None, transfer.FETCH_IDENTITY)   # None: every UID SEARCH ALL gives
    key = b"BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM TO CC SUBJECT)]"
    assert got == {1: {b"RFC822.SIZE": 120, key: header}, 3: {b"RFC822.SIZE": 7, key: b""},
                   9: {b"RFC822.SIZE": 8, key: b""}}
    sizes = transfer.fetch(_Client(b"* 1 FETCH (UID 1 RFC822.SIZE 10)\r\n* 1 FETCH (FLAGS (\\Seen))\r\n"
                                   b"* 2 FETCH (RFC822.SIZE 11 UID 2)\r\nT1 OK\r\n"), [1, 2], transfer.FETCH_SIZE)
    assert sizes == {1: {b"RFC822.SIZE": 10}, 2: {b"RFC822.SIZE": 11}}


def test_fetch_refuses_what_it_does_not_take_apart_and_leaves_the_connection_usable():
    two = (b"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Dec-2024 09:00:00 +0700\" RFC822.SIZE 3 "
           b"BODY[HEADER] " + _literal(b"a\r\n") + b" BODY[] " + _literal(b"abc") + b")\r\nT1 OK\r\nNEXT")
    client = _Client(two)
    with pytest.raises(transfer.Unparsed):
        transfer.fetch(client, [1], transfer.FETCH_BODY)
    assert client._imap.file.read() == b"NEXT"
    no_date = (b"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 3 BODY[] " + _literal(b"abc") + b")\r\nT1 OK\r\n")
    with pytest.raises(transfer.Unparsed):
        transfer.fetch(_Client(no_date), [1], transfer.FETCH_BODY)
    with pytest.raises(ConnectionError, match="NO"):
        transfer.fetch(_Client(b"T1 NO [SERVERBUG] Internal error\r\n"), [1], transfer.FETCH_BODY)
    with pytest.raises(ConnectionError):
        transfer.fetch(_Client(b"* 1 FETCH (UID 1 BODY[] {10}\r\nabc"), [1], transfer.FETCH_BODY)


def test_uid_sets_are_ranges():
    assert transfer._uid_set([8, 1, 2, 3, 7, 10]) == b"1:3,7:8,10"


def test_maildir_flags_folders_and_addresses():
    assert transfer.maildir_flags((b"\\Seen", b"\\Flagged", b"\\Recent")) == "FS"
    assert transfer.maildir_flags(("\\Answered", "\\Draft", "\\Deleted")) == "DRT"
    assert transfer.maildir_flags(()) == ""
    assert transfer.maildir_flags((b"\\Seen", b"$Forwarded")) is None      # a keyword: through IMAP
    root = transfer.mailbox_root("/srv/mail/%d/%n", "annv@tuyenquang.gov.vn")
    assert str(root) == "/srv/mail/tuyenquang.gov.vn/annv"
    assert transfer.folder_directory(root, "INBOX") == root
    # What Dovecot itself made for the benchmark's "Công văn/Đến" (Maildir++, modified UTF-7).
    assert transfer.folder_directory(root, "Công văn/Đến").name == ".C&APQ-ng v&AQM-n.&ARAevw-n"


def test_maildir_folder_writes_whole_messages_with_flags_and_dates(tmp_path):
    assert transfer.MaildirFolder.open(tmp_path) is None          # not a Maildir: the caller uses IMAP
    for sub in ("tmp", "new", "cur"):
        (tmp_path / sub).mkdir()
    folder = transfer.MaildirFolder.open(tmp_path)
    stamp = dt.datetime(2024, 12, 1, 9, 0, tzinfo=dt.UTC).timestamp()
    body = b"Subject: a\r\n\r\nline\nbare LF\r\n"
    folder.add("FS", body, stamp)
    assert list((tmp_path / "cur").iterdir()) == [] and len(list((tmp_path / "tmp").iterdir())) == 1
    folder.flush()
    [written] = list((tmp_path / "cur").iterdir())
    assert written.read_bytes() == body and os.stat(written).st_mtime == stamp
    assert written.name.endswith(f",S={len(body)},W={len(body) + 1}:2,FS")   # one bare LF counts as CRLF
    assert list((tmp_path / "tmp").iterdir()) == []
    folder.add("", b"x\r\n", stamp)
    folder.discard()                                               # an error before the commit: nothing half
    assert list((tmp_path / "tmp").iterdir()) == [] and len(list((tmp_path / "cur").iterdir())) == 1
    folder.COMMIT_MESSAGES = 2
    folder.add("S", b"1\r\n", stamp)
    folder.add("S", b"2\r\n", stamp)                                # the second one commits the pair
    assert len(list((tmp_path / "cur").iterdir())) == 3
