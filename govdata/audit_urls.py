"""The auditors' pages, mounted at /audit/ under the namespace "audit"."""

from django.urls import path

from . import audit_views as views

app_name = "audit"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("export.csv", views.export, name="export"),
    path("history/<str:label>/<str:pk>/", views.object_history, name="object_history"),
    path("ledger/", views.ledger_list, name="ledger"),
    path("ledger/verify/", views.ledger_verify, name="ledger_verify"),
    path("ledger/public-key.pem", views.public_key, name="public_key"),
    path("ledger/checkpoints/", views.checkpoint_list, name="checkpoint_list"),
    path("ledger/checkpoints/<int:size>.json", views.checkpoint_json, name="checkpoint_json"),
    path("ledger/consistency/<int:old>-<int:new>.json", views.consistency_json, name="consistency_json"),
    path("ledger/entries/<int:seq>/", views.ledger_entry, name="ledger_entry"),
    path("ledger/entries/<int:seq>/proof.json", views.ledger_entry_proof, name="ledger_entry_proof"),
]
