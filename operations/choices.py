"""Vocabularies and state machines of licensed data operation (DESIGN §3 operations/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OperatorNature(models.TextChoices):
    STATE_OWNED = "state_owned", _("State-owned enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    PRIVATE = "private", _("Private enterprise")


class OperatorStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    DEREGISTERED = "deregistered", _("Deregistered")


class FeeModel(models.TextChoices):
    FREE = "free", _("Free of charge")
    FLAT = "flat", _("Flat licence fee")
    REVENUE_SHARE = "revenue_share", _("Share of revenue")
    PER_USE = "per_use", _("Fee per use")


class LicenseStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


L = LicenseStatus
# step -> (from states, to state, reason required). Every step is the bureau's, except expiry.
LICENSE_TRANSITIONS = {
    "approve": ((L.APPLIED,), L.APPROVED, False),
    "activate": ((L.APPROVED,), L.ACTIVE, False),
    "suspend": ((L.ACTIVE,), L.SUSPENDED, True),
    "resume": ((L.SUSPENDED,), L.ACTIVE, True),
    # Refusing an application and ending a licence early are both revocations, with a reason.
    "revoke": ((L.APPLIED, L.APPROVED, L.ACTIVE, L.SUSPENDED), L.REVOKED, True),
    "expire": ((L.ACTIVE, L.SUSPENDED), L.EXPIRED, False),
}


class Distribution(models.TextChoices):
    OPEN = "open", _("Opened to the public")
    TRADED = "traded", _("Traded")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Under bureau review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


P = ProductStatus
# step -> (from states, to state, party, reason required)
PRODUCT_TRANSITIONS = {
    "submit": ((P.DRAFT, P.REJECTED), P.SUBMITTED, "operator", False),
    "approve": ((P.SUBMITTED,), P.APPROVED, "bureau", False),
    "reject": ((P.SUBMITTED,), P.REJECTED, "bureau", True),
    "withdraw": ((P.DRAFT, P.SUBMITTED, P.APPROVED), P.WITHDRAWN, "operator_or_bureau", True),
}


class DesensitizationMethod(models.TextChoices):
    MASK = "mask", _("Masking")
    GENERALIZE = "generalize", _("Generalization")
    PSEUDONYMIZE = "pseudonymize", _("Keyed pseudonymization (HMAC-SHA-256)")
    SUPPRESS = "suppress", _("Suppression")


class Generalization(models.TextChoices):
    DATE_TO_MONTH = "date_month", _("Date to month")
    DATE_TO_YEAR = "date_year", _("Date to year")
    NUMBER_TO_RANGE = "number_range", _("Number to range")
    ADDRESS_TO_DISTRICT = "address_district", _("Address to district")


class AuditStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered by the operator")
    CLOSED = "closed", _("Closed")


# What the change history shows for a step taken without a reason of its own: the services store
# the step's code as the change reason (the same in every language), the pages show this label
# (govdata.timeline.shown_reason). Licences, products and audits share the table: a step of the
# same name means the same thing for each.
STEP_LABELS = {
    "approve": _("Approved"),
    "activate": _("Put in force"),
    "suspend": _("Suspended"),
    "resume": _("Resumed"),
    "revoke": _("Revoked"),
    "expire": _("Expired"),
    "submit": _("Submitted for bureau review"),
    "reject": _("Rejected"),
    "withdraw": _("Withdrawn"),
    "assign": _("Assigned to the audit firm"),
    AuditStatus.IN_PROGRESS.value: _("Audit started"),
    AuditStatus.COMPLETED.value: _("Audit completed"),
}
