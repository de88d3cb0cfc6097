"""The sharing pages of the portal (mounted by govdata/portal_urls.py under the namespace "portal")."""

from django.urls import path

from . import views

urlpatterns = [
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/submit/", views.agreement_submit, name="agreement_submit"),
    path("agreements/<int:pk>/withdraw/", views.agreement_withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/approve/", views.agreement_approve, name="agreement_approve"),
    path("agreements/<int:pk>/reject/", views.agreement_reject, name="agreement_reject"),
    path("agreements/<int:pk>/revoke/", views.agreement_revoke, name="agreement_revoke"),
]
