"""The four desensitization methods (脱敏) a data product applies to personal information.

Each is a plain function of a value and its parameters, so the product form can preview a rule on
sample values with exactly the code that a delivery pipeline would run.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .choices import DesensitizationMethod, Generalization


class RuleError(ValueError):
    """A rule's parameters or a value it cannot handle; the message is shown to the user."""


def mask(value: str, *, keep_prefix: int = 3, keep_suffix: int = 4, mask_char: str = "*") -> str:
    """Keep the first and last characters, hide the middle: 110105********1234."""
    value = str(value)
    if keep_prefix < 0 or keep_suffix < 0:
        raise RuleError(_("The kept prefix and suffix cannot be negative."))
    if keep_prefix + keep_suffix >= len(value):
        # Never return the value unmasked: hide everything but the prefix.
        keep_suffix = 0
        keep_prefix = min(keep_prefix, max(len(value) - 1, 0))
    hidden = len(value) - keep_prefix - keep_suffix
    return value[:keep_prefix] + mask_char * hidden + (value[len(value) - keep_suffix :] if keep_suffix else "")


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RuleError(_("“%(value)s” is not a date.") % {"value": text})


# Province (or autonomous region, or municipality), then prefecture-level city, then the district,
# county or county-level city: cut right after it. Lengths are bounded so that a 省 or 市 in the
# street part is never taken for a province or city.
_DISTRICT = re.compile(
    r"^(?P<head>(?:[^市区县]{2,7}?省|[^市区县]{2,9}?自治区|北京市|天津市|上海市|重庆市)?"
    r"(?:[^区县]{1,12}?(?:自治州|地区|盟|市))?"
    # A 市 directly followed by 区 is part of the district's own name (沙市区, 市中区).
    r"[^区县旗]{1,12}?(?:区|县|旗|市(?!区)))"
)


def generalize(value, *, kind: str, width: int = 10) -> str:
    """Coarsen a value: a date to its month or year, a number to a range, an address to its district."""
    if kind == Generalization.DATE_TO_MONTH:
        return _parse_date(value).strftime("%Y-%m")
    if kind == Generalization.DATE_TO_YEAR:
        return _parse_date(value).strftime("%Y")
    if kind == Generalization.NUMBER_TO_RANGE:
        if width <= 0:
            raise RuleError(_("The range width must be positive."))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise RuleError(_("“%(value)s” is not a number.") % {"value": value}) from exc
        if not number.is_finite():
            raise RuleError(_("“%(value)s” is not a number.") % {"value": value})
        # Decimal's // truncates towards zero, which would put -5 into 0–9.
        low = int((number / width).to_integral_value(rounding=ROUND_FLOOR)) * width
        return f"{low}–{low + width - 1}"
    if kind == Generalization.ADDRESS_TO_DISTRICT:
        text = str(value).strip()
        match = _DISTRICT.match(text)
        if not match:
            raise RuleError(_("No district or county found in “%(value)s”.") % {"value": text})
        return match.group("head")
    raise RuleError(_("Unknown generalization “%(kind)s”.") % {"kind": kind})


def pseudonymize(value, *, key: bytes, length: int = 32) -> str:
    """HMAC-SHA-256 of the value under the product's key: the same input gives the same token within
    one product (records can still be linked), a different product's key gives unrelated tokens."""
    if not key:
        raise RuleError(_("Pseudonymization needs the product's key."))
    return hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def suppress(value) -> str:
    """Remove the value altogether."""
    return ""


def _int_param(params: dict, name: str, default: int) -> int:
    value = params.get(name, default)
    # bool is an int subclass; a JSON true is no count of characters.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RuleError(_("“%(name)s” must be a whole number.") % {"name": name})
    try:
        return int(value)
    except ValueError as exc:
        raise RuleError(_("“%(name)s” must be a whole number.") % {"name": name}) from exc


def apply(method: str, value, params: dict, *, key: bytes = b"") -> str:
    """Apply one rule to one value (the preview and any delivery use this)."""
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise RuleError(_("The rule's parameters must be a set of named values."))
    if method == DesensitizationMethod.MASK:
        return mask(
            value, keep_prefix=_int_param(params, "keep_prefix", 3), keep_suffix=_int_param(params, "keep_suffix", 4)
        )
    if method == DesensitizationMethod.GENERALIZE:
        return generalize(value, kind=params.get("kind", ""), width=_int_param(params, "width", 10))
    if method == DesensitizationMethod.PSEUDONYMIZE:
        return pseudonymize(value, key=key)
    if method == DesensitizationMethod.SUPPRESS:
        return suppress(value)
    raise RuleError(_("Unknown desensitization method “%(method)s”.") % {"method": method})


# A value each kind of rule can handle, to try a rule's parameters before any real data is at hand.
_PROBES = {
    Generalization.DATE_TO_MONTH: "2024-01-31",
    Generalization.DATE_TO_YEAR: "2024-01-31",
    Generalization.NUMBER_TO_RANGE: "12345",
    Generalization.ADDRESS_TO_DISTRICT: "北京市东城区东长安街1号",
}


def check_rule(method: str, params: dict) -> None:
    """Raise RuleError if a rule cannot work whatever the data: unknown method, bad parameters."""
    kind = params.get("kind") if isinstance(params, dict) else None
    probe = _PROBES.get(kind, "12345") if isinstance(kind, str) else "12345"
    apply(method, probe, params, key=b"probe")
