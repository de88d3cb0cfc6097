"""The trade pages: recording a sale, the service's refusals, and the list with its totals."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from operations import services
from operations.models import Trade
from tests.operations_portal.conftest import (
    make_approved_product,
    make_product,
    make_trade,
    not_in_force_refusal,
    shown,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(license_a, staff_a, officer):
    return make_approved_product(license_a, staff_a, officer)


def trade_post(product, **fields):
    return {
        "product": product.pk,
        "buyer": fields.pop("buyer", "某银行股份有限公司"),
        "buyer_credit_code": fields.pop("buyer_credit_code", ""),
        "price": fields.pop("price", "800.00"),
        "traded_on": fields.pop("traded_on", today().isoformat()),
    }


def test_operator_records_a_trade(client_staff_a, staff_a, approved):
    response = client_staff_a.post(reverse("portal:ops_trade_create"), trade_post(approved))

    trade = Trade.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_trade_detail", args=[trade.pk])
    assert (trade.product, trade.price, trade.recorded_by) == (approved, Decimal("800.00"), staff_a)
    assert trade.history.get().history_user == staff_a


def test_trade_is_refused_with_the_services_message_when_the_licence_is_suspended(
    client_staff_a, approved, license_a, officer
):
    services.license_suspend(license=license_a, actor=officer, reason="违规整改")
    license_a.refresh_from_db()

    response = client_staff_a.post(reverse("portal:ops_trade_create"), trade_post(approved))

    assert response.status_code == 200
    assert not_in_force_refusal(license_a) in response.content.decode()
    assert not Trade.objects.exists()


def test_trade_above_the_price_cap_is_refused(client_staff_a, approved):
    response = client_staff_a.post(reverse("portal:ops_trade_create"), trade_post(approved, price="1000.01"))

    assert response.status_code == 200
    assert "1000.00" in response.content.decode()
    assert not Trade.objects.exists()


def test_a_negative_price_is_refused_on_the_form(client_staff_a, approved):
    response = client_staff_a.post(reverse("portal:ops_trade_create"), trade_post(approved, price="-1"))
    assert response.status_code == 200
    assert not Trade.objects.exists()


def test_a_wrong_buyer_credit_code_is_refused(client_staff_a, approved):
    response = client_staff_a.post(
        reverse("portal:ops_trade_create"), trade_post(approved, buyer_credit_code="91110000000000000X")
    )
    assert response.status_code == 200
    assert not Trade.objects.exists()


def test_the_trade_form_offers_only_approved_traded_products(client_staff_a, staff_a, license_a, approved):
    draft = make_product(license_a, staff_a, name="草稿产品")

    content = client_staff_a.get(reverse("portal:ops_trade_create")).content.decode()
    response = client_staff_a.post(reverse("portal:ops_trade_create"), trade_post(draft))

    assert approved.name in content
    assert "草稿产品" not in content
    assert response.status_code == 200
    assert not Trade.objects.exists()


def test_the_trade_form_warns_about_products_of_a_suspended_licence(client_staff_a, approved, license_a, officer):
    services.license_suspend(license=license_a, actor=officer, reason="违规整改")
    content = client_staff_a.get(reverse("portal:ops_trade_create")).content.decode()
    assert shown(_("The licence of these products is not in force, so their trades will be refused:")) in content


def test_trade_list_shows_totals(client_staff_a, staff_a, approved):
    make_trade(approved, staff_a, price="100.00")
    make_trade(approved, staff_a, price="250.50")

    response = client_staff_a.get(reverse("portal:ops_trade_list"))

    assert response.context["totals"] == {"count": 2, "revenue": Decimal("350.50")}
    assert "350.50" in response.content.decode()


def test_trade_list_filters_by_product(client_staff_a, staff_a, license_a, officer, approved):
    other = make_approved_product(license_a, staff_a, officer, name="另一产品")
    make_trade(approved, staff_a, price="100.00")
    make_trade(other, staff_a, price="200.00")

    response = client_staff_a.get(reverse("portal:ops_trade_list") + f"?product={other.pk}")

    assert [t.product for t in response.context["page"].object_list] == [other]
    assert response.context["totals"]["revenue"] == Decimal("200.00")


def test_the_trade_form_proposes_today_as_the_date(client_staff_a, approved):
    content = client_staff_a.get(reverse("portal:ops_trade_create")).content.decode()
    assert f'value="{today().isoformat()}"' in content
