"""Small presentation helpers for the portal templates."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from catalog import selectors
from catalog.choices import ClaimStatus, ResourceStatus

register = template.Library()

RESOURCE_BADGES = {
    ResourceStatus.DRAFT: "text-bg-secondary",
    ResourceStatus.SUBMITTED: "text-bg-info",
    ResourceStatus.PUBLISHED: "text-bg-success",
    ResourceStatus.RETIRED: "text-bg-dark",
}

CLAIM_BADGES = {
    ClaimStatus.CLAIMED: "text-bg-info",
    ClaimStatus.CONFIRMED: "text-bg-success",
    ClaimStatus.REJECTED: "text-bg-danger",
    ClaimStatus.WITHDRAWN: "text-bg-secondary",
}


@register.simple_tag
def resource_badge(resource):
    """The status of a resource; a draft sent back by the bureau says so, because it needs action."""
    if resource.status == ResourceStatus.DRAFT and resource.return_reason:
        return format_html('<span class="badge text-bg-warning">{}</span>', _("Returned"))
    css = RESOURCE_BADGES.get(resource.status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, resource.get_status_display())


@register.simple_tag
def claim_badge(claim):
    css = CLAIM_BADGES.get(claim.status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, claim.get_status_display())


@register.simple_tag
def portal_department_id(user):
    return selectors.portal_department_id(user)


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@register.filter
def person_name(user):
    """A Chinese name reads family name first with no space (马俊); other names as Django writes them."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last and _is_cjk(first + last):
        return f"{last}{first}"
    return user.get_full_name() or user.get_username()


@register.simple_tag
def optional_url(name, *args):
    """The URL of a page that another app may not offer yet; empty when it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
