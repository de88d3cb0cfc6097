"""Forms of the operations pages. They parse and check input; operations.services decides and writes."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.choices import DataType
from catalog.forms import BootstrapMixin
from catalog.models import DataItem

from . import desensitize
from .choices import AuditStatus, DesensitizationMethod, FindingStatus, Generalization, ProductStatus, Severity
from .models import DataProduct, DesensitizationRule, validate_credit_code


class LicenseChoiceForm(BootstrapMixin, forms.Form):
    """The first step of a new product when the operator holds more than one licence in force."""

    license = forms.ModelChoiceField(label=_("Licence"), queryset=None, empty_label=None)

    def __init__(self, *args, licenses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license"].queryset = licenses
        self.fields["license"].label_from_instance = lambda lic: f"{lic.number} · {lic.scope[:60]}"
        self._style_widgets()


class ProductForm(BootstrapMixin, forms.ModelForm):
    """The product itself and the items it takes; the rule of each personal item is a RuleForm."""

    items = forms.ModelMultipleChoiceField(
        label=_("Data items"),
        queryset=DataItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one data item.")},
    )

    class Meta:
        model = DataProduct
        fields = ["name", "description", "distribution", "list_price"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "distribution": _("Opened products are free to the public; traded products are sold under the licence."),
            "list_price": _("Leave empty for an opened product. Each trade must stay within the licence's price cap."),
        }

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self._style_widgets()


# A plausible value per kind of item, so the preview shows something before the user types anything.
_SAMPLES = (
    (("身份", "ID_NO", "IDNO", "ID_CARD", "IDCARD", "SFZ"), "110105199003074512"),
    (("电话", "手机", "PHONE", "MOBILE", "TEL"), "13812345678"),
    (("邮箱", "EMAIL", "MAIL"), "zhang.san@example.com"),
    (("地址", "住址", "ADDR"), "北京市朝阳区建国路88号"),
    (("日期", "生日", "DATE", "BIRTH"), "1990-03-07"),
    (("姓名", "NAME"), "张三"),
    (("收入", "工资", "金额", "INCOME", "SALARY", "AMOUNT", "AGE", "年龄"), "12345"),
)


def default_sample(item: DataItem) -> str:
    if item.data_type in (DataType.DATE, DataType.DATETIME):
        return "1990-03-07"
    text = f"{item.code} {item.name}".upper()
    for needles, sample in _SAMPLES:
        if any(needle in text for needle in needles):
            return sample
    if item.data_type in (DataType.INTEGER, DataType.DECIMAL):
        return "12345"
    return "ABCD1234567890"


# A browser date picker: it only accepts ISO dates, whatever the language's date format.
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# A narrow box: these hold a count of characters or a range width.
_NUMBER = forms.NumberInput(attrs={"style": "width: 4.5rem"})


class RuleForm(BootstrapMixin, forms.Form):
    """The desensitization rule of one personal-information item, and a sample value to preview it on."""

    compact = True

    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("— choose —")), *DesensitizationMethod.choices]
    )
    keep_prefix = forms.IntegerField(
        label=_("Keep first"), required=False, min_value=0, max_value=64, initial=3, widget=_NUMBER
    )
    keep_suffix = forms.IntegerField(
        label=_("Keep last"), required=False, min_value=0, max_value=64, initial=4, widget=_NUMBER
    )
    kind = forms.ChoiceField(
        label=_("Generalize"), required=False, choices=[("", _("— choose —")), *Generalization.choices]
    )
    width = forms.IntegerField(
        label=_("Range width"), required=False, min_value=1, max_value=10**9, initial=10, widget=_NUMBER
    )
    sample = forms.CharField(label=_("Sample value"), required=False, max_length=500)

    def __init__(self, *args, item: DataItem, rule: DesensitizationRule | None = None, **kwargs):
        self.item = item
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("sample", default_sample(item))
        if rule is not None:
            initial["method"] = rule.method
            params = rule.params if isinstance(rule.params, dict) else {}
            for name in ("keep_prefix", "keep_suffix", "kind", "width"):
                if name in params:
                    initial[name] = params[name]
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == DesensitizationMethod.GENERALIZE and not data.get("kind"):
            self.add_error("kind", _("Choose how to generalize."))
        if method and not self.errors:
            try:
                desensitize.check_rule(method, self.params())
            except desensitize.RuleError as exc:
                self.add_error(None, str(exc))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        method = data.get("method")
        if method == DesensitizationMethod.MASK:
            prefix, suffix = data.get("keep_prefix"), data.get("keep_suffix")
            return {"keep_prefix": 3 if prefix is None else prefix, "keep_suffix": 4 if suffix is None else suffix}
        if method == DesensitizationMethod.GENERALIZE:
            params = {"kind": data.get("kind")}
            if data.get("kind") == Generalization.NUMBER_TO_RANGE:
                params["width"] = data.get("width") or 10
            return params
        return {}

    def rule(self) -> DesensitizationRule | None:
        """The rule as entered, or None when no method is chosen."""
        method = self.cleaned_data.get("method") if self.is_valid() else None
        if not method:
            return None
        return DesensitizationRule(item=self.item, method=method, params=self.params())


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class TradeForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, empty_label=_("— choose —"))
    buyer = forms.CharField(label=_("Buyer"), max_length=200)
    buyer_credit_code = forms.CharField(
        label=_("Buyer's unified social credit code"),
        max_length=18,
        required=False,
        validators=[validate_credit_code],
        help_text=_("For a buyer that is an organisation."),
    )
    price = forms.DecimalField(label=_("Price (yuan)"), max_digits=14, decimal_places=2, min_value=0)
    traded_on = forms.DateField(label=_("Date of the trade"), widget=_DATE)

    def __init__(self, *args, products, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("traded_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].label_from_instance = lambda p: f"{p.name} ({p.license.number})"
        self._style_widgets()

    def clean_buyer_credit_code(self):
        return self.cleaned_data["buyer_credit_code"].strip().upper()


class DisclosureForm(BootstrapMixin, forms.Form):
    statement = forms.CharField(
        label=_("Statement"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Anything the figures do not say: changes in the year, explanations of trades above the cap."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class FindingForm(BootstrapMixin, forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = forms.CharField(label=_("Description"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    remediation = forms.CharField(
        label=_("Required remediation"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_date = forms.DateField(label=_("Due date"), widget=_DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot lie in the past."))
        return due


class AnswerForm(BootstrapMixin, forms.Form):
    response = forms.CharField(
        label=_("Your answer"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you have done or will do, and by when. The audit firm and the bureau read it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class ProductFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *ProductStatus.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def value(self, name):
        return self.cleaned_data.get(name, "") if self.is_valid() else ""


class FindingFilterForm(ProductFilterForm):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("pending", _("Not closed")), *FindingStatus.choices],
    )


class AuditFilterForm(ProductFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *AuditStatus.choices])
