"""The share-agreement state machine and the vocabularies of sharing (DESIGN §3 sharing/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageMode(models.TextChoices):
    VERIFY = "verify", _("Verify (yes/no answers)")
    QUERY = "query", _("Query")
    BULK = "bulk", _("Bulk copy")


# A mode grants itself and the weaker ones: bulk copy includes querying, querying includes verifying.
MODE_RANK = {UsageMode.VERIFY: 0, UsageMode.QUERY: 1, UsageMode.BULK: 2}


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting the provider")
    PROVIDER_APPROVED = "provider_approved", _("Awaiting the bureau")
    PROVIDER_REJECTED = "provider_rejected", _("Rejected by the provider")
    BUREAU_REJECTED = "bureau_rejected", _("Rejected by the bureau")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Party(models.TextChoices):
    """Who may take a step: the using department, the owning department, the bureau, or the clock."""

    REQUESTER = "requester", _("Requesting department")
    PROVIDER = "provider", _("Providing department")
    BUREAU = "bureau", _("Data bureau")
    SYSTEM = "system", _("System (expiry)")


S = AgreementStatus

# The state machine as data: step -> (states it starts from, state it leads to, who may take it,
# whether a reason is required). The service layer is the only reader.
AGREEMENT_TRANSITIONS = {
    "submit": ((S.DRAFT,), S.SUBMITTED, Party.REQUESTER, False),
    "withdraw": ((S.DRAFT, S.SUBMITTED), S.WITHDRAWN, Party.REQUESTER, True),
    "provider_approve": ((S.SUBMITTED,), S.PROVIDER_APPROVED, Party.PROVIDER, False),
    "provider_reject": ((S.SUBMITTED,), S.PROVIDER_REJECTED, Party.PROVIDER, True),
    # From SUBMITTED only when the provider step is skipped (every item shared unconditionally).
    "bureau_approve": ((S.SUBMITTED, S.PROVIDER_APPROVED), S.ACTIVE, Party.BUREAU, False),
    "bureau_reject": ((S.SUBMITTED, S.PROVIDER_APPROVED), S.BUREAU_REJECTED, Party.BUREAU, True),
    "suspend": ((S.ACTIVE,), S.SUSPENDED, Party.BUREAU, True),
    "resume": ((S.SUSPENDED,), S.ACTIVE, Party.BUREAU, True),
    "revoke_by_bureau": ((S.ACTIVE, S.SUSPENDED), S.REVOKED, Party.BUREAU, True),
    "revoke_by_provider": ((S.ACTIVE, S.SUSPENDED), S.REVOKED, Party.PROVIDER, True),
    "expire": ((S.ACTIVE, S.SUSPENDED), S.EXPIRED, Party.SYSTEM, False),
}

# What the change history shows for a step taken without a reason of its own: the services store
# the step's code as the change reason (the same in every language), the pages show this label
# (govdata.timeline.shown_reason). "responsibilities" is the bureau's edit of the clause.
STEP_LABELS = {
    "submit": _("Submitted to the provider"),
    "withdraw": _("Withdrawn by the requester"),
    "provider_approve": _("Approved by the provider"),
    "provider_reject": _("Rejected by the provider"),
    "bureau_approve": _("Approved by the bureau: in force"),
    "bureau_reject": _("Rejected by the bureau"),
    "suspend": _("Suspended by the bureau"),
    "resume": _("Resumed by the bureau"),
    "revoke_by_bureau": _("Revoked by the bureau"),
    "revoke_by_provider": _("Revoked by the provider"),
    "expire": _("Expired at the end of its period"),
    "responsibilities": _("Responsibilities edited by the bureau"),
}

# States in which the provider still owes a decision (deadline applies).
AWAITING_PROVIDER = (S.SUBMITTED,)
CLOSED_STATES = (S.PROVIDER_REJECTED, S.BUREAU_REJECTED, S.WITHDRAWN, S.REVOKED, S.EXPIRED)


class UsageOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
