"""Bookings made in the admin go through the service: positions and cash stay consistent."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.portfolio.models import Position, Transaction

pytestmark = pytest.mark.django_db
ADD = "/admin/portfolio/transaction/add/"


@pytest.fixture
def admin_http(django_user_model):
    su = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    c = Client()
    c.force_login(su)
    return c


def _form(portfolio, instrument, **over):
    data = {
        "portfolio": portfolio.pk,
        "type": "buy",
        "instrument": instrument.pk,
        "quantity": "10",
        "price": "200",
        "fees": "0",
        "amount": "",
        "timestamp_0": "2024-02-01",
        "timestamp_1": "15:00:00",
    }
    return data | over


def test_admin_booking_moves_the_position(admin_http, portfolio, instruments):
    resp = admin_http.post(ADD, _form(portfolio, instruments["AAPL"]))
    assert resp.status_code == 302, resp.content[:2000]
    tx = Transaction.objects.latest("id")
    assert tx.type == "buy" and tx.created_by.username == "root"
    pos = Position.objects.get(portfolio=portfolio, instrument=instruments["AAPL"])
    assert (pos.quantity, pos.average_cost) == (Decimal(110), Decimal("154.5454545455"))  # 17000 / 110
    portfolio.refresh_from_db()
    assert portfolio.cash == Decimal(85000) - Decimal(2000)


def test_admin_refuses_an_oversell_on_the_form(admin_http, portfolio, instruments):
    count = Transaction.objects.count()
    resp = admin_http.post(ADD, _form(portfolio, instruments["AAPL"], type="sell", quantity="1000"))
    assert resp.status_code == 200
    assert "long-only" in resp.context["adminform"].form.errors["quantity"][0]
    assert Transaction.objects.count() == count


def test_admin_pages_render(admin_http, portfolio):
    for url in (
        "/admin/portfolio/portfolio/",
        f"/admin/portfolio/portfolio/{portfolio.pk}/change/",
        "/admin/portfolio/position/",
        "/admin/portfolio/transaction/",
        f"/admin/portfolio/transaction/{Transaction.objects.first().pk}/change/",
        "/admin/marketdata/instrument/?asset_class__exact=etf",
    ):
        assert admin_http.get(url).status_code == 200, url


def test_stored_optimizations_and_proposals_are_read_only(admin_http, api_client, portfolio, market):
    from apps.portfolio.models import Optimization, RebalanceProposal

    body = {"method": "min_variance", "universe": ["AAPL", "MSFT", "JPM"]}
    doc = api_client.post("/api/portfolio/optimize/alice_001", body, format="json").json()
    resp = api_client.post("/api/portfolio/rebalance/alice_001", {"optimization": doc["id"]}, format="json")
    assert resp.status_code == 201, resp.content
    proposal = RebalanceProposal.objects.get()
    for model, pk, search in (
        ("optimization", doc["id"], "alice_001"),
        ("rebalanceproposal", proposal.pk, "alice"),
    ):
        listing = admin_http.get(f"/admin/portfolio/{model}/", {"q": search})
        assert (
            listing.status_code == 200
            and f"/admin/portfolio/{model}/{pk}/change/" in listing.content.decode()
        )
        assert admin_http.get(f"/admin/portfolio/{model}/?status__exact=proposed").status_code == 200
        view = admin_http.get(f"/admin/portfolio/{model}/{pk}/change/")
        assert view.status_code == 200 and b'name="_save"' not in view.content  # shown, not editable
        assert admin_http.get(f"/admin/portfolio/{model}/add/").status_code == 403
        assert admin_http.post(f"/admin/portfolio/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
    # a change posted anyway is refused and nothing moves
    resp = admin_http.post(f"/admin/portfolio/optimization/{doc['id']}/change/", {"method": "hrp"})
    assert resp.status_code == 403
    assert Optimization.objects.get(pk=doc["id"]).method == "min_variance"
