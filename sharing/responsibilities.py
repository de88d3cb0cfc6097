"""The responsibilities clause of an agreement (确权定责), generated from what is shared and how.

The text is stored on the agreement in the bureau's language (the bureau may edit it before its
approval), so the record stays what the parties saw even if these templates change later.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from catalog.choices import GRADE_RANK, PERSONAL_INFO_RANK, PersonalInfo, SecurityGrade

from .choices import UsageMode


def _strictest(items, attribute: str, ranks: dict) -> str:
    return max((getattr(i, attribute) for i in items), key=lambda v: ranks[v])


def generate(*, mode: str, items: Iterable) -> dict[str, str]:
    """Three clauses — owning, using and managing department — as numbered lists."""
    items = list(items)
    grade = _strictest(items, "security_grade", GRADE_RANK) if items else SecurityGrade.GENERAL
    personal = _strictest(items, "personal_info", PERSONAL_INFO_RANK) if items else PersonalInfo.NONE
    with translation.override(settings.LANGUAGE_CODE):
        provider = [
            _("Remains the holder of the data: this agreement does not transfer ownership."),
            _("Keeps the shared data accurate, complete and updated at the catalogued frequency."),
            _("Answers quality reports from the using department within the agreed time."),
        ]
        requester = [
            _("Uses the data only for the stated purpose, within the agreed items, mode and period."),
            _("Does not pass the data on to third parties nor open it to the public."),
            _("Records every use through the exchange platform so that it can be traced."),
        ]
        bureau = [
            _("Supervises the agreement and keeps its evidence in the tamper-evident ledger."),
            _("Arbitrates disputes between the two departments on the basis of that record."),
        ]
        if mode == UsageMode.VERIFY:
            requester.append(_("Receives only yes/no verification answers and never stores the underlying values."))
        elif mode == UsageMode.BULK:
            requester.append(
                _(
                    "Stores the bulk copy on secured infrastructure, keeps it in step with the source, "
                    "and deletes it when the agreement ends."
                )
            )
            provider.append(_("Notifies the using department of corrections so that its copy can be updated."))
        if GRADE_RANK[grade] >= GRADE_RANK[SecurityGrade.IMPORTANT]:
            requester.append(
                _(
                    "Protects the data at the level its grade (%(grade)s) requires and reports any incident "
                    "to the bureau at once."
                )
                % {"grade": SecurityGrade(grade).label}
            )
            bureau.append(
                _("Audits the use of this %(grade)s data at least once a year.") % {"grade": SecurityGrade(grade).label}
            )
        if personal != PersonalInfo.NONE:
            requester.append(
                _(
                    "Processes personal information only as far as the purpose requires, under the "
                    "Personal Information Protection Law, and answers for any leak on its side."
                )
            )
            provider.append(_("Shares personal information only within the items listed in this agreement."))
        if personal == PersonalInfo.SENSITIVE:
            requester.append(_("Restricts access to named staff and keeps an access log of the sensitive items."))
        return {
            "provider_duties": _numbered(provider),
            "requester_duties": _numbered(requester),
            "bureau_duties": _numbered(bureau),
        }


def _numbered(lines: list[str]) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))
