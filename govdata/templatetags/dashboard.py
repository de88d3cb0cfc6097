"""Filters of the governance dashboard."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def rate(value) -> str:
    """A percentage as the dashboard prints it, or a dash where there is nothing to divide by.

    A filter rather than an included template: the department tables hold some 1,600 rates, and an
    include per cell cost more than every query of the page.
    """
    return "—" if value is None else f"{number_format(value)}%"
