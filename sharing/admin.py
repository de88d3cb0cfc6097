"""The ledger in the admin: read-only for everybody; only sharing/ledger.py writes it."""

import json

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from govdata.admin import ReadOnlyModelAdmin

from .models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "recorded_at", "action", "ledger_object", "actor", "short_hash")
    list_select_related = ("actor",)
    # Exact or prefix lookups only: the ledger is the largest table and must not be scanned.
    search_fields = ("^action", "=object_type", "=object_id")
    search_help_text = _("Action (beginning), object type (e.g. catalog.dataresource) or object id.")
    ordering = ("-seq",)
    fields = (
        "seq",
        "recorded_at",
        "action",
        "ledger_object",
        "actor",
        "formatted_payload",
        "prev_hash",
        "entry_hash",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("object"))
    def ledger_object(self, entry):
        label = f"{entry.object_type}:{entry.object_id}"
        app_label, _dot, model_name = entry.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[quote(entry.object_id)])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("hash"))
    def short_hash(self, entry):
        return format_html('<code title="{}">{}…</code>', entry.entry_hash, entry.entry_hash[:12])

    @admin.display(description=_("canonical payload"))
    def formatted_payload(self, entry):
        try:
            shown = json.dumps(json.loads(entry.payload), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            shown = entry.payload
        return format_html("<pre>{}</pre>", shown)
