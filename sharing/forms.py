"""Portal forms for share requests. They parse and check input; sharing.services decides and writes."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapMixin, SearchForm
from catalog.models import DataItem
from catalog.selectors import catalogue_departments
from catalog.templatetags.portal import person_name
from govdata.widgets import FastSelect

from . import selectors, services
from .choices import AgreementStatus, UsageMode
from .models import ShareAgreement

# The two buttons of the request form.
SAVE_DRAFT, SAVE_AND_SUBMIT = "draft", "submit"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        # The browser's date picker reads and writes ISO dates whatever the page's language.
        super().__init__(format="%Y-%m-%d", **kwargs)


class ItemsField(forms.ModelMultipleChoiceField):
    """The data items of a request, as checkboxes grouped by resource (the template draws them)."""

    default_error_messages = {
        # Same text as the service's rule, so the message is translated once.
        "required": _("Choose at least one data item."),
        "invalid_choice": _(
            "“%(value)s” cannot be requested here: choose published items of the providing department "
            "(not-shared items need the bureau's exception first)."
        ),
        "invalid_pk_value": _("“%(pk)s” is not a data item."),
    }


class AgreementForm(BootstrapMixin, forms.ModelForm):
    """A request to one providing department: which items, why, on which basis, how and how long."""

    items = ItemsField(label=_("Data items"), queryset=DataItem.objects.none())

    class Meta:
        model = ShareAgreement
        fields = ["items", "purpose", "legal_basis", "usage_mode", "valid_from", "valid_to", "requester_contact"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "legal_basis": forms.Textarea(attrs={"rows": 2}),
            "usage_mode": forms.RadioSelect,
            "valid_from": DateInput(),
            "valid_to": DateInput(),
        }
        help_texts = {
            "purpose": _("The duty or case the data serves. The provider decides on this text."),
            "legal_basis": _("The law, regulation or mandate that allows your department to use this data."),
            "usage_mode": _("Ask for the weakest mode that does the job: verifying needs no copy of the data."),
            "requester_contact": _("The person in your department who answers for the use of the data."),
        }

    def __init__(self, *args, user, provider, chosen_resource=None, action=SAVE_DRAFT, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.chosen_resource = chosen_resource
        self.action = action
        self.instance.provider = provider
        current = set(self.instance.items.values_list("pk", flat=True)) if self.instance.pk else set()
        self.current_item_ids = current
        requestable = selectors.provider_items(provider.pk)
        if not self.instance.exception_basis:
            # Items already on a draft stay selectable, so an edit never drops them silently.
            requestable = requestable.exclude(selectors.needs_exception_q() & ~Q(pk__in=current))
        self.fields["items"].queryset = requestable
        self.fields["usage_mode"].choices = UsageMode.choices
        if not self.instance.pk:
            # The model's empty values are already in `initial`: fill them, do not setdefault.
            today = timezone.localdate()
            defaults = {
                "valid_from": today,
                "valid_to": today + timedelta(days=365),
                "requester_contact": person_name(user),
            }
            for name, value in defaults.items():
                if not self.initial.get(name):
                    self.initial[name] = value
        self._style_widgets()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The period must not end before it begins."))
        if self.action == SAVE_AND_SUBMIT and not self.errors:
            # The rules of submission, shown before anything is saved.
            draft = ShareAgreement(
                provider=self.provider,
                valid_from=start,
                valid_to=end,
                exception_basis=self.instance.exception_basis,
            )
            try:
                services.validate_request(draft, list(cleaned["items"]))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return cleaned

    def item_groups(self) -> list[dict]:
        """The provider's published resources with their items, for the checkboxes.

        The chosen resource comes first and open, then those with items already ticked; the
        others are folded. Not-shared items are shown but cannot be ticked.
        """
        if self.is_bound:
            ticked = {str(v) for v in self.data.getlist(self.add_prefix("items"))}
        else:
            ticked = {str(pk) for pk in self.current_item_ids}
        exception = bool(self.instance.exception_basis)
        groups: dict[int, dict] = {}
        for item in selectors.provider_items(self.provider.pk):
            group = groups.setdefault(item.resource_id, {"resource": item.resource, "items": [], "ticked": 0})
            item.checked = str(item.pk) in ticked
            item.needs_exception = selectors.item_needs_exception(item)
            item.selectable = not item.needs_exception or exception or item.pk in self.current_item_ids
            group["items"].append(item)
            group["ticked"] += item.checked
        chosen_id = self.chosen_resource.pk if self.chosen_resource else None
        for group in groups.values():
            group["chosen"] = group["resource"].pk == chosen_id
            group["open"] = group["chosen"] or bool(group["ticked"])
            group["selectable"] = any(i.selectable for i in group["items"])
        return sorted(groups.values(), key=lambda g: (not g["chosen"], not g["ticked"], g["resource"].catalogue_code))


class ResourceSearchForm(SearchForm):
    """Step 1 of a request: find the published resource of another department."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=catalogue_departments(),
        required=False,
        empty_label=_("Any"),
        widget=FastSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Name, code or summary")
        self.fields["department"].queryset = catalogue_departments().exclude(pk=user.department_id)


class AgreementFilterForm(SearchForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), (selectors.OVERDUE, _("Decision overdue")), *AgreementStatus.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Number, purpose or department")


class ReasonForm(BootstrapMixin, forms.Form):
    """The reason of a step (withdraw, reject, revoke): kept in the timeline and the ledger."""

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        if help_text:
            self.fields["reason"].help_text = help_text
        self._style_widgets()


class ApproveForm(BootstrapMixin, forms.Form):
    contact = forms.CharField(
        label=_("Responsible person (provider)"),
        max_length=100,
        help_text=_("The person in your department who answers for providing the data."),
    )
    reason = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.initial.setdefault("contact", person_name(user))
        self._style_widgets()
