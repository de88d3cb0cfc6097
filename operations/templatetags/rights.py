"""{% three_rights obj %}: the three rights of a resource or a data product, kept apart (数据二十条).

持有权 (holding) always stays with the owning department; 加工使用权 (processing and use) comes from
share agreements in force and licences in force; 产品经营权 (product operation) belongs to the
licensed operator. Each is derived from the records that grant it, in three queries whatever the
number of agreements, licences or products, and shown side by side, never merged.
"""

from django import template

from operations import selectors
from operations.models import DataProduct

register = template.Library()


@register.inclusion_tag("operations/_three_rights.html")
def three_rights(obj):
    if isinstance(obj, DataProduct):
        return {"rights": selectors.product_rights(obj), "is_product": True}
    return {"rights": selectors.resource_rights(obj), "is_product": False}
