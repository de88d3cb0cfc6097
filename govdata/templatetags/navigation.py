"""The portal's navigation: a link only to the pages the user may open.

Each link asks the same check as the pages it leads to, so no link ends in a 403 (an operator's
staff never see the catalogue, an audit firm's staff never the dashboard). This library sits in
the project package because it asks every app; the apps do not import each other for it.
"""

from django import template

from catalog.models import DataResource
from catalog.selectors import portal_department_id
from catalog.views import may_open_catalogue
from govdata.audit_views import reads_everything
from govdata.permissions import is_bureau_wide
from operations.selectors import staff_firm_ids, staff_operator_ids

register = template.Library()


@register.simple_tag
def portal_links(user) -> dict:
    """Which sections the navigation links to for `user`; no query beyond the per-request caches."""
    if not getattr(user, "is_authenticated", False):
        return {}
    department_id = portal_department_id(user)
    return {
        # The department's own pages, and sharing, which a department does.
        "department_id": department_id,
        "catalogue": may_open_catalogue(user),
        # As govdata.dashboard_views._scope decides: the bureau-wide view, or one's own department.
        "dashboard": department_id is not None or is_bureau_wide(user, DataResource, "view"),
        "audit": reads_everything(user),
        "operator": bool(staff_operator_ids(user)),
        "firm": bool(staff_firm_ids(user)),
        # What the admin site itself requires (AdminSite.has_permission).
        "admin": user.is_active and user.is_staff,
    }
