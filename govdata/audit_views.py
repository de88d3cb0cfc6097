"""The auditors' pages (/audit/): the change timeline, object histories, the CSV export and the ledger.

Auditors must be able to answer, years later, who changed what, when and why, and prove that the
evidence ledger was not altered. Every page only reads: the one POST ("verify now") recomputes
the ledger and stores nothing.

Who sees what: officers and auditors see everything here. Anybody else may only open the history
of an object that `govdata.permissions.can(user, "view", obj)` allows (404 otherwise, so the page
does not even confirm that the object exists); the timeline, export and ledger are 403 for them.

Every page costs a fixed number of queries however many history rows or ledger entries exist:
lists are keyset-paginated (no COUNT, no OFFSET) and their names are fetched per page.
"""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime, time, timedelta
from functools import wraps

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from catalog.models import Department
from sharing import checkpoints, ledger, merkle
from sharing.models import LedgerCheckpoint, LedgerEntry

from .permissions import can, is_bureau_wide, user_roles
from .roles import Role
from .timeline import CHANGE_TYPES, Cursor, Filters, object_history_page, timeline_page, tracked_models
from .widgets import FastSelect

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# Each change on the timeline carries its field differences: 25 fill a screen, and rendering them
# is most of the page's cost.
TIMELINE_PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 100
CHECKPOINT_PAGE_SIZE = 50
# Rows per query while the export streams: memory stays flat whatever the size of the timeline.
EXPORT_BATCH = 500
# Checkpoints shown on the ledger page; the full list has its own page.
RECENT_CHECKPOINTS = 10

# The largest key the database holds (bigint); larger ids in a URL are answered, not sent to SQL.
MAX_ID = 2**63 - 1

AUDIT_ROLES = frozenset({Role.OFFICER.value, Role.AUDITOR.value})

# sharing.checkpoints reports its problems in plain English; marked here so that the page can
# show them in the reader's language.
CHECKPOINT_PROBLEMS = (
    gettext_noop("its signature is not valid (forged or altered checkpoint)"),
    gettext_noop("it covers entries that no longer exist"),
    gettext_noop("the entries it covers were changed after it was signed"),
)

# The portal page of an object, for the models that have one (history links back to it).
PORTAL_PAGES = {
    "catalog.dataresource": "portal:resource_detail",
    "catalog.duty": "portal:duty_edit",
    "catalog.informationsystem": "portal:system_edit",
}


# --- Access ---------------------------------------------------------------------------------


def reads_everything(user) -> bool:
    """Officers and auditors read the whole record; nobody else sees the timeline or the ledger."""
    return user.is_active and (user.is_superuser or bool(user_roles(user) & AUDIT_ROLES))


def audit_page(view):
    """Bureau-wide pages: anonymous visitors sign in first, other roles get 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reads_everything(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _has_object_grants(model) -> bool:
    # Reference data (departments, elements, users) has no grant tables, so nobody owns it. Every
    # liaison may view it (permissions.REFERENCE_MODELS), but who renamed a department when is
    # the bureau's record: its history stays with officers and auditors.
    return not (
        get_user_obj_perms_model(model).objects.is_generic() or get_group_obj_perms_model(model).objects.is_generic()
    )


def may_see_history(user, model, obj) -> bool:
    """The object-history rule: bureau-wide readers always; others on objects they may view."""
    if is_bureau_wide(user, model, "view"):
        return True
    if obj is None or not _has_object_grants(model):
        return False
    return can(user, "view", obj)


def object_history_url(obj) -> str:
    """The audit history page of `obj`, for links from its admin and portal pages."""
    return reverse("audit:object_history", args=[obj._meta.label_lower, obj.pk])


# --- Timeline -------------------------------------------------------------------------------


def _model_choices() -> list[tuple[str, str]]:
    """The tracked models by their names in the reader's language (label as the value)."""
    names = ((label, str(model._meta.verbose_name)) for label, model in tracked_models().items())
    return sorted(((label, f"{name[:1].upper()}{name[1:]}") for label, name in names), key=lambda c: c[1])


class DateInput(forms.DateInput):
    input_type = "date"


class TimelineFilterForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Object type"), required=False, widget=FastSelect)
    object_id = forms.IntegerField(label=gettext_lazy("Object id"), required=False, min_value=1, max_value=MAX_ID)
    user = forms.CharField(label=gettext_lazy("User (username)"), required=False, max_length=150)
    department = forms.ModelChoiceField(
        label=gettext_lazy("User's department"),
        queryset=Department.objects.only("code", "name").order_by("code"),
        required=False,
        empty_label=gettext_lazy("All departments"),
        widget=FastSelect,
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False, widget=DateInput)
    change_type = forms.ChoiceField(label=gettext_lazy("Change"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All types")), *_model_choices()]
        self.fields["change_type"].choices = [("", _("All changes"))] + [
            (code, str(label)) for code, label in CHANGE_TYPES.items()
        ]
        for name, f in self.fields.items():
            css = "form-select form-select-sm" if isinstance(f.widget, forms.Select) else "form-control form-control-sm"
            f.widget.attrs["class"] = css + (" is-invalid" if self.is_bound and name in self.errors else "")

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).only("pk", "username").first()
        if user is None:
            raise ValidationError(_("There is no user named “%(username)s”."), params={"username": username})
        return user

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            model=data["model"],
            object_id=str(data["object_id"] or ""),
            user_id=data["user"].pk if data["user"] else None,
            department_id=data["department"].pk if data["department"] else None,
            date_from=_local_midnight(data["date_from"]) if data["date_from"] else None,
            date_to=_local_midnight(data["date_to"] + timedelta(days=1)) if data["date_to"] else None,
            change_type=data["change_type"],
        )


def _local_midnight(day) -> datetime:
    # Dates are the bureau's local days, not UTC ones.
    return timezone.make_aware(datetime.combine(day, time.min))


def _history_links(changes) -> None:
    for change in changes:
        change.history_url = reverse("audit:object_history", args=[change.label, change.object_id])


@audit_page
def timeline(request):
    form = TimelineFilterForm(request.GET)
    token = request.GET.get("cursor", "")
    cursor = Cursor.decode(token) if token else None
    changes, next_cursor = [], None
    if form.is_valid():
        changes, next_cursor = timeline_page(form.filters(), cursor, TIMELINE_PAGE_SIZE)
        _history_links(changes)
    context = {
        "form": form,
        "changes": changes,
        "next_cursor": next_cursor.encode() if next_cursor else "",
        "paged": cursor is not None,
        "bad_cursor": bool(token) and cursor is None,
        "filtered": any(v for k, v in request.GET.items() if k != "cursor"),
        "filter_query": _without(request.GET, "cursor"),
    }
    return render(request, "audit/timeline.html", context, status=200 if form.is_valid() else 400)


def _without(query, key: str) -> str:
    query = query.copy()
    query.pop(key, None)
    return query.urlencode()


# --- Export ---------------------------------------------------------------------------------


class _Echo:
    """csv.writer writes into this; each row comes back as text to stream."""

    def write(self, value):
        return value


# Spreadsheet programs run cells that start like a formula; a leading quote keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_header() -> list[str]:
    return [
        _("When"),
        _("User"),
        _("Department"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Change"),
        _("Changed fields"),
        _("Reason"),
        _("History id"),
    ]


def _csv_row(change) -> list[str]:
    user = change.user
    fields = "; ".join(f"{c.field}: {c.old or '—'} → {c.new or '—'}" for c in change.changes)
    return [
        _cell(timezone.localtime(change.when).strftime("%Y-%m-%d %H:%M:%S")),
        _cell(user.username if user else (f"#{change.user_id}" if change.user_id else "")),
        _cell(user.department.name if user and user.department_id else ""),
        _cell(change.model_name),
        _cell(change.object_id),
        _cell(change.object_name),
        _cell(change.change_type_label),
        _cell(fields),
        _cell(change.reason_shown),
        _cell(change.history_id),
    ]


def _csv_lines(filters: Filters, language: str):
    writer = csv.writer(_Echo())
    # The generator runs after the view has returned, outside the request's language.
    with translation.override(language):
        # The byte-order mark makes Excel (as used in China) read the file as UTF-8.
        yield "\ufeff" + writer.writerow(_csv_header())
        cursor = None
        while True:
            changes, cursor = timeline_page(filters, cursor, EXPORT_BATCH)
            for change in changes:
                yield writer.writerow(_csv_row(change))
            if cursor is None:
                return


@audit_page
def export(request):
    form = TimelineFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "changes": [], "filtered": True}
        return render(request, "audit/timeline.html", context, status=400)
    response = StreamingHttpResponse(
        _csv_lines(form.filters(), translation.get_language()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-timeline-{stamp}.csv"'
    return response


# --- Object history -------------------------------------------------------------------------


def _admin_url(user, model, pk) -> str:
    if not user.is_staff:
        return ""
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _portal_url(user, label, obj) -> str:
    name = PORTAL_PAGES.get(label)
    if not name or obj is None or not user.department_id or getattr(obj, "department_id", None) != user.department_id:
        return ""
    try:
        return reverse(name, args=[obj.pk])
    except NoReverseMatch:
        return ""


@login_required
def object_history(request, label, pk):
    model = tracked_models().get(label)
    if model is None:
        raise Http404
    try:
        pk = model._meta.pk.to_python(pk)
    except ValidationError:
        raise Http404 from None
    obj = model._default_manager.filter(pk=pk).first()
    if not may_see_history(request.user, model, obj):
        raise Http404
    token = request.GET.get("cursor", "")
    cursor = Cursor.decode(token) if token else None
    versions, next_cursor = object_history_page(model, pk, cursor, HISTORY_PAGE_SIZE)
    if not versions and cursor is None and obj is None:
        raise Http404
    bureau = reads_everything(request.user)
    context = {
        "label": label,
        "model_name": model._meta.verbose_name,
        "object_id": pk,
        "obj": obj,
        "object_name": str(obj) if obj is not None else (versions[0].object_name if versions else f"#{pk}"),
        "versions": versions,
        "next_cursor": next_cursor.encode() if next_cursor else "",
        "paged": cursor is not None,
        "bureau": bureau,
        "admin_url": _admin_url(request.user, model, pk) if obj is not None else "",
        "portal_url": _portal_url(request.user, label, obj),
        "ledger_url": f"{reverse('audit:ledger')}?object_type={label}&object_id={pk}" if bureau else "",
    }
    return render(request, "audit/object_history.html", context)


# --- Ledger ---------------------------------------------------------------------------------


class LedgerFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    action = forms.CharField(label=gettext_lazy("Action"), required=False, max_length=64)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("All types")), *_model_choices()]
        for name, f in self.fields.items():
            css = "form-select form-select-sm" if isinstance(f.widget, forms.Select) else "form-control form-control-sm"
            f.widget.attrs["class"] = css + (" is-invalid" if self.is_bound and name in self.errors else "")


def _signing_key():
    """The bureau's key, or None when this server has none (or cannot read it).

    The audit pages must keep working without the key: a server that only shows the record need
    not hold it, and a misconfigured key must not take the evidence offline with it.
    """
    try:
        return checkpoints.load_signing_key()
    except ImproperlyConfigured:
        return None
    except Exception:  # a broken key file or setting: log it, say "no key" on the page
        logger.exception("The ledger signing key could not be loaded.")
        return None


def _key_status() -> dict:
    key = _signing_key()
    return {"key_id": checkpoints.key_id(key) if key else "", "key_missing": key is None}


def _entry_rows(entries) -> list:
    models = tracked_models()
    for entry in entries:
        try:
            entry.repr = (json.loads(entry.payload).get("object") or {}).get("repr", "")
        except (ValueError, AttributeError):
            entry.repr = ""
        entry.history_url = (
            reverse("audit:object_history", args=[entry.object_type, entry.object_id])
            if entry.object_type in models
            else ""
        )
    return entries


def _ledger_page(request, *, verification=None, status=200):
    form = LedgerFilterForm(request.GET)
    entries, older = [], None
    if form.is_valid():
        data = form.cleaned_data
        qs = LedgerEntry.objects.select_related("actor").order_by("-seq")
        for name in ("object_type", "object_id", "action"):
            if data[name].strip():
                qs = qs.filter(**{name: data[name].strip()})
        if data["before"]:
            qs = qs.filter(seq__lt=data["before"])
        entries = list(qs[: PAGE_SIZE + 1])
        if len(entries) > PAGE_SIZE:
            entries, older = entries[:PAGE_SIZE], entries[PAGE_SIZE - 1].seq
    head = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    context = {
        "form": form,
        "entries": _entry_rows(entries),
        "older": older,
        "paged": bool(request.GET.get("before")),
        "filtered": any(request.GET.get(k) for k in ("object_type", "object_id", "action")),
        # Entries are numbered 1, 2, 3… without gaps (verify checks it): the head is the count.
        "entry_count": head,
        "checkpoints": list(LedgerCheckpoint.objects.order_by("-tree_size")[:RECENT_CHECKPOINTS]),
        "verification": verification,
        **_key_status(),
    }
    return render(request, "audit/ledger.html", context, status=status if form.is_valid() else 400)


@audit_page
def ledger_list(request):
    return _ledger_page(request)


def run_verification() -> dict:
    """The checks of `manage.py verify_ledger`: the hash chain, then every signed checkpoint.

    With a signing key, one read of the ledger serves both (checkpoints.verify_ledger)."""
    has_key = _signing_key() is not None
    result, problem = checkpoints.verify_ledger() if has_key else (ledger.verify(), None)
    outcome = {"ok": result.ok, "checked": result.checked, "broken_seq": result.first_broken_seq}
    outcome["problem"] = result.problem
    outcome["checkpoints_checked"] = has_key and result.ok
    if not has_key and result.ok:
        outcome["no_key"] = True
    if problem is not None:
        outcome.update(ok=False, checkpoint_size=problem.tree_size, problem=_(problem.problem))
    outcome["verified_at"] = timezone.now()
    return outcome


@audit_page
@require_POST
def ledger_verify(request):
    return _ledger_page(request, verification=run_verification())


@audit_page
def checkpoint_list(request):
    try:
        before = min(int(request.GET.get("before", "")), MAX_ID) or None
    except ValueError:
        before = None
    qs = LedgerCheckpoint.objects.order_by("-tree_size")
    if before:
        qs = qs.filter(tree_size__lt=before)
    rows = list(qs[: CHECKPOINT_PAGE_SIZE + 1])
    older = rows[CHECKPOINT_PAGE_SIZE - 1].tree_size if len(rows) > CHECKPOINT_PAGE_SIZE else None
    rows = rows[:CHECKPOINT_PAGE_SIZE]
    # Each row links a consistency proof from the next older checkpoint (the next row).
    pairs = [(cp, rows[i + 1] if i + 1 < len(rows) else None) for i, cp in enumerate(rows)]
    context = {"pairs": pairs, "older": older, "paged": before is not None, **_key_status()}
    return render(request, "audit/checkpoint_list.html", context)


def _json_download(document: dict, filename: str) -> JsonResponse:
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@audit_page
def checkpoint_json(request, size):
    checkpoint = get_object_or_404(LedgerCheckpoint, tree_size=size)
    return _json_download(checkpoints.checkpoint_document(checkpoint), f"govdata-ledger-checkpoint-{size}.json")


@audit_page
def consistency_json(request, old, new):
    if old >= new:
        raise Http404
    first = get_object_or_404(LedgerCheckpoint, tree_size=old)
    second = get_object_or_404(LedgerCheckpoint, tree_size=new)
    document = checkpoints.consistency_proof_between(first, second)
    return _json_download(document, f"govdata-ledger-consistency-{old}-{new}.json")


@audit_page
def public_key(request):
    if _signing_key() is None:
        return HttpResponse(
            _("No ledger signing key is configured, so there is no public key to download."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(checkpoints.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="govdata-ledger-public-key.pem"'
    return response


def _covering_checkpoint(seq: int) -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.filter(tree_size__gte=seq).order_by("-tree_size").first()


def _proof_document(entry: LedgerEntry, checkpoint: LedgerCheckpoint) -> dict:
    proof = checkpoints.inclusion_proof_for(entry.seq, checkpoint)
    return {
        **proof,
        "entry_hash": entry.entry_hash,
        "leaf_hash_rule": "SHA-256(0x00 || entry_hash bytes); RFC 6962 inclusion proof, leaf index seq - 1",
        "checkpoint": checkpoints.checkpoint_document(checkpoint),
    }


@audit_page
def ledger_entry(request, seq):
    entry = get_object_or_404(LedgerEntry.objects.select_related("actor"), seq=seq)
    _entry_rows([entry])
    try:
        pretty = json.dumps(json.loads(entry.payload), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        pretty = ""
    checkpoint = _covering_checkpoint(seq)
    proof = proof_ok = None
    if checkpoint is not None:
        proof = _proof_document(entry, checkpoint)
        proof_ok = merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            seq - 1,
            checkpoint.tree_size,
            [bytes.fromhex(p) for p in proof["proof"]],
            bytes.fromhex(checkpoint.root_hash),
        )
    context = {
        "entry": entry,
        "pretty_payload": pretty,
        "hash_ok": ledger.chain_hash(entry.prev_hash, entry.payload) == entry.entry_hash,
        "checkpoint": checkpoint,
        "proof": proof,
        "proof_ok": proof_ok,
        "previous_seq": seq - 1 if seq > 1 else None,
        "next_seq": LedgerEntry.objects.filter(seq=seq + 1).values_list("seq", flat=True).first(),
    }
    return render(request, "audit/ledger_entry.html", context)


@audit_page
def ledger_entry_proof(request, seq):
    entry = get_object_or_404(LedgerEntry, seq=seq)
    checkpoint = _covering_checkpoint(seq)
    if checkpoint is None:
        return HttpResponse(
            _("No signed checkpoint covers this entry yet; its inclusion proof exists once one is signed."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    return _json_download(_proof_document(entry, checkpoint), f"govdata-ledger-inclusion-{seq}.json")
