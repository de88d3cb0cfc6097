"""The governance dashboard (/dashboard/): thin views over govdata.analytics.

Officers and auditors see the bureau and every department; a department liaison sees the same
page with only their own department's figures (no other department is named or counted); anyone
else gets 403. The figures come from the latest GovernanceSnapshot, so the page costs the same
few queries however large the catalogue is.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog.choices import AggregationMode
from catalog.models import DataResource, Department
from catalog.selectors import portal_department_id
from sharing.choices import AgreementStatus

from . import analytics
from .models import AggregationPolicy, UsageWindow
from .permissions import is_bureau_wide

FUNNEL_LABELS = {
    "duties": gettext_lazy("Duties"),
    "with_system": gettext_lazy("with a system"),
    "with_resource": gettext_lazy("with a data resource"),
    "with_shareable": gettext_lazy("with a shareable resource"),
    "with_agreement": gettext_lazy("under an active agreement"),
}
# The history chart follows these funnel rates (share of all duties); the sparklines the last one.
HISTORY_RATES = ("with_resource", "with_shareable", "with_agreement")
SPARKLINE_RATE = "with_agreement"
# Short names for table cells; the chart legend uses the full labels of AggregationMode.
MODE_SHORT_LABELS = {
    AggregationMode.PHYSICAL.value: gettext_lazy("Physical"),
    AggregationMode.LOGICAL.value: gettext_lazy("Logical"),
    "": gettext_lazy("Either"),
}


class WindowForm(forms.Form):
    window = forms.TypedChoiceField(
        label=gettext_lazy("Usage window"),
        choices=UsageWindow.choices,
        coerce=int,
        error_messages={"invalid_choice": gettext_lazy("Choose a window of 30, 90 or 365 days.")},
    )


def _scope(user) -> int | None:
    """None for the bureau-wide view, the department's id for a liaison; 403 for anyone else."""
    if is_bureau_wide(user, DataResource, "view"):
        return None
    department_id = portal_department_id(user)
    if department_id is None:
        raise PermissionDenied(_("The dashboard is for the data bureau, auditors and department liaisons."))
    return department_id


def _rate(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _days(seconds) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def _url(name: str, *args, query: dict | None = None) -> str:
    """A link, or "" where the page does not exist (an app not installed yet)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


class _Links:
    """Where the names on the dashboard lead: the admin for the bureau, the portal for a liaison."""

    def __init__(self, bureau: bool):
        self.bureau = bureau

    def resource(self, pk):
        if self.bureau:
            return _url("admin:catalog_dataresource_change", pk)
        return _url("portal:resource_detail", pk)

    def element(self, pk, code):
        if self.bureau:
            return _url("admin:catalog_dataelement_change", pk)
        return _url("portal:element_list", query={"q": code})

    def agreement(self, pk):
        if self.bureau:
            return _url("admin:sharing_shareagreement_change", pk)
        return _url("portal:agreement_detail", pk)


def _funnel_row(label: str, counts: dict, *, department_id=None) -> dict:
    total = counts.get("duties", 0)
    stages = [
        {"key": key, "label": FUNNEL_LABELS[key], "count": counts.get(key, 0), "rate": _rate(counts.get(key, 0), total)}
        for key in analytics.FUNNEL_STAGES[1:]
    ]
    return {"label": label, "department_id": department_id, "duties": total, "stages": stages}


def _scorecard_row(label: str, card: dict, series: list, *, department_id=None) -> dict:
    duties = card.get("duties", 0)
    return {
        "label": label,
        "department_id": department_id,
        "card": card,
        "rates": {key: _rate(card.get(key, 0), duties) for key in analytics.FUNNEL_STAGES[1:]},
        "median_days": _days(card.get("median_decision_seconds")),
        "conformance_issues": card.get("no_source", 0) + card.get("contested", 0) + card.get("duplicates", 0),
        "series": series,
    }


def _history_series(history, key: str, stage: str) -> list:
    series = []
    for _taken_at, cards in history:
        card = cards.get(key)
        series.append(_rate(card.get(stage, 0), card.get("duties", 0)) if card else None)
    return series


def _quadrant_chart(quadrant: dict, policy: dict) -> dict:
    datasets = []
    for mode in AggregationMode:
        datasets.append(
            {
                "mode": mode.value,
                "label": str(mode.label),
                "points": [
                    {"x": p["uses"], "y": p["spillover"], "count": p["count"]}
                    for p in quadrant["points"]
                    if p["mode"] == mode.value
                ],
            }
        )
    return {
        "datasets": datasets,
        "frequency_threshold": policy["frequency_threshold"],
        "spillover_threshold": policy["spillover_threshold"],
        "labels": {
            "x": _("Accepted uses in the window"),
            "y": _("Using departments (spillover)"),
            "threshold": _("Policy threshold"),
            "resources": _("resources"),
        },
    }


def _resource_rows(rows: list, links: _Links, names: dict) -> list:
    return [
        {
            **row,
            "url": links.resource(row["pk"]),
            "department": names.get(row.get("department_id"), ""),
            "actual_label": MODE_SHORT_LABELS.get(row["aggregation_mode"], row["aggregation_mode"]),
            "recommended_label": MODE_SHORT_LABELS.get(row["recommended"], row["recommended"]),
        }
        for row in rows
    ]


def _overdue_rows(rows: list, links: _Links, names: dict, today: date) -> list:
    result = []
    for row in rows:
        due = parse_date(row["decision_due"]) if row["decision_due"] else None
        result.append(
            {
                **row,
                "submitted_at": parse_datetime(row["submitted_at"]) if row["submitted_at"] else None,
                "decision_due": due,
                "days_overdue": (today - due).days if due else None,
                "url": links.agreement(row["pk"]),
                "requester": names.get(row.get("requester_id"), ""),
                "provider": names.get(row.get("provider_id"), ""),
            }
        )
    return result


@login_required
@require_GET
def index(request):
    department_id = _scope(request.user)
    bureau = department_id is None
    policy = AggregationPolicy.current()
    form = WindowForm(request.GET if "window" in request.GET else None)
    window = policy.window_days
    if form.is_bound:
        if form.is_valid():
            window = form.cleaned_data["window"]
        else:
            messages.warning(request, " ".join(form.errors["window"]))

    figures = analytics.dashboard_figures(department_id=department_id, actor=request.user)
    history = analytics.scorecard_history(department_id)
    if bureau:
        departments = list(Department.objects.filter(active=True).order_by("code").values("pk", "code", "name"))
    else:
        departments = [{"pk": request.user.department.pk, "code": request.user.department.code}]
        departments[0]["name"] = request.user.department.name
    names = {d["pk"]: d["name"] for d in departments}
    links = _Links(bureau)
    today = timezone.localdate()
    scope = figures.scope
    snapshot_policy = figures.policy or {}

    # Coverage funnel: the scope's own counts, and a row per department for the bureau.
    overall = _funnel_row(_("All departments") if bureau else names[department_id], scope["funnel"])
    department_rows = [
        _funnel_row(d["name"], figures.scorecards[analytics.department_key(d["pk"])], department_id=d["pk"])
        for d in departments
        if analytics.department_key(d["pk"]) in figures.scorecards
    ]
    funnel_chart = {
        "labels": [str(FUNNEL_LABELS[key]) for key in analytics.FUNNEL_STAGES],
        "counts": [scope["funnel"][key] for key in analytics.FUNNEL_STAGES],
        "label": _("Duties"),
    }

    # Aggregation quadrant of the chosen window.
    quadrant = scope["quadrant"].get(analytics.window_key(window))
    quadrant_chart = _quadrant_chart(quadrant, snapshot_policy) if quadrant else None

    # One data, one source.
    conformance = scope["conformance"]
    no_source = [{**e, "url": links.element(e["pk"], e["code"])} for e in conformance["no_source"]]
    contested = [{**e, "url": links.element(e["pk"], e["code"])} for e in conformance["contested"]]
    duplicates = [
        {
            **d,
            "url": links.resource(d["resource_id"]),
            "element_url": links.element(d["element_id"], d["element__code"]),
            "department": names.get(d.get("resource__department_id"), ""),
            "source_department": names.get(d.get("source_department_id"), ""),
        }
        for d in conformance["duplicates"]
    ]

    # Sharing health.
    sharing = scope["sharing"]
    status_rows = [
        {"status": status, "label": str(AgreementStatus(status).label), "count": sharing["by_status"].get(status, 0)}
        for status in AgreementStatus.values
        if status != AgreementStatus.DRAFT
    ]
    status_chart = {
        "labels": [row["label"] for row in status_rows],
        "counts": [row["count"] for row in status_rows],
        "label": _("Requests"),
    }

    # Scorecards, with the history of the snapshots.
    keys = [analytics.department_key(d["pk"]) for d in departments]
    scorecards = [
        _scorecard_row(
            d["name"],
            figures.scorecards[key],
            _history_series(history, key, SPARKLINE_RATE),
            department_id=d["pk"],
        )
        for d, key in zip(departments, keys, strict=True)
        if key in figures.scorecards
    ]
    history_key = "bureau" if bureau else analytics.department_key(department_id)
    history_chart = {
        "labels": [timezone.localtime(taken_at).strftime("%Y-%m-%d %H:%M") for taken_at, _cards in history],
        "series": [
            {"key": stage, "label": str(FUNNEL_LABELS[stage]), "values": _history_series(history, history_key, stage)}
            for stage in HISTORY_RATES
        ],
        "sparklines": {str(row["department_id"]): row["series"] for row in scorecards},
        # xgettext:no-python-format ("% o" is no placeholder; without this every makemessages marks it fuzzy)
        "y_label": _("% of duties"),
    }

    context = {
        "bureau": bureau,
        "department_name": None if bureau else names[department_id],
        "figures": figures,
        "may_recompute": analytics.may_take_snapshot(request.user),
        "policy": policy,
        "snapshot_policy": snapshot_policy,
        "policy_changed": bool(snapshot_policy)
        and (
            snapshot_policy.get("frequency_threshold") != policy.frequency_threshold
            or snapshot_policy.get("spillover_threshold") != policy.spillover_threshold
        ),
        "policy_admin_url": _url("admin:govdata_aggregationpolicy_changelist") if bureau else "",
        "window": window,
        "windows": [(value, label) for value, label in UsageWindow.choices],
        "funnel_labels": FUNNEL_LABELS,
        "funnel_overall": overall,
        "funnel_departments": department_rows if bureau else [],
        "funnel_chart": funnel_chart,
        "quadrant": quadrant,
        "quadrant_chart": quadrant_chart,
        "mismatches": _resource_rows(quadrant["mismatches"], links, names) if quadrant else [],
        "top_resources": _resource_rows(quadrant["top"], links, names) if quadrant else [],
        "conformance": conformance,
        "no_source": no_source,
        "contested": contested,
        "duplicates": duplicates,
        "sharing": sharing,
        "median_days": _days(sharing["median_decision_seconds"]),
        "status_rows": status_rows,
        "status_chart": status_chart,
        "overdue": _overdue_rows(sharing["overdue"], links, names, today),
        "scorecards": scorecards,
        "history_chart": history_chart,
        "history_length": len(history),
        "list_limit": analytics.LIST_LIMIT,
    }
    return render(request, "dashboard/index.html", context)


@login_required
@require_POST
def recompute(request):
    """Officers recompute the figures now, the same computation the scheduled command runs."""
    _scope(request.user)
    if not analytics.may_take_snapshot(request.user):
        raise PermissionDenied(_("Only the bureau recomputes the governance figures."))
    snapshot = analytics.snapshot_take(actor=request.user)
    messages.success(
        request,
        _("The figures were recomputed (%(ms)d ms).") % {"ms": snapshot.duration_ms},
    )
    window = request.POST.get("window", "")
    url = reverse("dashboard:index")
    if window in {str(v) for v in UsageWindow.values}:
        url = f"{url}?{urlencode({'window': window})}"
    return redirect(url)
