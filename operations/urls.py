"""The operations pages of the portal (mounted by govdata/portal_urls.py under the namespace "portal").

Operator staff work under operations/, audit-firm staff under audits/.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("operations/", views.home, name="ops_home"),
    path("operations/licences/<int:pk>/", views.license_detail, name="ops_license_detail"),
    path("operations/products/", views.product_list, name="ops_product_list"),
    path("operations/products/new/", views.product_create, name="ops_product_create"),
    path("operations/products/<int:pk>/", views.product_detail, name="ops_product_detail"),
    path("operations/products/<int:pk>/edit/", views.product_edit, name="ops_product_edit"),
    path("operations/products/<int:pk>/submit/", views.product_submit, name="ops_product_submit"),
    path("operations/products/<int:pk>/withdraw/", views.product_withdraw, name="ops_product_withdraw"),
    path("operations/trades/", views.trade_list, name="ops_trade_list"),
    path("operations/trades/new/", views.trade_create, name="ops_trade_create"),
    path("operations/trades/<int:pk>/", views.trade_detail, name="ops_trade_detail"),
    path("operations/disclosures/", views.disclosure_list, name="ops_disclosure_list"),
    path(
        "operations/disclosures/<int:operator_pk>/<int:year>/file/",
        views.disclosure_file,
        name="ops_disclosure_file",
    ),
    path("operations/disclosures/<int:pk>/", views.disclosure_detail, name="ops_disclosure_detail"),
    path("operations/findings/", views.finding_list, name="ops_finding_list"),
    path("operations/findings/<int:pk>/", views.finding_detail, name="ops_finding_detail"),
    path("audits/", views.audit_list, name="ops_audit_list"),
    path("audits/<int:pk>/", views.audit_detail, name="ops_audit_detail"),
    path("audits/<int:pk>/status/", views.audit_status, name="ops_audit_status"),
    path("audits/<int:pk>/findings/new/", views.finding_create, name="ops_finding_create"),
    path("audits/findings/<int:pk>/close/", views.finding_close, name="ops_finding_close"),
]
