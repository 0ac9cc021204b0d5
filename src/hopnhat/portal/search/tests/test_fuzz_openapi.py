"""Hostile input, continuously (issue 13): schemathesis generates requests from the API's own OpenAPI document
(django-ninja's, served at /api/v1/openapi.json) and sends them to the WSGI application: no request may answer
500. The budget is core.fuzzing's profile (25 examples per operation in CI). Paging parameters beyond the database's
integers (`/api/v1/pages?offset=99999999999999999999`, finding 9) answer 400 through core.paging."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error

from hopnhat.core import fuzzing  # noqa: F401 — the bounded hypothesis profile
from hopnhat.portal.search.api import api

pytestmark = pytest.mark.django_db

# The document as the application serves it, built without a request (the database is not open at collection).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _one_connection():
    """As Django's test client does: the test's connection (and its transaction) stays open across requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_document_is_what_the_application_serves(client):
    served = client.get("/api/v1/openapi.json").json()
    assert set(served["paths"]) == set(schema.raw_schema["paths"]) and served["paths"]


@schema.parametrize()
def test_no_server_error(case):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
