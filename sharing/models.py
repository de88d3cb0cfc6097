"""Who may use what under which agreement, proof of every use, and the evidence ledger."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govdata.history import GovernedHistory

from .choices import AgreementStatus, UsageMode, UsageOutcome


class ShareAgreement(models.Model):
    """A share agreement (共享协议) between a using and an owning department, under the bureau.

    Sharing never changes ownership: the provider stays the holder of every item; the agreement
    grants the requester use of exactly the listed items, in one mode, for one period, with the
    responsibilities of all three parties written down.
    """

    number = models.CharField(_("agreement number"), max_length=32, unique=True, editable=False)
    requester = models.ForeignKey(
        "catalog.Department",
        verbose_name=_("requesting department"),
        on_delete=models.PROTECT,
        related_name="requested_agreements",
    )
    provider = models.ForeignKey(
        "catalog.Department",
        verbose_name=_("providing department"),
        on_delete=models.PROTECT,
        related_name="provided_agreements",
    )
    items = models.ManyToManyField("catalog.DataItem", verbose_name=_("data items"), related_name="agreements")
    purpose = models.TextField(_("purpose"))
    legal_basis = models.TextField(_("legal basis"))
    usage_mode = models.CharField(_("usage mode"), max_length=16, choices=UsageMode.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    requester_contact = models.CharField(_("responsible person (requester)"), max_length=100)
    provider_contact = models.CharField(_("responsible person (provider)"), max_length=100, blank=True)
    requester_duties = models.TextField(_("responsibilities of the using department"), blank=True)
    provider_duties = models.TextField(_("responsibilities of the owning department"), blank=True)
    bureau_duties = models.TextField(_("responsibilities of the managing department"), blank=True)
    exception_basis = models.TextField(
        _("legal basis of the bureau's exception"),
        blank=True,
        editable=False,
        help_text=_("Set by the bureau when it lets not-shared items be requested."),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT, editable=False
    )
    status_reason = models.TextField(_("reason of the last step"), blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    decision_due = models.DateField(_("decision due"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = GovernedHistory(m2m_fields=[items])

    class Meta:
        verbose_name = _("share agreement")
        verbose_name_plural = _("share agreements")
        ordering = ["-created_at"]
        permissions = [
            ("decide_shareagreement", _("Can decide share requests as the providing department")),
            ("approve_shareagreement", _("Can approve, suspend and revoke share agreements as the bureau")),
        ]
        indexes = [
            models.Index(fields=["requester", "status"], name="agreement_requester_status"),
            models.Index(fields=["provider", "status"], name="agreement_provider_status"),
            models.Index(fields=["status", "decision_due"], name="agreement_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")),
                name="agreement_period_not_reversed",
                violation_error_message=_("The period must not end before it begins."),
            ),
            models.CheckConstraint(
                condition=~Q(requester=F("provider")),
                name="agreement_between_two_departments",
                violation_error_message=_("A department does not need an agreement with itself."),
            ),
        ]

    def __str__(self):
        return self.number or str(_("new agreement"))

    def get_absolute_url(self):
        return reverse("portal:agreement_detail", args=[self.pk])


class Holiday(models.Model):
    """A day the bureau's calendar treats differently from the weekday rule.

    Public holidays are days off; a weekend day the State Council declares a working day (调休)
    is entered with `is_working_day` set. Decision deadlines count working days on this calendar.
    """

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_working_day = models.BooleanField(_("working day (make-up day)"), default=False)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class UsageRecord(models.Model):
    """One use of data under an agreement (调用记录), or one refused attempt, as the exchange
    system reported it. Refusals are kept too: they are evidence as much as uses are."""

    agreement = models.ForeignKey(
        ShareAgreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="usage_records"
    )
    used_at = models.DateTimeField(_("used at"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    end_user = models.CharField(_("end user"), max_length=100, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=UsageMode.choices)
    item_codes = models.JSONField(_("items touched"), default=list)
    # Bounded explicitly so that SQLite and PostgreSQL accept exactly the same values.
    record_count = models.PositiveIntegerField(
        _("record count"), default=0, validators=[MaxValueValidator(2_147_483_647)]
    )
    purpose_reference = models.CharField(_("purpose reference"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=UsageOutcome.choices)
    rejection_reason = models.TextField(_("reason for refusal"), blank=True)

    history = GovernedHistory()

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-used_at"]
        indexes = [models.Index(fields=["agreement", "-used_at"], name="usage_agreement_time")]

    def __str__(self):
        return f"{self.agreement} @ {self.used_at:%Y-%m-%d %H:%M}"


class ShareAgreementUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ShareAgreement, on_delete=models.CASCADE)


class ShareAgreementGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ShareAgreement, on_delete=models.CASCADE)


class LedgerEntry(models.Model):
    """One entry of the append-only, hash-chained evidence ledger (存证账本).

    `payload` is the canonical JSON that was hashed, stored as text so that the exact bytes are
    kept; `entry_hash = SHA-256(prev_hash || payload)`. Only sharing/ledger.py writes this table,
    and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on it.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    payload = models.TextField(_("canonical payload"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="ledger_object")]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class LedgerCheckpoint(models.Model):
    """A signed tree head: the RFC 6962 Merkle root over the first `tree_size` ledger entries.

    An auditor who keeps a checkpoint (JSON with the signature) can later prove that no entry it
    covers was changed, even by someone who rewrote the whole hash chain behind the triggers.
    """

    tree_size = models.BigIntegerField(_("entries covered"), unique=True)
    root_hash = models.CharField(_("Merkle root"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    key_id = models.CharField(_("key id"), max_length=32)
    signature = models.CharField(_("signature"), max_length=128)

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")
        ordering = ["tree_size"]

    def __str__(self):
        return f"#{self.tree_size} {self.root_hash[:12]}…"
