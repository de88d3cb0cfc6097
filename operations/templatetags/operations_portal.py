"""Presentation helpers of the operations pages: status badges and the navigation's roles."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from operations.choices import (
    AuditStatus,
    DesensitizationMethod,
    FindingStatus,
    Generalization,
    LicenseStatus,
    ProductStatus,
    Severity,
)

register = template.Library()

_BADGES = {
    LicenseStatus: {
        LicenseStatus.APPLIED: "text-bg-secondary",
        LicenseStatus.APPROVED: "text-bg-info",
        LicenseStatus.ACTIVE: "text-bg-success",
        LicenseStatus.SUSPENDED: "text-bg-warning",
        LicenseStatus.REVOKED: "text-bg-danger",
        LicenseStatus.EXPIRED: "text-bg-dark",
    },
    ProductStatus: {
        ProductStatus.DRAFT: "text-bg-secondary",
        ProductStatus.SUBMITTED: "text-bg-info",
        ProductStatus.APPROVED: "text-bg-success",
        ProductStatus.REJECTED: "text-bg-danger",
        ProductStatus.WITHDRAWN: "text-bg-dark",
    },
    AuditStatus: {
        AuditStatus.ASSIGNED: "text-bg-secondary",
        AuditStatus.IN_PROGRESS: "text-bg-info",
        AuditStatus.COMPLETED: "text-bg-success",
    },
    FindingStatus: {
        FindingStatus.OPEN: "text-bg-warning",
        FindingStatus.ANSWERED: "text-bg-info",
        FindingStatus.CLOSED: "text-bg-success",
    },
    Severity: {
        Severity.LOW: "text-bg-light border",
        Severity.MEDIUM: "text-bg-info",
        Severity.HIGH: "text-bg-warning",
        Severity.CRITICAL: "text-bg-danger",
    },
}


def _badge(choices, value):
    css = _BADGES[choices].get(value, "text-bg-light")
    label = choices(value).label if value in choices.values else value
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.simple_tag
def license_badge(license):
    return _badge(LicenseStatus, license.status)


@register.simple_tag
def product_badge(product):
    return _badge(ProductStatus, product.status)


@register.simple_tag
def audit_badge(audit):
    return _badge(AuditStatus, audit.status)


@register.simple_tag
def finding_badge(finding):
    return _badge(FindingStatus, finding.status)


@register.simple_tag
def severity_badge(finding):
    return _badge(Severity, finding.severity)


@register.simple_tag
def rule_summary(rule):
    """A desensitization rule in words: its method and the parameters that matter."""
    params = rule.params if isinstance(rule.params, dict) else {}
    method = rule.get_method_display()
    if rule.method == DesensitizationMethod.MASK:
        return _("%(method)s: keep the first %(prefix)s and the last %(suffix)s characters") % {
            "method": method,
            "prefix": params.get("keep_prefix", 3),
            "suffix": params.get("keep_suffix", 4),
        }
    if rule.method == DesensitizationMethod.GENERALIZE:
        kind = params.get("kind", "")
        label = Generalization(kind).label if kind in Generalization.values else kind
        if kind == Generalization.NUMBER_TO_RANGE:
            return _("%(method)s: %(kind)s of width %(width)s") % {
                "method": method,
                "kind": label,
                "width": params.get("width", 10),
            }
        return _("%(method)s: %(kind)s") % {"method": method, "kind": label}
    return method
