"""Helpers for portal tests: form data as a browser would post it, and query-count comparison."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

RESOURCE_DEFAULTS = {
    "catalogue_code": "PSB-NEW-001",
    "name": "新登记资源",
    "summary": "",
    "subject": "departmental",
    "update_frequency": "daily",
    "format": "",
    "security_grade": "general",
    "personal_info": "none",
    "share_type": "unconditional",
    "share_conditions": "",
    "not_shared_basis": "",
    "open_type": "not_open",
    "aggregation_mode": "logical",
}

ITEM_DEFAULTS = {
    "code": "",
    "name": "",
    "data_type": "string",
    "length": "",
    "security_grade": "general",
    "personal_info": "none",
    "share_type": "unconditional",
    "open_type": "not_open",
    "element": "",
    "description": "",
}


def resource_post(*, items=(), existing=(), **fields):
    """POST data of the resource page: `existing` are (item, changes) pairs, `items` new rows as dicts.

    Each dict may say DELETE=True to tick the row's removal box.
    """
    data = {**RESOURCE_DEFAULTS, **{k: v for k, v in fields.items() if k != "duties"}}
    if "duties" in fields:
        data["duties"] = [str(d.pk) for d in fields["duties"]]
    rows = []
    for item, changes in existing:
        row = {k: getattr(item, k) for k in ITEM_DEFAULTS if k != "element"}
        row["length"] = item.length or ""
        row["element"] = item.element.code if item.element_id else ""
        row["id"] = item.pk
        row.update(changes)
        rows.append(row)
    rows.extend({**ITEM_DEFAULTS, **row} for row in items)
    data.update(
        {
            "items-TOTAL_FORMS": str(len(rows)),
            "items-INITIAL_FORMS": str(len(existing)),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
        }
    )
    for index, row in enumerate(rows):
        for key, value in row.items():
            if key == "DELETE":
                if value:
                    data[f"items-{index}-DELETE"] = "on"
            elif key == "is_core_item":
                if value:
                    data[f"items-{index}-is_core_item"] = "on"
            else:
                data[f"items-{index}-{key}"] = "" if value is None else str(value)
    return data


def translated(message, language="zh-hans"):
    """A message as the page shows it: translated to the default language and HTML-escaped."""
    with translation.override(language):
        return escape(str(message))


def count_queries(client, url):
    """Queries of one GET after a warm-up GET (which fills process-wide caches such as content types)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)
