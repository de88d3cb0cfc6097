"""Annual disclosure pages: what is due, what is overdue after 31 March, and filing with computed figures."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from operations.models import AnnualDisclosure
from tests.operations_portal.conftest import make_approved_product, make_license, make_trade, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year_license(operator_a, resource, officer):
    """A licence in force since the middle of last year."""
    return make_license(operator_a, [resource], officer, term_start=date(today().year - 1, 6, 1))


def travel_to(monkeypatch, day: date) -> None:
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_missing_report_is_due_until_the_end_of_march(client_staff_a, staff_a, last_year_license, monkeypatch):
    travel_to(monkeypatch, date(today().year, 3, 31))
    client_staff_a.force_login(staff_a)

    response = client_staff_a.get(reverse("portal:ops_disclosure_list"))

    [entry] = response.context["schedule"]
    assert (entry.year, entry.missing, entry.overdue) == (today().year - 1, True, False)


def test_a_missing_report_is_flagged_overdue_after_the_end_of_march(
    client_staff_a, staff_a, last_year_license, monkeypatch
):
    travel_to(monkeypatch, date(today().year, 4, 1))
    client_staff_a.force_login(staff_a)

    response = client_staff_a.get(reverse("portal:ops_disclosure_list"))

    [entry] = response.context["schedule"]
    assert (entry.missing, entry.overdue) == (True, True)
    assert 'class="table-danger"' in response.content.decode()


def test_a_licence_that_never_took_effect_owes_no_report(client_staff_a, operator_a, resource, officer):
    make_license(operator_a, [resource], officer, active=False, term_start=date(today().year - 1, 6, 1))

    response = client_staff_a.get(reverse("portal:ops_disclosure_list"))

    assert response.context["schedule"] == []


def test_the_home_page_lists_the_missing_report(client_staff_a, last_year_license):
    response = client_staff_a.get(reverse("portal:ops_home"))
    url = reverse("portal:ops_disclosure_file", args=[last_year_license.operator_id, today().year - 1])
    assert url in response.content.decode()


def test_the_filing_page_shows_the_figures_before_filing(client_staff_a, staff_a, operator_a, officer, resource):
    license = make_license(operator_a, [resource], officer, term_start=date(today().year - 1, 6, 1))
    make_approved_product(license, staff_a, officer, name="去年的产品")

    response = client_staff_a.get(reverse("portal:ops_disclosure_file", args=[operator_a.pk, today().year - 1]))

    assert response.status_code == 200
    assert response.context["figures"]["products"] == 0  # registered this year, not by the end of last year
    assert license.number in response.content.decode()
    assert not AnnualDisclosure.objects.exists()


def test_the_operator_files_a_disclosure(client_staff_a, staff_a, operator_a, last_year_license):
    year = today().year - 1

    response = client_staff_a.post(
        reverse("portal:ops_disclosure_file", args=[operator_a.pk, year]), {"statement": "本年度无超限价交易。"}
    )

    disclosure = AnnualDisclosure.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_disclosure_detail", args=[disclosure.pk])
    assert (disclosure.year, disclosure.filed_by, disclosure.statement) == (year, staff_a, "本年度无超限价交易。")
    assert disclosure.figures["licenses"][0]["number"] == last_year_license.number
    assert disclosure.history.get().history_user == staff_a


def test_a_filed_year_is_shown_as_filed(client_staff_a, staff_a, operator_a, last_year_license):
    year = today().year - 1
    client_staff_a.post(reverse("portal:ops_disclosure_file", args=[operator_a.pk, year]), {"statement": ""})

    response = client_staff_a.get(reverse("portal:ops_disclosure_list"))

    [entry] = response.context["schedule"]
    assert entry.filed is not None
    assert not entry.overdue


def test_filing_twice_goes_to_the_filed_report(client_staff_a, operator_a, last_year_license):
    url = reverse("portal:ops_disclosure_file", args=[operator_a.pk, today().year - 1])
    client_staff_a.post(url, {"statement": ""})

    response = client_staff_a.post(url, {"statement": "再报一次"})

    assert response.status_code == 302
    assert AnnualDisclosure.objects.get().statement == ""


def test_the_current_year_cannot_be_filed(client_staff_a, operator_a, license_a):
    response = client_staff_a.post(
        reverse("portal:ops_disclosure_file", args=[operator_a.pk, today().year]), {"statement": ""}
    )
    assert response.status_code == 200
    assert not AnnualDisclosure.objects.exists()


def test_the_filed_figures_count_last_years_trades(client_staff_a, staff_a, operator_a, officer, resource, monkeypatch):
    license = make_license(operator_a, [resource], officer, term_start=today() - timedelta(days=30))
    product = make_approved_product(license, staff_a, officer)
    make_trade(product, staff_a, price="120.00")
    travel_to(monkeypatch, date(today().year + 1, 2, 1))
    client_staff_a.force_login(staff_a)  # the session of "last year" has expired by now
    year = today().year - 1

    client_staff_a.post(reverse("portal:ops_disclosure_file", args=[operator_a.pk, year]), {"statement": ""})

    figures = AnnualDisclosure.objects.get().figures
    assert figures["trades"][0]["count"] == 1
    assert figures["trades"][0]["revenue"] == "120.00"
