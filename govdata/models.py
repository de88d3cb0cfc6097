"""The bureau's own records: its aggregation policy and the stored governance figures.

Besides these two models, this module matters because Django only sends post_migrate (which keeps
the role groups' permissions in step, see apps.py) to apps with a models module.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import GovernedHistory


class UsageWindow(models.IntegerChoices):
    """The periods over which usage is counted on the dashboard."""

    DAYS_30 = 30, _("last 30 days")
    DAYS_90 = 90, _("last 90 days")
    DAYS_365 = 365, _("last 365 days")


class AggregationPolicy(models.Model):
    """The bureau's rule for physical vs logical aggregation (DESIGN §1.1), as thresholds.

    A published resource used at least `frequency_threshold` times by at least
    `spillover_threshold` other departments within the window should be copied onto the platform
    (physical); one below both thresholds stays at its department (logical). There is one policy:
    the row always has the primary key 1.
    """

    SINGLETON_PK = 1

    frequency_threshold = models.PositiveIntegerField(
        _("usage frequency threshold"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Accepted uses within the window from which usage counts as high."),
    )
    spillover_threshold = models.PositiveIntegerField(
        _("spillover threshold"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Distinct using departments within the window from which spillover counts as high."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("default window"),
        choices=UsageWindow.choices,
        default=UsageWindow.DAYS_90,
        help_text=_("The window the dashboard shows first and the recommendations are computed for."),
    )

    history = GovernedHistory()

    class Meta:
        verbose_name = _("aggregation policy")
        verbose_name_plural = _("aggregation policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="aggregation_policy_single_row"),
            # Below 1, an unused resource would count as highly used and be recommended physical.
            models.CheckConstraint(
                condition=Q(frequency_threshold__gte=1, spillover_threshold__gte=1),
                name="aggregation_policy_thresholds_positive",
                violation_error_message=_("Thresholds are at least 1."),
            ),
        ]

    def __str__(self):
        return str(_("Aggregation policy"))

    @classmethod
    def current(cls) -> "AggregationPolicy":
        """The stored policy, or the defaults (unsaved) until an officer first saves it."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)


class GovernanceSnapshot(models.Model):
    """The governance figures of the whole bureau and of every department at one moment.

    Computing them reads every duty, resource, element and agreement, so the dashboard shows the
    latest snapshot instead (with its time), and the series of snapshots is each department's
    scorecard history. `figures` is what govdata.analytics.compute_figures returned.
    """

    taken_at = models.DateTimeField(_("taken at"), default=timezone.now, db_index=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the scheduled command took it."),
    )
    duration_ms = models.PositiveIntegerField(_("computation time (ms)"), default=0)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("governance snapshot")
        verbose_name_plural = _("governance snapshots")
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self):
        return str(_("Figures as of %(time)s") % {"time": timezone.localtime(self.taken_at).strftime("%Y-%m-%d %H:%M")})
