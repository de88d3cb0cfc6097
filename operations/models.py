"""Licensed operation of public data: the government keeps ownership; an operator receives a
time-limited, scoped right to build and sell products from desensitized data, under supervision."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govdata.history import GovernedHistory

from .choices import (
    AuditStatus,
    DesensitizationMethod,
    Distribution,
    FeeModel,
    FindingStatus,
    LicenseStatus,
    OperatorNature,
    OperatorStatus,
    ProductStatus,
    Severity,
)

# GB 32100-2015: the 18-character unified social credit code and its check character.
_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return _CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    if len(value) != 18 or any(c not in _CREDIT_CODE_ALPHABET for c in value):
        raise ValidationError(_("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)."))
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(_("The check character of this unified social credit code is wrong."))


class Operator(models.Model):
    """A licensed operator of public data (授权运营机构). Its staff are the members of its group."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    nature = models.CharField(_("nature"), max_length=24, choices=OperatorNature.choices)
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OperatorStatus.choices, default=OperatorStatus.ACTIVE)
    staff_group = models.OneToOneField(
        "auth.Group", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="operator"
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OperatingLicense(models.Model):
    """An operating licence (运营许可): the right to operate listed resources, never to own them."""

    number = models.CharField(_("licence number"), max_length=32, unique=True)
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="licenses"
    )
    resources = models.ManyToManyField(
        "catalog.DataResource", verbose_name=_("licensed resources"), related_name="licenses"
    )
    scope = models.TextField(_("scope"))
    permitted_uses = models.TextField(_("permitted uses"))
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    fee_model = models.CharField(_("fee model"), max_length=16, choices=FeeModel.choices)
    fee_terms = models.TextField(_("fee terms"), blank=True)
    price_cap = models.DecimalField(
        _("price cap per trade (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    conditions = models.TextField(_("conditions"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=LicenseStatus.choices, default=LicenseStatus.APPLIED, editable=False
    )
    status_reason = models.TextField(_("reason of the last step"), blank=True, editable=False)

    history = GovernedHistory(m2m_fields=[resources])

    class Meta:
        verbose_name = _("operating licence")
        verbose_name_plural = _("operating licences")
        ordering = ["-term_start", "number"]
        permissions = [("decide_operatinglicense", _("Can approve, suspend and revoke operating licences"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=F("term_start")),
                name="license_term_not_reversed",
                violation_error_message=_("The term must not end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.operator}"


class DataProduct(models.Model):
    """A data product (数据产品) built under a licence from desensitized licensed data."""

    license = models.ForeignKey(
        OperatingLicense, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    distribution = models.CharField(_("distribution"), max_length=16, choices=Distribution.choices)
    list_price = models.DecimalField(_("list price (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    items = models.ManyToManyField("catalog.DataItem", verbose_name=_("data items"), related_name="products")
    # The per-product HMAC key: tokens of one product link records; tokens of two products do not.
    pseudonym_key = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT, editable=False
    )
    status_reason = models.TextField(_("reason of the last step"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = GovernedHistory(m2m_fields=[items], excluded_fields=["pseudonym_key"])

    class Meta:
        verbose_name = _("data product")
        verbose_name_plural = _("data products")
        ordering = ["-created_at"]
        permissions = [("review_dataproduct", _("Can approve or reject data products"))]

    def __str__(self):
        return self.name


class DesensitizationRule(models.Model):
    """How one personal-information item is desensitized in one product."""

    product = models.ForeignKey(DataProduct, verbose_name=_("product"), on_delete=models.CASCADE, related_name="rules")
    item = models.ForeignKey(
        "catalog.DataItem", verbose_name=_("data item"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=16, choices=DesensitizationMethod.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("desensitization rule")
        verbose_name_plural = _("desensitization rules")
        constraints = [models.UniqueConstraint(fields=["product", "item"], name="one_rule_per_item_and_product")]

    def __str__(self):
        return f"{self.item} · {self.get_method_display()}"


class Trade(models.Model):
    """One sale of a data product (交易), under the licence in force on its date."""

    product = models.ForeignKey(DataProduct, verbose_name=_("product"), on_delete=models.PROTECT, related_name="trades")
    license = models.ForeignKey(
        OperatingLicense, verbose_name=_("licence in force"), on_delete=models.PROTECT, related_name="trades"
    )
    buyer = models.CharField(_("buyer"), max_length=200)
    buyer_credit_code = models.CharField(_("buyer's credit code"), max_length=18, blank=True)
    price = models.DecimalField(_("price (yuan)"), max_digits=14, decimal_places=2)
    traded_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["-traded_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="trade_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.product} → {self.buyer}"


class AnnualDisclosure(models.Model):
    """An operator's yearly report of its licences, products and prices, due by 31 March."""

    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="disclosures"
    )
    year = models.PositiveIntegerField(_("reporting year"))
    figures = models.JSONField(_("figures"), default=dict, editable=False)
    statement = models.TextField(_("statement"), blank=True)
    filed_at = models.DateTimeField(_("filed at"), editable=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("annual disclosure")
        verbose_name_plural = _("annual disclosures")
        ordering = ["-year", "operator__name"]
        constraints = [models.UniqueConstraint(fields=["operator", "year"], name="one_disclosure_per_operator_year")]

    def __str__(self):
        return f"{self.operator} {self.year}"


class AuditFirm(models.Model):
    """A certified third-party audit firm (第三方审计机构). Its staff are the members of its group."""

    name = models.CharField(_("name"), max_length=200)
    certificate_number = models.CharField(_("certificate number"), max_length=64, unique=True)
    certified_until = models.DateField(_("certified until"))
    staff_group = models.OneToOneField(
        "auth.Group", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="audit_firm"
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("audit firm")
        verbose_name_plural = _("audit firms")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Audit(models.Model):
    """An audit of an operator (or one of its licences) assigned by the bureau to a certified firm."""

    firm = models.ForeignKey(AuditFirm, verbose_name=_("audit firm"), on_delete=models.PROTECT, related_name="audits")
    operator = models.ForeignKey(Operator, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="audits")
    license = models.ForeignKey(
        OperatingLicense,
        verbose_name=_("licence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audits",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=16, choices=AuditStatus.choices, default=AuditStatus.ASSIGNED, editable=False
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-assigned_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="audit_period_not_reversed",
                violation_error_message=_("The period must not end before it begins."),
            ),
        ]

    def __str__(self):
        return f"{self.firm} → {self.operator} ({self.period_start}–{self.period_end})"


class Finding(models.Model):
    """A finding of an audit: what is wrong, how to put it right, by when; the operator answers."""

    audit = models.ForeignKey(Audit, verbose_name=_("audit"), on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("description"))
    remediation = models.TextField(_("required remediation"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN, editable=False
    )
    operator_response = models.TextField(_("operator's response"), blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["due_date", "pk"]
        permissions = [("answer_finding", _("Can answer findings as the audited operator"))]
        indexes = [models.Index(fields=["status", "due_date"], name="finding_status_due")]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.description[:40]}"


# --- Object permissions (direct foreign-key tables) -----------------------------------------


class OperatorUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Operator, on_delete=models.CASCADE)


class OperatorGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Operator, on_delete=models.CASCADE)


class AuditFirmUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AuditFirm, on_delete=models.CASCADE)


class AuditFirmGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AuditFirm, on_delete=models.CASCADE)


class OperatingLicenseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(OperatingLicense, on_delete=models.CASCADE)


class OperatingLicenseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(OperatingLicense, on_delete=models.CASCADE)


class DataProductUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


class DataProductGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


class TradeUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Trade, on_delete=models.CASCADE)


class TradeGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Trade, on_delete=models.CASCADE)


class AuditUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)


class AuditGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)


class FindingUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Finding, on_delete=models.CASCADE)


class FindingGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Finding, on_delete=models.CASCADE)


class AnnualDisclosureUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AnnualDisclosure, on_delete=models.CASCADE)


class AnnualDisclosureGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AnnualDisclosure, on_delete=models.CASCADE)
