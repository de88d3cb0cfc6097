"""Annual disclosure: an operator files once a year, after the year, with figures computed from
its licences, products and trades; operators late past 31 March are flagged."""

import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from operations import services
from operations.models import AnnualDisclosure, Trade
from sharing.models import LedgerEntry

from .conftest import apply_for_license, fresh, make_active_license, make_approved_product, today

LAST_YEAR = today().year - 1


@pytest.fixture
def last_year_business(operator_a, resource, staff_a, officer, clock):
    """A licence in force since 1 January last year, two products and three sales last year, one this year."""
    real_today = today()
    clock.travel_to(date(LAST_YEAR, 3, 1))
    license = make_active_license(
        operator_a,
        [resource],
        officer,
        number="LIC-2001",
        term_start=date(LAST_YEAR, 1, 1),
        term_end=date(LAST_YEAR + 1, 12, 31),
        price_cap=Decimal("1000.00"),
    )
    atlas = make_approved_product(license, staff_a, officer, name="人口分布图谱")
    index = make_approved_product(license, staff_a, officer, name="信用指数")
    clock.travel_to(date(LAST_YEAR, 6, 30))
    for product, price, day in [(atlas, "300.00", 10), (atlas, "500.00", 20), (index, "1000.00", 30)]:
        services.trade_record(
            product=product, actor=staff_a, buyer="丙公司", price=Decimal(price), traded_on=date(LAST_YEAR, 6, day)
        )
    clock.travel_to(real_today)
    services.trade_record(product=atlas, actor=staff_a, buyer="丁公司", price=Decimal("900.00"), traded_on=real_today)
    return {"license": license, "atlas": atlas, "index": index}


def file(operator, actor, year=LAST_YEAR):
    return services.disclosure_file(operator=operator, year=year, actor=actor, statement="本年度经营情况说明")


# --- Figures --------------------------------------------------------------------------------


def test_disclosure_lists_the_licences_of_the_year(last_year_business, operator_a, staff_a):
    disclosure = file(operator_a, staff_a)

    assert disclosure.figures["licenses"] == [{"number": "LIC-2001", "status": "active", "price_cap": "1000.00"}]


def test_disclosure_counts_the_products_registered_by_the_year_end(last_year_business, operator_a, staff_a):
    disclosure = file(operator_a, staff_a)

    assert disclosure.figures["products"] == 2


def test_disclosure_sums_the_trades_of_the_year_per_product(last_year_business, operator_a, staff_a):
    disclosure = file(operator_a, staff_a)

    rows = {row["product__name"]: row for row in disclosure.figures["trades"]}
    assert set(rows) == {"人口分布图谱", "信用指数"}
    assert (rows["人口分布图谱"]["count"], rows["人口分布图谱"]["revenue"], rows["人口分布图谱"]["top_price"]) == (
        2,
        "800.00",
        "500.00",
    )
    assert (rows["信用指数"]["count"], rows["信用指数"]["revenue"], rows["信用指数"]["top_price"]) == (
        1,
        "1000.00",
        "1000.00",
    )


def test_disclosure_keeps_two_products_of_the_same_name_apart(license_a, staff_a, officer):
    first = make_approved_product(license_a, staff_a, officer, name="同名产品")
    second = make_approved_product(license_a, staff_a, officer, name="同名产品")
    for product in (first, second):
        services.trade_record(product=product, actor=staff_a, buyer="丙公司", price=Decimal("10"), traded_on=today())

    figures = services.disclosure_figures(license_a.operator, today().year)

    assert sorted((row["product_id"], row["count"]) for row in figures["trades"]) == [(first.pk, 1), (second.pk, 1)]


def test_disclosure_counts_trades_over_the_price_cap(last_year_business, operator_a, staff_a):
    # A sale that reached the table past trade_record (an import of paper records, say) is
    # exactly what the disclosure's cross-check is for.
    Trade.objects.create(
        product=last_year_business["atlas"],
        license=last_year_business["license"],
        buyer="戊公司",
        price=Decimal("1500.00"),
        traded_on=date(LAST_YEAR, 11, 11),
    )

    disclosure = file(operator_a, staff_a)

    assert disclosure.figures["trades_over_cap"] == 1


def test_disclosure_without_trades_over_the_cap_says_so(last_year_business, operator_a, staff_a):
    disclosure = file(operator_a, staff_a)

    assert disclosure.figures["trades_over_cap"] == 0


def test_disclosure_records_who_filed_it_and_is_ledgered(last_year_business, operator_a, staff_a):
    disclosure = file(operator_a, staff_a)

    assert disclosure.filed_by == staff_a
    entry = LedgerEntry.objects.get(action="disclosure.file")
    assert entry.actor_id == staff_a.pk
    assert json.loads(entry.payload)["data"] == {"year": LAST_YEAR}


# --- When and by whom -----------------------------------------------------------------------


def test_disclosure_is_filed_only_once_per_year(last_year_business, operator_a, staff_a):
    file(operator_a, staff_a)

    with pytest.raises(ValidationError, match="already been filed"):
        file(operator_a, staff_a)
    assert AnnualDisclosure.objects.count() == 1


def test_disclosure_for_the_current_year_is_refused(operator_a, staff_a):
    with pytest.raises(ValidationError, match="after the year has ended"):
        file(operator_a, staff_a, year=today().year)
    assert not AnnualDisclosure.objects.exists()


def test_disclosure_for_a_future_year_is_refused(operator_a, staff_a):
    with pytest.raises(ValidationError):
        file(operator_a, staff_a, year=today().year + 1)


@pytest.mark.parametrize("actor_fixture", ["staff_b", "officer", "auditor", "firm_staff_a"])
def test_only_the_operators_staff_file_its_disclosure(request, operator_a, actor_fixture):
    with pytest.raises(PermissionDenied):
        file(operator_a, request.getfixturevalue(actor_fixture))
    assert not AnnualDisclosure.objects.exists()


# --- Missing disclosures --------------------------------------------------------------------


@pytest.fixture
def licensed_last_year(operator_a, resource, officer, clock):
    """A licence in force for the whole of last year (activated within its term, as activation must be)."""
    real_today = today()
    clock.travel_to(date(LAST_YEAR, 1, 2))
    license = make_active_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR, 1, 1), term_end=date(LAST_YEAR, 12, 31)
    )
    clock.travel_to(real_today)
    return license


def test_operator_without_report_is_flagged_after_31_march(licensed_last_year, operator_a):
    missing, year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert year == LAST_YEAR
    assert list(missing) == [operator_a]


def test_operator_is_not_flagged_on_31_march(licensed_last_year):
    missing, year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 3, 31))

    assert year == LAST_YEAR - 1
    assert list(missing) == []


def test_operator_that_filed_is_not_flagged(licensed_last_year, operator_a, staff_a):
    file(operator_a, staff_a)

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == []


def test_operator_without_a_licence_last_year_is_not_flagged(operator_a, resource, officer):
    make_active_license(operator_a, [resource], officer, term_start=date(LAST_YEAR + 1, 1, 1))

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == []


def test_operator_with_several_licences_is_flagged_once(licensed_last_year, operator_a, resource, officer, clock):
    clock.travel_to(date(LAST_YEAR, 7, 1))
    make_active_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR, 6, 1), term_end=date(LAST_YEAR + 1, 5, 31)
    )

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == [operator_a]


def test_operator_whose_licence_never_took_effect_is_not_flagged(operator_a, resource, officer):
    license = apply_for_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR, 1, 1), term_end=date(LAST_YEAR, 12, 31)
    )
    services.license_approve(license=license, actor=officer)

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == []


def test_operator_whose_application_was_refused_is_not_flagged(operator_a, resource, officer):
    license = apply_for_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR, 1, 1), term_end=date(LAST_YEAR, 12, 31)
    )
    services.license_revoke(license=license, actor=officer, reason="运营方案未通过专家评审")

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == []


def test_operator_whose_licence_was_revoked_before_the_year_is_not_flagged(operator_a, resource, officer, clock):
    clock.travel_to(date(LAST_YEAR - 1, 3, 1))
    license = make_active_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR - 1, 1, 1), term_end=date(LAST_YEAR + 1, 12, 31)
    )
    clock.travel_to(date(LAST_YEAR - 1, 11, 1))
    services.license_revoke(license=license, actor=officer, reason="违规向第三方提供数据")

    missing, year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))
    owed_before, year_before = services.operators_missing_disclosure(today=date(LAST_YEAR, 4, 1))

    assert (year, list(missing)) == (LAST_YEAR, [])
    # The year of the revocation is still owed: the licence was in force for part of it.
    assert (year_before, list(owed_before)) == (LAST_YEAR - 1, [operator_a])


def test_operator_whose_licence_was_revoked_during_the_year_is_flagged(operator_a, resource, officer, clock):
    clock.travel_to(date(LAST_YEAR, 2, 1))
    license = make_active_license(
        operator_a, [resource], officer, term_start=date(LAST_YEAR, 1, 1), term_end=date(LAST_YEAR + 2, 12, 31)
    )
    clock.travel_to(date(LAST_YEAR, 9, 1))
    services.license_revoke(license=license, actor=officer, reason="违规向第三方提供数据")

    missing, _year = services.operators_missing_disclosure(today=date(LAST_YEAR + 1, 4, 1))

    assert list(missing) == [operator_a]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serializes every writer, so there is no race"
)
def test_two_simultaneous_filings_leave_one_disclosure_and_a_clear_refusal(operator_a, staff_a):
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            file(operator_a, fresh(staff_a))
            outcomes.append("filed")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # an IntegrityError here is the bug this test guards against
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["filed", "refused"]
    assert AnnualDisclosure.objects.count() == 1
