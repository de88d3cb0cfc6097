"""The vocabularies of the catalogue, with the orderings the rules depend on.

Strictness orders matter: an item may be stricter than its resource, never looser, and a
resource's effective grade is the highest grade of its items (就高从严).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    BUSINESS = "business", _("Business department")
    BUREAU = "bureau", _("Data bureau")


class DutyOrigin(models.TextChoices):
    MANDATE = "mandate", _("Mandate (三定方案)")
    POWER_LIST = "power_list", _("Power list (权力清单)")


class PowerKind(models.TextChoices):
    LICENSING = "licensing", _("Administrative licensing")
    PENALTY = "penalty", _("Administrative penalty")
    INSPECTION = "inspection", _("Administrative inspection")
    ENFORCEMENT = "enforcement", _("Administrative enforcement")
    LEVY = "levy", _("Administrative levy")
    PAYMENT = "payment", _("Administrative payment")
    CONFIRMATION = "confirmation", _("Administrative confirmation")
    AWARD = "award", _("Administrative award")
    RULING = "ruling", _("Administrative ruling")
    OTHER = "other", _("Other administrative power")


class SystemStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    RETIRED = "retired", _("Retired")


class SubjectCategory(models.TextChoices):
    BASIC_POPULATION = "basic_population", _("Basic library: population")
    BASIC_LEGAL_ENTITY = "basic_legal_entity", _("Basic library: legal entities")
    BASIC_SPATIAL = "basic_spatial", _("Basic library: natural resources and spatial geography")
    BASIC_ELICENCE = "basic_elicence", _("Basic library: e-licences")
    BASIC_CREDIT = "basic_credit", _("Basic library: social credit")
    THEMATIC = "thematic", _("Thematic library")
    DEPARTMENTAL = "departmental", _("Departmental library")

    @classmethod
    def basic_libraries(cls):
        return [c for c in cls if c.value.startswith("basic_")]


class SecurityGrade(models.TextChoices):
    GENERAL = "general", _("General")
    IMPORTANT = "important", _("Important")
    CORE = "core", _("Core")


class PersonalInfo(models.TextChoices):
    NONE = "none", _("No personal information")
    PERSONAL = "personal", _("Personal information")
    SENSITIVE = "sensitive", _("Sensitive personal information")


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Shared unconditionally")
    CONDITIONAL = "conditional", _("Shared conditionally")
    NOT_SHARED = "not_shared", _("Not shared")


class OpenType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Opened unconditionally")
    CONDITIONAL = "conditional", _("Opened conditionally")
    NOT_OPEN = "not_open", _("Not opened")


class UpdateFrequency(models.TextChoices):
    REAL_TIME = "real_time", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("Irregular")


class AggregationMode(models.TextChoices):
    PHYSICAL = "physical", _("Physical aggregation (copied to the platform)")
    LOGICAL = "logical", _("Logical aggregation (stays at the department)")


class DataType(models.TextChoices):
    STRING = "string", _("Text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes/no")
    BINARY = "binary", _("Binary (file, image)")


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Strictness ranks: a higher number is stricter.
GRADE_RANK = {SecurityGrade.GENERAL: 0, SecurityGrade.IMPORTANT: 1, SecurityGrade.CORE: 2}
PERSONAL_INFO_RANK = {PersonalInfo.NONE: 0, PersonalInfo.PERSONAL: 1, PersonalInfo.SENSITIVE: 2}
SHARE_RANK = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NOT_SHARED: 2}
OPEN_RANK = {OpenType.UNCONDITIONAL: 0, OpenType.CONDITIONAL: 1, OpenType.NOT_OPEN: 2}


# The resource workflow as data: (from, to) -> the service step that performs it.
RESOURCE_TRANSITIONS = {
    (ResourceStatus.DRAFT, ResourceStatus.SUBMITTED): "submit",
    (ResourceStatus.SUBMITTED, ResourceStatus.PUBLISHED): "publish",
    (ResourceStatus.SUBMITTED, ResourceStatus.DRAFT): "return",
    (ResourceStatus.PUBLISHED, ResourceStatus.DRAFT): "revise",
    (ResourceStatus.PUBLISHED, ResourceStatus.RETIRED): "retire",
}

CLAIM_TRANSITIONS = {
    (ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED): "confirm",
    (ClaimStatus.CLAIMED, ClaimStatus.REJECTED): "reject",
    (ClaimStatus.CLAIMED, ClaimStatus.WITHDRAWN): "withdraw",
    # A confirmed source can be revoked by the bureau (e.g. a reorganisation moves the duty).
    (ClaimStatus.CONFIRMED, ClaimStatus.REJECTED): "revoke",
}

# What the change history shows for a workflow step taken without a reason of its own. The
# services store the step's code as the change reason, so the stored history reads the same in
# every language; the history pages show it through this table (govdata.timeline.shown_reason).
STEP_LABELS = {
    "submit": _("Submitted for publication"),
    "publish": _("Published"),
    "return": _("Returned to the department"),
    "revise": _("Reopened for revision"),
    "retire": _("Retired"),
    "confirm": _("Confirmed as the source"),
    "reject": _("Claim rejected"),
    "withdraw": _("Claim withdrawn"),
    "revoke": _("Source confirmation revoked"),
}
