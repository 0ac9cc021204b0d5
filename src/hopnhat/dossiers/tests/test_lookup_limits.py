"""Issue 13, finding 6: the public look-up's limit holds across worker processes (the database when Redis is
absent, Redis when configured), counts the address our proxy saw rather than one the client wrote, and limits
each dossier code as well as each address."""

import multiprocessing
import uuid

import pytest
from django.db import connections
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db(transaction=True)

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": f"hopnhat-test-{uuid.uuid4().hex}"}}


def _ask(client, code="000.00.01.H26-250625-0001", **headers):
    return client.post("/ho-so/api/tra-cuu/", {"code": code, "phone": "0000"}, content_type="application/json",
                       **headers).status_code


def _other_worker(n: int) -> None:
    """A second gunicorn worker: its own process, memory and database connection."""
    try:
        codes = [_ask(Client(), REMOTE_ADDR="203.0.113.7") for _ in range(n)]
        code = 0 if codes == [404] * n else 1
    except Exception:   # noqa: BLE001 — report any failure through the exit code
        code = 2
    finally:
        connections.close_all()
    import os
    os._exit(code)


def _in_two_processes():
    connections.close_all()   # the child must not share the parent's socket
    child = multiprocessing.get_context("fork").Process(target=_other_worker, args=(5,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    client = Client()
    assert [_ask(client, REMOTE_ADDR="203.0.113.7") for _ in range(6)] == [404] * 5 + [429]


# Windows are fixed (time // seconds): windows of a day, not a minute, so that a test's requests never straddle a
# boundary (with 60 s, a slow run crossed one and the count started again — seen once under load).
@override_settings(HOPNHAT_LOOKUP_RATE=(10, 86400), HOPNHAT_RATE_STORE="database")
def test_the_limit_is_shared_by_worker_processes_through_the_database():
    _in_two_processes()


@override_settings(HOPNHAT_LOOKUP_RATE=(10, 86400), HOPNHAT_RATE_STORE="cache", CACHES=REDIS)
def test_the_limit_is_shared_by_worker_processes_through_redis():
    _in_two_processes()


@override_settings(HOPNHAT_LOOKUP_RATE=(2, 86400), HOPNHAT_TRUSTED_PROXIES=1)
def test_behind_our_nginx_a_forged_forwarded_for_changes_nothing():
    client = Client()
    # nginx appends the address it saw ($proxy_add_x_forwarded_for); whatever the client wrote stays on the left
    assert _ask(client, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7", REMOTE_ADDR="127.0.0.1") == 404
    assert _ask(client, HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.7", REMOTE_ADDR="127.0.0.1") == 404
    assert _ask(client, HTTP_X_FORWARDED_FOR="3.3.3.3, 203.0.113.7", REMOTE_ADDR="127.0.0.1") == 429
    assert _ask(client, HTTP_X_FORWARDED_FOR="203.0.113.8", REMOTE_ADDR="127.0.0.1") == 404   # another client


@override_settings(HOPNHAT_LOOKUP_RATE=(2, 86400), HOPNHAT_TRUSTED_PROXIES=0,
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_without_trusted_proxies_the_header_is_ignored():
    client = Client()
    codes = [_ask(client, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}", REMOTE_ADDR="198.51.100.4") for n in range(3)]
    assert codes == [404, 404, 429]


@override_settings(HOPNHAT_LOOKUP_RATE=(100, 60), HOPNHAT_LOOKUP_CODE_RATE=(3, 86400))
def test_one_code_is_limited_from_many_addresses():
    client = Client()
    codes = [_ask(client, code="000.00.01.h26-250625-0042 ", REMOTE_ADDR=f"198.51.100.{n}") for n in range(4)]
    assert codes == [404, 404, 404, 429]
    assert _ask(client, code="000.00.01.H26-250625-0043", REMOTE_ADDR="198.51.100.9") == 404
