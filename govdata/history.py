"""The history every governed model keeps: django-simple-history with the indexes the audit needs.

simple-history indexes `history_date` only. The audit timeline and the object history also ask, on
tables of millions of rows, "newest changes by this user / of this kind / of this object", always
ordered by (history_date, history_id) and paged with a keyset cursor; each question gets an index
that serves both its filter and that order, so a page reads a few dozen index entries whatever the
size of the table.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class GovernedHistory(HistoricalRecords):
    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        meta["indexes"] = [
            # The unfiltered timeline and its deep pages.
            models.Index(fields=["history_date", "history_id"]),
            # Filtered by the acting user, or by a department (= its users).
            models.Index(fields=["history_user", "history_date", "history_id"]),
            # Filtered by kind of change (created, changed, deleted).
            models.Index(fields=["history_type", "history_date", "history_id"]),
            # One object's versions, and the version before a given one (the diff).
            models.Index(fields=[model._meta.pk.attname, "history_id"]),
        ]
        return meta
