"""Fixtures for the audit pages: signed-in clients per role, a signing key, history of some size."""

import pytest
from django.test import Client

from sharing import checkpoints


@pytest.fixture
def no_signing_key(settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "absent" / "ledger.pem"


@pytest.fixture
def signing_key(settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "ledger.pem"
    return checkpoints.load_signing_key(create=True)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor_client(auditor):
    return _client(auditor)


@pytest.fixture
def officer_client(officer):
    return _client(officer)


@pytest.fixture
def client_a(liaison_a):
    return _client(liaison_a)


@pytest.fixture
def client_b(liaison_b):
    return _client(liaison_b)
