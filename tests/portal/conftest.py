"""Fixtures for the portal: signed-in browsers (test clients) for each department's liaison."""

import pytest
from django.test import Client


@pytest.fixture
def client_a(liaison_a):
    client = Client()
    client.force_login(liaison_a)
    return client


@pytest.fixture
def client_b(liaison_b):
    client = Client()
    client.force_login(liaison_b)
    return client


@pytest.fixture
def officer_client(officer):
    client = Client()
    client.force_login(officer)
    return client
