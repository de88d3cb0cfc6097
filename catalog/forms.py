"""Portal forms. They parse and check input; the service layer still decides and writes.

Model forms run the model's own rules (`clean`, constraints) so the liaison sees each message
next to the field it concerns; the item formset runs `services.validate_resource_items`, the
rule that spans a resource and all of its items, so that one shows on the page too.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from govdata.widgets import FastSelect

from . import selectors, services
from .choices import ClaimStatus, OpenType, PersonalInfo, ResourceStatus, SecurityGrade, ShareType, SubjectCategory
from .models import DataElement, DataItem, DataResource, Duty, InformationSystem


class BootstrapMixin:
    """Give every widget the Bootstrap class its kind needs; `compact` for rows of a table."""

    compact = False

    def _style_widgets(self):
        size = " form-control-sm" if self.compact else ""
        select_size = " form-select-sm" if self.compact else ""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select" + select_size
            else:
                css = "form-control" + size
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        # Bootstrap draws the red border from this class; every error, service ones too, passes here.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


def _blank_choices(choices, label=None):
    return [("", label or _("Any")), *choices]


# --- Resources and their items ------------------------------------------------------------


class ResourceForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = DataResource
        fields = [
            "catalogue_code",
            "name",
            "summary",
            "subject",
            "source_system",
            "duties",
            "update_frequency",
            "format",
            "security_grade",
            "personal_info",
            "share_type",
            "share_conditions",
            "not_shared_basis",
            "open_type",
            "aggregation_mode",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "share_conditions": forms.Textarea(attrs={"rows": 2}),
            "not_shared_basis": forms.Textarea(attrs={"rows": 2}),
            "duties": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "catalogue_code": _("The code of this entry in the unified catalogue, e.g. 11000000/PSB-001."),
            "security_grade": _("The strictest grade among the items applies to the whole resource."),
            "share_conditions": _("Required when shared conditionally: who may use it, for what, how."),
            "duties": _("The duties whose work produces this data."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_system"].queryset = selectors.department_systems(user).order_by("code")
        self.fields["duties"].queryset = selectors.department_duties(user).order_by("code")
        # The page shows these two only for the share type that needs them.
        self.fields["share_conditions"].widget.attrs["data-show-when"] = f"share_type={ShareType.CONDITIONAL}"
        self.fields["not_shared_basis"].widget.attrs["data-show-when"] = f"share_type={ShareType.NOT_SHARED}"
        self._style_widgets()


class ElementCodeField(forms.ModelChoiceField):
    """A standard data element typed by its code (a select of every element would be huge)."""

    default_error_messages = {
        "invalid_choice": _("No standard data element has this code. Pick one from the suggestions."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", DataElement.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "element-options", "autocomplete": "off"}))
        super().__init__(**kwargs)


# In the item grid the column header names the field, so its choices can be short enough to read.
ITEM_GRID_LABELS = {
    "personal_info": {
        PersonalInfo.NONE: _("None"),
        PersonalInfo.PERSONAL: _("Personal"),
        PersonalInfo.SENSITIVE: _("Sensitive"),
    },
    "share_type": {
        ShareType.UNCONDITIONAL: _("Unconditional"),
        ShareType.CONDITIONAL: _("Conditional"),
        ShareType.NOT_SHARED: _("Not shared"),
    },
    "open_type": {
        OpenType.UNCONDITIONAL: _("Open"),
        OpenType.CONDITIONAL: _("Conditional"),
        OpenType.NOT_OPEN: _("Not open"),
    },
}


class DataItemForm(BootstrapMixin, forms.ModelForm):
    compact = True

    element = ElementCodeField(label=_("standard data element"))

    class Meta:
        model = DataItem
        fields = [
            "code",
            "name",
            "data_type",
            "length",
            "security_grade",
            "personal_info",
            "share_type",
            "open_type",
            "is_core_item",
            "element",
            "description",
        ]
        widgets = {"description": forms.TextInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, short in ITEM_GRID_LABELS.items():
            field = self.fields[name]
            field.choices = [(value, short.get(value, label)) for value, label in field.choices]
        self.fields["description"].widget.attrs["placeholder"] = _("Description (optional)")
        if self.instance.pk and self.instance.element_id:
            # Shown as its code; the formset's queryset has the element joined, so no query per row.
            self.initial["element"] = self.instance.element.code
        self._style_widgets()


class BaseItemFormSet(BaseInlineFormSet):
    def __init__(self, *args, new_item_share_type: str = "", **kwargs):
        # New rows start at the resource's share type: an item may be stricter than its resource,
        # never looser, so the model's default (unconditional) would be refused on a conditional
        # resource. The view passes the share type the page was rendered with, also on POST, so
        # an untouched new row still counts as unchanged (and is skipped) when the user changes
        # the resource's share type in the same form.
        self.new_item_share_type = new_item_share_type
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        # index None is the empty form the page copies for "Add item".
        if self.new_item_share_type and (index is None or index >= self.initial_form_count()):
            kwargs["initial"] = {**kwargs.get("initial", {}), "share_type": self.new_item_share_type}
        return kwargs

    def _kept_forms(self):
        return [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None)
            and not self._should_delete_form(f)
            and (f.instance.pk or f.has_changed())
        ]

    def clean(self):
        if any(self.errors):
            return
        try:
            services.validate_resource_items(self.instance, self.items_after_edit())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        super().clean()

    def items_after_edit(self) -> list[DataItem]:
        return [f.instance for f in self._kept_forms()]

    def items_to_delete(self) -> list[DataItem]:
        return [f.instance for f in self.deleted_forms if f.instance.pk]


ItemFormSet = inlineformset_factory(
    DataResource, DataItem, form=DataItemForm, formset=BaseItemFormSet, extra=1, can_delete=True
)
# A new resource starts with a few empty rows, so the page shows at once where items go.
NewItemFormSet = inlineformset_factory(
    DataResource, DataItem, form=DataItemForm, formset=BaseItemFormSet, extra=3, can_delete=True
)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Say what will change and why; the bureau sees it in the history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


# --- Duties and systems -------------------------------------------------------------------


class DutyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Duty
        fields = ["code", "name", "origin", "power_kind", "systems"]
        widgets = {"systems": forms.CheckboxSelectMultiple}
        help_texts = {
            "power_kind": _("Only for power-list duties."),
            "systems": _("The information systems in which this duty is carried out."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = selectors.department_systems(user).order_by("code")
        self.fields["power_kind"].widget.attrs["data-show-when"] = "origin=power_list"
        self._style_widgets()


class SystemForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = InformationSystem
        fields = ["code", "name", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


# --- One data, one source -----------------------------------------------------------------


class ClaimForm(BootstrapMixin, forms.Form):
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The law, regulation or mandate under which your department collects this data element."),
    )
    resource = forms.ModelChoiceField(
        label=_("Source resource"),
        queryset=DataResource.objects.none(),
        required=False,
        widget=FastSelect,
        help_text=_("Optional: the resource of your department that holds this element."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = selectors.department_resources(user).order_by("catalogue_code")
        self._style_widgets()


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


# --- Search and filter forms (GET) --------------------------------------------------------


class SearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Name or code")
        self._style_widgets()

    def value(self, name):
        """The cleaned value of a filter, or empty when it is missing or invalid."""
        if not self.is_valid() and name in self.errors:
            return ""
        return self.cleaned_data.get(name) or ""


class ResourceFilterForm(SearchForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank_choices([*ResourceStatus.choices, ("returned", _("Returned by the bureau"))], _("All")),
    )


class CatalogueFilterForm(SearchForm):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=selectors.catalogue_departments(),
        required=False,
        empty_label=_("Any"),
        widget=FastSelect,
    )
    subject = forms.ChoiceField(label=_("Subject"), required=False, choices=_blank_choices(SubjectCategory.choices))
    share_type = forms.ChoiceField(label=_("Share type"), required=False, choices=_blank_choices(ShareType.choices))
    security_grade = forms.ChoiceField(
        label=_("Security grade"), required=False, choices=_blank_choices(SecurityGrade.choices)
    )


class DutyFilterForm(SearchForm):
    gap = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All duties")),
            ("no_system", _("Without a system")),
            ("no_data", _("Without a data resource")),
        ],
    )


class ElementFilterForm(SearchForm):
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All elements")),
            ("no_source", _("Without a confirmed source")),
            ("contested", _("Claimed by more than one department")),
            ("mine", _("Claimed by my department")),
        ],
    )


class ClaimFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("open", _("Open and confirmed")), *ClaimStatus.choices, ("all", _("All"))],
    )
