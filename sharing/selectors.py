"""Reads of agreements and usage that every channel shares, filtered by permission.

The portal pages read through the functions below: each returns rows already restricted by
`govdata.permissions`, with the joins its page needs, so a page costs the same number of queries
whatever the number of agreements, items or usage records.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import ResourceStatus, ShareType
from catalog.models import DataItem, DataResource
from catalog.selectors import catalogue_search, portal_department_id
from govdata.permissions import restrict
from govdata.queries import count_of
from govdata.timeline import FieldChange, object_history

from .choices import AWAITING_PROVIDER, STEP_LABELS, AgreementStatus
from .models import LedgerEntry, ShareAgreement, UsageRecord


def agreements_visible_to(user) -> QuerySet[ShareAgreement]:
    """Agreements of the user's department as requester or provider; all of them for the bureau."""
    return restrict(
        ShareAgreement.objects.select_related("requester", "provider").prefetch_related(
            Prefetch("items", queryset=DataItem.objects.select_related("resource").order_by("resource_id", "pk"))
        ),
        user,
        "view",
    )


def usage_visible_to(user) -> QuerySet[UsageRecord]:
    """Usage of the agreements the user may see (both sides see every use)."""
    visible = restrict(ShareAgreement.objects.all(), user, "view")
    return UsageRecord.objects.filter(agreement__in=visible.values("pk")).select_related("agreement", "user")


# --- The portal's list of agreements --------------------------------------------------------


def agreements_shown_to(user) -> QuerySet[ShareAgreement]:
    """What a department is shown, in the portal and through the API: visible agreements, minus the
    requests never submitted to it (a draft, or one withdrawn as a draft, is the requester's own
    business even though the provider's grant exists from the start)."""
    qs = agreements_visible_to(user)
    department_id = portal_department_id(user)
    if department_id is not None:
        qs = qs.exclude(provider_id=department_id, submitted_at__isnull=True)
    return qs


SIDE_REQUESTED = "requested"
SIDE_RECEIVED = "received"
# A pseudo-status of the list filter: requests whose provider let the decision deadline pass.
OVERDUE = "overdue"


def _overdue_q(today) -> Q:
    return Q(status__in=AWAITING_PROVIDER, decision_due__lt=today)


def agreement_list(user, *, side: str = "", status: str = "", query: str = "") -> QuerySet[ShareAgreement]:
    """Visible agreements, newest first, with item and resource counts and an `is_overdue` flag.

    `side` narrows a liaison's list to what their department requested or what was requested from it.
    """
    today = timezone.localdate()
    qs = (
        agreements_shown_to(user)
        .prefetch_related(None)
        .annotate(
            item_count=count_of(ShareAgreement.items.through.objects.all(), "shareagreement"),
            resource_count=count_of(
                ShareAgreement.items.through.objects.all(), "shareagreement", distinct="dataitem__resource"
            ),
            is_overdue=ExpressionWrapper(_overdue_q(today), output_field=BooleanField()),
        )
    )
    department_id = portal_department_id(user)
    if side == SIDE_REQUESTED:
        qs = qs.filter(requester_id=department_id)
    elif side == SIDE_RECEIVED:
        qs = qs.filter(provider_id=department_id)
    if status == OVERDUE:
        qs = qs.filter(_overdue_q(today))
    elif status in AgreementStatus.values:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(
            Q(number__icontains=query)
            | Q(purpose__icontains=query)
            | Q(requester__name__icontains=query)
            | Q(provider__name__icontains=query)
        )
    return qs.order_by("-created_at", "-pk")


def agreement_counts(user) -> dict[str, int]:
    """Counts for the tabs of the list and the dashboard, in one query."""
    department_id = portal_department_id(user)
    today = timezone.localdate()
    requested, received = Q(requester_id=department_id), Q(provider_id=department_id)
    return (
        agreements_shown_to(user)
        .prefetch_related(None)
        .aggregate(
            total=Count("pk"),
            requested=Count("pk", filter=requested),
            received=Count("pk", filter=received),
            to_decide=Count("pk", filter=received & Q(status__in=AWAITING_PROVIDER)),
            to_decide_overdue=Count("pk", filter=received & _overdue_q(today)),
            awaiting=Count("pk", filter=requested & Q(status__in=AWAITING_PROVIDER)),
            awaiting_overdue=Count("pk", filter=requested & _overdue_q(today)),
            drafts=Count("pk", filter=requested & Q(status=AgreementStatus.DRAFT)),
            active=Count("pk", filter=Q(status=AgreementStatus.ACTIVE)),
        )
    )


# --- One agreement --------------------------------------------------------------------------


def visible_agreement(user, pk) -> ShareAgreement:
    """One agreement the user may see, with its items and their resources; 404 otherwise."""
    return get_object_or_404(agreements_shown_to(user), pk=pk)


def is_overdue(agreement: ShareAgreement, today=None) -> bool:
    today = today or timezone.localdate()
    return agreement.status in AWAITING_PROVIDER and bool(agreement.decision_due) and agreement.decision_due < today


def items_by_resource(agreement: ShareAgreement) -> list[tuple[DataResource, list[DataItem]]]:
    """The agreement's items grouped by resource (uses the prefetch of agreements_visible_to)."""
    items = sorted(agreement.items.all(), key=lambda i: (i.resource.catalogue_code, i.pk))
    return [(resource, list(group)) for resource, group in itertools.groupby(items, key=lambda i: i.resource)]


def provider_step_skipped(agreement: ShareAgreement) -> bool:
    """True when every item and its resource are shared unconditionally: the bureau registers the
    request without the provider's decision (the rule of sharing.services._needs_provider_step,
    read here from the prefetched items instead of two more queries)."""
    items = list(agreement.items.all())
    return bool(items) and all(
        i.share_type == ShareType.UNCONDITIONAL and i.resource.share_type == ShareType.UNCONDITIONAL for i in items
    )


def agreement_usage(agreement: ShareAgreement) -> QuerySet[UsageRecord]:
    """Every recorded use and refused attempt under the agreement, newest first."""
    return agreement.usage_records.select_related("user").order_by("-used_at", "-pk")


# --- Items a request may name ---------------------------------------------------------------


def provider_items(provider_id: int) -> QuerySet[DataItem]:
    """The items of the provider's published resources: what a request to it may choose from."""
    return (
        DataItem.objects.filter(resource__department_id=provider_id, resource__status=ResourceStatus.PUBLISHED)
        .select_related("resource")
        .order_by("resource__catalogue_code", "pk")
    )


def needs_exception_q() -> Q:
    """Items that are not shared (themselves or through their resource): requestable only under
    an exception the bureau grants with a legal basis."""
    return Q(share_type=ShareType.NOT_SHARED) | Q(resource__share_type=ShareType.NOT_SHARED)


def item_needs_exception(item: DataItem) -> bool:
    """The same rule as needs_exception_q(), for an item already loaded with its resource."""
    return ShareType.NOT_SHARED in (item.share_type, item.resource.share_type)


def requestable_resources(user, *, query: str = "", department=None) -> QuerySet[DataResource]:
    """Published resources of other departments, searched like the catalogue (step 1 of a request)."""
    return catalogue_search(user, query=query, department=department).exclude(department_id=portal_department_id(user))


# --- The timeline of one agreement ----------------------------------------------------------

# Ledger actions of agreements as the timeline names them: the steps' own labels, and the
# bureau's exception (whose history reason is its legal basis, never a code).
STEP_TITLES = {f"agreement.{step}": label for step, label in STEP_LABELS.items()} | {
    "agreement.exception": _("Exception granted by the bureau"),
}
VERSION_TITLES = {"+": _("Request created"), "~": _("Request changed"), "-": _("Deleted")}
# A workflow step saves its version with the step name as the reason when it has no reason of its own.
_STEP_NAMES = frozenset(STEP_LABELS)
# A step's version and its ledger entry are written in one transaction, a moment apart.
_SAME_STEP_WINDOW = timedelta(minutes=1)


@dataclass
class TimelineEvent:
    when: datetime
    title: str
    user: object | None
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    ledger_seq: int | None = None
    kind: str = "change"  # "step" (a ledgered workflow step) or "change" (a saved version)


def _pairs_with(entry: LedgerEntry, version) -> bool:
    step = entry.action.removeprefix("agreement.")
    return (
        version.user_id == entry.actor_id
        and version.when <= entry.recorded_at < version.when + _SAME_STEP_WINDOW
        and version.reason in {entry.reason_text, step}
    )


def agreement_timeline(agreement: ShareAgreement) -> list[TimelineEvent]:
    """Every saved version and every ledgered step of the agreement, newest first.

    A workflow step writes a version (its field changes) and a ledger entry (the evidence) in one
    transaction; the two are shown as one event. The query count does not depend on the number of
    versions or entries (govdata.timeline diffs a whole list in a fixed number of queries).
    """
    versions = object_history(ShareAgreement, agreement.pk)
    entries = list(
        LedgerEntry.objects.filter(object_type="sharing.shareagreement", object_id=str(agreement.pk))
        .select_related("actor__department")
        .order_by("-seq")
    )
    unpaired = list(versions)  # newest first
    events = []
    for entry in entries:
        entry.reason_text = _ledger_reason(entry)
        version = next((v for v in unpaired if _pairs_with(entry, v)), None)
        if version is not None:
            unpaired.remove(version)
        events.append(
            TimelineEvent(
                when=entry.recorded_at,
                title=str(STEP_TITLES.get(entry.action, entry.action)),
                user=entry.actor,
                reason=entry.reason_text,
                changes=version.changes if version else [],
                ledger_seq=entry.seq,
                kind="step",
            )
        )
    for version in unpaired:
        events.append(
            TimelineEvent(
                when=version.when,
                title=str(VERSION_TITLES.get(version.change_type, version.change_type)),
                user=version.user,
                reason="" if version.reason in _STEP_NAMES else version.reason,
                changes=version.changes,
            )
        )
    events.sort(key=lambda e: (e.when, e.ledger_seq or 0), reverse=True)
    return events


def _ledger_reason(entry: LedgerEntry) -> str:
    try:
        return str(json.loads(entry.payload).get("reason") or "")
    except (ValueError, AttributeError):
        return ""
