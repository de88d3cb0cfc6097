"""Trades: a sale is recorded only for an approved traded product, under a licence in force, on a
date within the term, at a price within the cap; and every sale is ledgered."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from operations import services
from operations.choices import Distribution, LicenseStatus
from operations.models import Trade
from sharing.models import LedgerEntry

from .conftest import make_active_license, make_approved_product, make_product, today


@pytest.fixture
def approved(license_a, staff_a, officer):
    return make_approved_product(license_a, staff_a, officer)


def sell(product, actor, *, price="800.00", traded_on=None, buyer="丙征信服务有限公司"):
    return services.trade_record(
        product=product, actor=actor, buyer=buyer, price=Decimal(price), traded_on=traded_on or today()
    )


def assert_nothing_recorded():
    assert not Trade.objects.exists()
    assert not LedgerEntry.objects.filter(action="trade.record").exists()


def test_operator_staff_records_a_trade(approved, staff_a, license_a):
    trade = sell(approved, staff_a)

    assert trade.license == license_a
    assert trade.recorded_by == staff_a
    assert trade.price == Decimal("800.00")


def test_trade_is_ledgered(approved, staff_a, license_a):
    trade = sell(approved, staff_a, price="650.50")

    entry = LedgerEntry.objects.get(action="trade.record")
    payload = json.loads(entry.payload)
    assert entry.actor_id == staff_a.pk
    assert payload["object"]["id"] == str(trade.pk)
    assert payload["data"] == {
        "product": approved.pk,
        "license": license_a.number,
        "buyer": "丙征信服务有限公司",
        "price": "650.50",
        "date": today().isoformat(),
    }


def test_each_trade_has_its_own_ledger_entry(approved, staff_a):
    sell(approved, staff_a, buyer="甲")
    sell(approved, staff_a, buyer="乙")

    assert LedgerEntry.objects.filter(action="trade.record").count() == 2


def test_trade_leaves_a_history_record_with_the_staff_member(approved, staff_a):
    trade = sell(approved, staff_a)

    assert trade.history.get().history_user == staff_a


def test_price_equal_to_the_cap_is_accepted(approved, staff_a):
    trade = sell(approved, staff_a, price="1000.00")

    assert trade.price == Decimal("1000.00")


def test_price_above_the_cap_is_refused(approved, staff_a):
    with pytest.raises(ValidationError, match="price cap of 1000.00"):
        sell(approved, staff_a, price="1000.01")
    assert_nothing_recorded()


def test_licence_without_a_cap_accepts_any_price(operator_a, resource, staff_a, officer):
    license = make_active_license(operator_a, [resource], officer, price_cap=None)
    product = make_approved_product(license, staff_a, officer)

    trade = sell(product, staff_a, price="999999.00")

    assert trade.price == Decimal("999999.00")


def test_negative_price_is_refused(approved, staff_a):
    with pytest.raises(ValidationError):
        sell(approved, staff_a, price="-1.00")
    assert_nothing_recorded()


def test_trade_under_a_suspended_licence_is_refused(approved, staff_a, officer):
    services.license_suspend(license=approved.license, actor=officer, reason="调查")

    with pytest.raises(ValidationError, match="not in force"):
        sell(approved, staff_a)
    assert_nothing_recorded()


def test_trade_under_an_expired_licence_is_refused_even_if_dated_within_the_term(approved, staff_a, clock):
    license = approved.license
    clock.travel_to(license.term_end + timedelta(days=1))
    services.licenses_expire_due()
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED

    with pytest.raises(ValidationError, match="not in force"):
        sell(approved, staff_a, traded_on=license.term_end)
    assert_nothing_recorded()


def test_trade_under_a_revoked_licence_is_refused(approved, staff_a, officer):
    services.license_revoke(license=approved.license, actor=officer, reason="严重违约")

    with pytest.raises(ValidationError, match="not in force"):
        sell(approved, staff_a)
    assert_nothing_recorded()


def test_open_product_cannot_be_traded(license_a, staff_a, officer):
    product = make_approved_product(license_a, staff_a, officer, distribution=Distribution.OPEN, list_price=None)

    with pytest.raises(ValidationError, match="approved products offered for trade"):
        sell(product, staff_a)
    assert_nothing_recorded()


def test_draft_product_cannot_be_traded(license_a, staff_a):
    product = make_product(license_a, staff_a)

    with pytest.raises(ValidationError, match="approved products offered for trade"):
        sell(product, staff_a)
    assert_nothing_recorded()


def test_submitted_product_cannot_be_traded(license_a, staff_a):
    product = services.product_submit(product=make_product(license_a, staff_a), actor=staff_a)

    with pytest.raises(ValidationError, match="approved products offered for trade"):
        sell(product, staff_a)
    assert_nothing_recorded()


def test_withdrawn_product_cannot_be_traded(approved, staff_a):
    services.product_withdraw(product=approved, actor=staff_a, reason="停止运营")

    with pytest.raises(ValidationError, match="approved products offered for trade"):
        sell(approved, staff_a)
    assert_nothing_recorded()


def test_trade_dated_in_the_future_is_refused(approved, staff_a):
    with pytest.raises(ValidationError, match="not in the future"):
        sell(approved, staff_a, traded_on=today() + timedelta(days=1))
    assert_nothing_recorded()


def test_trade_dated_before_the_term_is_refused(approved, staff_a):
    with pytest.raises(ValidationError, match="within the licence term"):
        sell(approved, staff_a, traded_on=approved.license.term_start - timedelta(days=1))
    assert_nothing_recorded()


def test_trade_dated_before_the_product_existed_is_refused(license_a, staff_a, officer, clock):
    registered = today() - timedelta(days=10)
    clock.travel_to(registered)
    product = make_approved_product(license_a, staff_a, officer)
    clock.travel_to(registered + timedelta(days=10))

    with pytest.raises(ValidationError, match="before the product was registered"):
        sell(product, staff_a, traded_on=registered - timedelta(days=1))
    assert_nothing_recorded()


def test_trade_recorded_late_but_dated_after_registration_is_accepted(license_a, staff_a, officer, clock):
    registered = today() - timedelta(days=10)
    clock.travel_to(registered)
    product = make_approved_product(license_a, staff_a, officer)
    clock.travel_to(registered + timedelta(days=10))

    trade = sell(product, staff_a, traded_on=registered)

    assert trade.traded_on == registered


@pytest.mark.parametrize("actor_fixture", ["staff_b", "officer", "auditor", "liaison_a", "firm_staff_a"])
def test_only_the_operators_staff_record_its_trades(request, approved, actor_fixture):
    with pytest.raises(PermissionDenied):
        sell(approved, request.getfixturevalue(actor_fixture))
    assert_nothing_recorded()


def test_a_suspended_operator_records_no_trades(approved, staff_a, operator_a, officer):
    from operations.choices import OperatorStatus

    operator_a.status = OperatorStatus.SUSPENDED
    services.organisation_save(organisation=operator_a, actor=officer, reason="监管暂停")

    with pytest.raises(ValidationError, match=operator_a.name):
        sell(approved, staff_a)
    assert_nothing_recorded()
