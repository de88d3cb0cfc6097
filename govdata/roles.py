"""The five roles of DESIGN §2, each a Django group, and the model permissions each role holds.

Model permissions say *what kind* of action a role may take; object permissions (guardian) say
*on which objects*. Officers and auditors act bureau-wide; everybody else is restricted to the
objects they were granted (see govdata/permissions.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "bureau_officer", _("Bureau officer")
    LIAISON = "department_liaison", _("Department liaison")
    AUDITOR = "auditor", _("Auditor")
    OPERATOR_USER = "operator_user", _("Operator user")
    AUDIT_FIRM_USER = "audit_firm_user", _("Audit-firm user")


# Apps whose every model the bureau governs.
GOVERNED_APPS = ("catalog", "sharing", "operations")

# Roles whose scope is the whole bureau rather than a set of granted objects.
BUREAU_WIDE_ROLES = {Role.OFFICER, Role.AUDITOR}

# Model permissions per role. "*" means every permission of the governed apps, "view" every
# view permission of them. Applied after each migrate by govdata.apps.sync_role_permissions.
ROLE_PERMISSIONS = {
    Role.OFFICER: [
        "*",
        "catalog.view_user",
        "catalog.add_user",
        "catalog.change_user",
        "govdata.view_aggregationpolicy",
        "govdata.add_aggregationpolicy",
        "govdata.change_aggregationpolicy",
        "govdata.view_governancesnapshot",
    ],
    Role.AUDITOR: ["view", "catalog.view_user", "govdata.view_aggregationpolicy", "govdata.view_governancesnapshot"],
    Role.LIAISON: [
        "catalog.view_department",
        "catalog.view_dataelement",
        "catalog.view_dataresource",
        "catalog.add_dataresource",
        "catalog.change_dataresource",
        "catalog.view_dataitem",
        "catalog.add_dataitem",
        "catalog.change_dataitem",
        "catalog.delete_dataitem",
        "catalog.view_duty",
        "catalog.add_duty",
        "catalog.change_duty",
        "catalog.view_informationsystem",
        "catalog.add_informationsystem",
        "catalog.change_informationsystem",
        "catalog.view_sourceassignment",
        "catalog.add_sourceassignment",
        "sharing.view_shareagreement",
        "sharing.add_shareagreement",
        "sharing.change_shareagreement",
        "sharing.decide_shareagreement",
        "sharing.view_usagerecord",
        "sharing.add_usagerecord",
    ],
    Role.OPERATOR_USER: [
        "catalog.view_dataelement",
        "operations.view_operator",
        "operations.view_operatinglicense",
        "operations.view_dataproduct",
        "operations.add_dataproduct",
        "operations.change_dataproduct",
        "operations.view_trade",
        "operations.add_trade",
        "operations.view_annualdisclosure",
        "operations.add_annualdisclosure",
        "operations.view_audit",
        "operations.view_finding",
        "operations.answer_finding",
    ],
    Role.AUDIT_FIRM_USER: [
        "operations.view_auditfirm",
        "operations.view_operator",
        "operations.view_audit",
        "operations.change_audit",
        "operations.view_finding",
        "operations.add_finding",
        "operations.change_finding",
    ],
}
