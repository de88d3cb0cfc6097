"""Marks shared by test modules."""

import pytest
from django.db import connection

# Tests that race two writers against each other: committed rows seen by other connections, and a
# database that lets writers run at once.
RACING_WRITERS = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes every writer, so there is no race to observe",
    ),
]
