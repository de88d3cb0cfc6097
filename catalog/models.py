"""What government data exists, who holds it, and who is the one source of each data element."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govdata.history import GovernedHistory

from .choices import (
    GRADE_RANK,
    OPEN_RANK,
    PERSONAL_INFO_RANK,
    SHARE_RANK,
    AggregationMode,
    ClaimStatus,
    DataType,
    DepartmentKind,
    DutyOrigin,
    OpenType,
    PersonalInfo,
    PowerKind,
    ResourceStatus,
    SecurityGrade,
    ShareType,
    SubjectCategory,
    SystemStatus,
    UpdateFrequency,
)


class Department(models.Model):
    """A government department (部门) in the administrative hierarchy; the data bureau is one too.

    Each department has a liaison group: object permissions on its catalogue objects are granted
    to that group, and its liaisons are members of it.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.BUSINESS)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("active"), default=True)
    liaison_group = models.OneToOneField(
        "auth.Group",
        verbose_name=_("liaison group"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="department",
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Liaisons belong to the department they speak for."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    history = GovernedHistory(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    def get_full_name(self):
        # Chinese names are written family name first, without a space (陈立新).
        return f"{self.last_name}{self.first_name}".strip()


class InformationSystem(models.Model):
    """An information system (信息系统) run by a department; the data it leaves behind is catalogued."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="systems"
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=SystemStatus.choices, default=SystemStatus.IN_USE)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Duty(models.Model):
    """A duty item (职责事项) of a department, from its mandate (三定方案) or its power list (权力清单)."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="duties"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    origin = models.CharField(_("origin"), max_length=16, choices=DutyOrigin.choices)
    power_kind = models.CharField(_("power kind"), max_length=16, choices=PowerKind.choices, blank=True)
    systems = models.ManyToManyField(
        InformationSystem, verbose_name=_("information systems"), blank=True, related_name="duties"
    )

    history = GovernedHistory(m2m_fields=[systems])

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["department__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "code"], name="duty_code_unique_per_department"),
            models.CheckConstraint(
                condition=Q(origin=DutyOrigin.POWER_LIST, power_kind__gt="")
                | Q(origin=DutyOrigin.MANDATE, power_kind=""),
                name="duty_power_kind_only_for_power_list",
                violation_error_message=_("A power-list duty needs a power kind; a mandate duty has none."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        # The check constraint alone would report this on the whole form; the user needs it on the field.
        if self.origin == DutyOrigin.POWER_LIST and not self.power_kind:
            raise ValidationError({"power_kind": _("A power-list duty needs a power kind.")})
        if self.origin == DutyOrigin.MANDATE and self.power_kind:
            raise ValidationError({"power_kind": _("Only a power-list duty has a power kind.")})


class DataElement(models.Model):
    """A standard data element (标准数据元): the "one data" of one-data-one-source."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("definition"), blank=True)
    format = models.CharField(_("format"), max_length=200, blank=True)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


def _rule_constraints(prefix: str):
    """The classification rules that hold for a resource and for each of its items alike."""
    return [
        models.CheckConstraint(
            condition=~Q(security_grade=SecurityGrade.CORE) | Q(open_type=OpenType.NOT_OPEN),
            name=f"{prefix}_core_grade_never_opened",
            violation_error_message=_("Core-grade data cannot be opened."),
        ),
        models.CheckConstraint(
            condition=~Q(personal_info=PersonalInfo.SENSITIVE) | ~Q(share_type=ShareType.UNCONDITIONAL),
            name=f"{prefix}_sensitive_never_shared_unconditionally",
            violation_error_message=_("Sensitive personal information is at most shared conditionally."),
        ),
        models.CheckConstraint(
            condition=~Q(personal_info=PersonalInfo.SENSITIVE) | ~Q(open_type=OpenType.UNCONDITIONAL),
            name=f"{prefix}_sensitive_never_opened_unconditionally",
            violation_error_message=_("Sensitive personal information can never be opened unconditionally."),
        ),
    ]


class DataResource(models.Model):
    """A government data resource (政务数据资源): one entry of the unified catalogue.

    Ownership (持有权) always stays with the owning department; sharing and licensing never move it.
    """

    catalogue_code = models.CharField(_("catalogue code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("owning department"), on_delete=models.PROTECT, related_name="resources"
    )
    source_system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("source system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
    )
    duties = models.ManyToManyField(Duty, verbose_name=_("duties"), blank=True, related_name="resources")
    subject = models.CharField(_("subject category"), max_length=32, choices=SubjectCategory.choices)
    security_grade = models.CharField(
        _("security grade"), max_length=16, choices=SecurityGrade.choices, default=SecurityGrade.GENERAL
    )
    personal_info = models.CharField(
        _("personal information"), max_length=16, choices=PersonalInfo.choices, default=PersonalInfo.NONE
    )
    share_type = models.CharField(_("share type"), max_length=16, choices=ShareType.choices)
    share_conditions = models.TextField(_("share conditions"), blank=True)
    not_shared_basis = models.TextField(
        _("legal basis for not sharing"),
        blank=True,
        help_text=_("The law, administrative regulation or central policy that forbids sharing."),
    )
    open_type = models.CharField(_("open type"), max_length=16, choices=OpenType.choices, default=OpenType.NOT_OPEN)
    update_frequency = models.CharField(_("update frequency"), max_length=16, choices=UpdateFrequency.choices)
    format = models.CharField(_("format"), max_length=64, blank=True)
    aggregation_mode = models.CharField(
        _("aggregation mode"), max_length=16, choices=AggregationMode.choices, default=AggregationMode.LOGICAL
    )
    recommended_mode = models.CharField(
        _("recommended aggregation mode"),
        max_length=16,
        choices=AggregationMode.choices,
        blank=True,
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ResourceStatus.choices, default=ResourceStatus.DRAFT, editable=False
    )
    return_reason = models.TextField(_("reason for return"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = GovernedHistory(m2m_fields=[duties])

    class Meta:
        verbose_name = _("data resource")
        verbose_name_plural = _("data resources")
        ordering = ["catalogue_code"]
        permissions = [
            ("publish_dataresource", _("Can publish, return and retire data resources")),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="resource_dept_status"),
            # Covering: the catalogue (and its other departments' part) pages by code from the index alone.
            models.Index(
                fields=["status", "catalogue_code"], include=["id", "department"], name="resource_status_code_id"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(share_type=ShareType.CONDITIONAL) | ~Q(share_conditions=""),
                name="resource_conditional_needs_conditions",
                violation_error_message=_("Conditional sharing needs its conditions."),
            ),
            models.CheckConstraint(
                condition=~Q(share_type=ShareType.NOT_SHARED) | ~Q(not_shared_basis=""),
                name="resource_not_shared_needs_legal_basis",
                violation_error_message=_("Not sharing needs a legal basis (law, regulation or central policy)."),
            ),
            *_rule_constraints("resource"),
        ]

    def __str__(self):
        return f"{self.catalogue_code} {self.name}"

    def get_absolute_url(self):
        return reverse("admin:catalog_dataresource_change", args=[self.pk])

    def clean(self):
        errors = {}
        if self.share_type == ShareType.CONDITIONAL and not self.share_conditions.strip():
            errors["share_conditions"] = _("Conditional sharing needs its conditions.")
        if self.share_type == ShareType.NOT_SHARED and not self.not_shared_basis.strip():
            errors["not_shared_basis"] = _("Not sharing needs a legal basis (law, regulation or central policy).")
        errors.update(classification_errors(self))
        if self.source_system_id and self.department_id and self.source_system.department_id != self.department_id:
            errors["source_system"] = _("The source system must belong to the owning department.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_basic_library(self):
        return self.subject in SubjectCategory.basic_libraries()


def classification_errors(obj) -> dict:
    """Field errors for the grade / personal-information / share / open rules of DESIGN §3."""
    errors = {}
    if obj.security_grade == SecurityGrade.CORE and obj.open_type != OpenType.NOT_OPEN:
        errors["open_type"] = _("Core-grade data cannot be opened.")
    if obj.personal_info == PersonalInfo.SENSITIVE:
        if obj.share_type == ShareType.UNCONDITIONAL:
            errors["share_type"] = _("Sensitive personal information is at most shared conditionally.")
        if obj.open_type == OpenType.UNCONDITIONAL:
            errors["open_type"] = _("Sensitive personal information can never be opened unconditionally.")
    return errors


class DataItem(models.Model):
    """A data item (信息项): one field of a resource. It may be stricter than its resource, never looser."""

    resource = models.ForeignKey(
        DataResource, verbose_name=_("data resource"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    data_type = models.CharField(_("data type"), max_length=16, choices=DataType.choices, default=DataType.STRING)
    length = models.PositiveIntegerField(_("length"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    security_grade = models.CharField(
        _("security grade"), max_length=16, choices=SecurityGrade.choices, default=SecurityGrade.GENERAL
    )
    personal_info = models.CharField(
        _("personal information"), max_length=16, choices=PersonalInfo.choices, default=PersonalInfo.NONE
    )
    share_type = models.CharField(
        _("share type"), max_length=16, choices=ShareType.choices, default=ShareType.UNCONDITIONAL
    )
    open_type = models.CharField(_("open type"), max_length=16, choices=OpenType.choices, default=OpenType.NOT_OPEN)
    is_core_item = models.BooleanField(
        _("core item of a basic library"),
        default=False,
        help_text=_("Core items of the basic libraries (基础库) are shared unconditionally."),
    )
    element = models.ForeignKey(
        DataElement,
        verbose_name=_("standard data element"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("data item")
        verbose_name_plural = _("data items")
        ordering = ["resource_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "code"], name="item_code_unique_per_resource"),
            models.CheckConstraint(
                condition=Q(is_core_item=False) | Q(share_type=ShareType.UNCONDITIONAL),
                name="item_core_of_basic_library_shared_unconditionally",
                violation_error_message=_("A core item of a basic library is shared unconditionally."),
            ),
            *_rule_constraints("item"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        errors = classification_errors(self)
        try:
            # In a formset the (possibly unsaved) parent is already attached.
            resource = self.resource
        except DataResource.DoesNotExist:
            resource = None
        if self.is_core_item and self.share_type != ShareType.UNCONDITIONAL:
            errors["share_type"] = _("A core item of a basic library is shared unconditionally.")
        if resource is not None:
            errors.update(looser_than_resource_errors(self, resource))
            if self.is_core_item and not resource.is_basic_library:
                errors["is_core_item"] = _("Only items of a basic-library resource can be core items.")
        if errors:
            raise ValidationError(errors)


def looser_than_resource_errors(item, resource) -> dict:
    errors = {}
    if resource.share_type not in SHARE_RANK or resource.open_type not in OPEN_RANK:
        return errors  # the resource's own form reports its missing types; nothing to compare yet
    # The basic-library core item rule overrides the resource's share type on purpose.
    if SHARE_RANK[item.share_type] < SHARE_RANK[resource.share_type] and not item.is_core_item:
        errors["share_type"] = _("An item cannot be shared more freely than its resource.")
    if OPEN_RANK[item.open_type] < OPEN_RANK[resource.open_type]:
        errors["open_type"] = _("An item cannot be opened more freely than its resource.")
    return errors


def strictest(values, ranks):
    return max(values, key=lambda v: ranks[v])


def effective_grade(resource, items) -> str:
    """就高从严: the highest grade among the resource and its items."""
    return strictest([resource.security_grade, *(i.security_grade for i in items)], GRADE_RANK)


def effective_personal_info(resource, items) -> str:
    return strictest([resource.personal_info, *(i.personal_info for i in items)], PERSONAL_INFO_RANK)


class SourceAssignment(models.Model):
    """A department's claim to be the one authoritative source (采集分工) of a data element.

    Departments claim; the bureau confirms one claim per element and rejects its competitors.
    The partial unique constraint keeps a second confirmation out even when two officers act at once.
    """

    element = models.ForeignKey(
        DataElement, verbose_name=_("data element"), on_delete=models.PROTECT, related_name="assignments"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="source_assignments"
    )
    resource = models.ForeignKey(
        DataResource,
        verbose_name=_("source resource"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_assignments",
    )
    legal_basis = models.TextField(_("legal basis"))
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED, editable=False
    )
    claimed_by = models.ForeignKey(
        "catalog.User",
        verbose_name=_("claimed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "catalog.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_reason = models.TextField(_("reason for the decision"), blank=True, editable=False)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("source assignment")
        verbose_name_plural = _("source assignments")
        ordering = ["element__code", "claimed_at"]
        permissions = [("confirm_sourceassignment", _("Can confirm or reject source claims"))]
        constraints = [
            models.UniqueConstraint(
                fields=["element"],
                condition=Q(status=ClaimStatus.CONFIRMED),
                name="one_confirmed_source_per_element",
                violation_error_message=_("This data element already has a confirmed source."),
            ),
            models.UniqueConstraint(
                fields=["element", "department"],
                condition=Q(status__in=[ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED]),
                name="one_open_claim_per_element_and_department",
                violation_error_message=_("This department already claims this data element."),
            ),
        ]

    def __str__(self):
        return f"{self.element} ← {self.department}"

    def clean(self):
        if self.resource_id and self.department_id and self.resource.department_id != self.department_id:
            raise ValidationError({"resource": _("The source resource must belong to the claiming department.")})
        if not (self.legal_basis or "").strip():
            raise ValidationError({"legal_basis": _("State the legal basis of the claim.")})


# --- Object permissions: guardian's direct foreign-key tables (the generic ones do not scale) ----


class DataResourceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(DataResource, on_delete=models.CASCADE)


class DataResourceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataResource, on_delete=models.CASCADE)


class DataItemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(DataItem, on_delete=models.CASCADE)


class DataItemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataItem, on_delete=models.CASCADE)


class DutyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Duty, on_delete=models.CASCADE)


class DutyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Duty, on_delete=models.CASCADE)


class InformationSystemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(InformationSystem, on_delete=models.CASCADE)


class InformationSystemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(InformationSystem, on_delete=models.CASCADE)


class SourceAssignmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SourceAssignment, on_delete=models.CASCADE)


class SourceAssignmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(SourceAssignment, on_delete=models.CASCADE)
