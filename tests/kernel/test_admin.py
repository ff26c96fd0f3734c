"""The admin toolkit as staff see it: yes/no filters both ways, the coloured statuses of
deliveries, and links from one row to another."""

import pytest

from customers.models import WebhookDelivery
from tests.factories import (
    CustomerFactory,
    NpsResponseFactory,
    OrderFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db


def listed(admin_client, path: str, **filters) -> list:
    return list(admin_client.get(path, filters).context["cl"].result_list)


def test_yes_no_filters_split_the_list_in_two(admin_client):
    with_login, without = CustomerFactory(user=UserFactory()), CustomerFactory()
    commented, silent = NpsResponseFactory(comment="Love it"), NpsResponseFactory(comment="")

    customers, answers = "/admin/customers/customer/", "/admin/referrals/npsresponse/"
    assert listed(admin_client, customers, has_account="yes") == [with_login]
    no_account = listed(admin_client, customers, has_account="no")
    assert without in no_account and with_login not in no_account
    assert listed(admin_client, answers, has_comment="yes") == [commented]
    assert listed(admin_client, answers, has_comment="no") == [silent]
    assert "Without a comment" in admin_client.get(answers).content.decode()


def test_each_delivery_status_has_its_colour_and_icon_and_links_its_order(admin_client):
    order = OrderFactory(name="#1001")
    for status in WebhookDelivery.Status:
        WebhookDeliveryFactory(status=status, order=order if status == "processed" else None)

    page = admin_client.get("/admin/customers/webhookdelivery/").content.decode()

    assert '<strong style="color: #166534">✔ Processed</strong>' in page
    assert '<strong style="color: #b91c1c">✘ Failed</strong>' in page
    assert '<strong style="color: #92400e">⏳ Received</strong>' in page
    assert '<strong style="color: #475569">– Ignored</strong>' in page
    assert f'<a href="/admin/customers/order/{order.pk}/change/">{order}</a>' in page


def test_a_page_hanging_off_a_list_leads_back_to_it(admin_client):
    customer = CustomerFactory()

    page = admin_client.post("/admin/customers/customer/", {
        "action": "erase_personal_data", "_selected_action": [customer.pk],
    }).content.decode()
    preview = admin_client.get("/admin/customers/segment/overview/").content.decode()

    assert '&rsaquo; <a href="/admin/customers/customer/">Customers</a>\n&rsaquo; Erase personal ' \
        'data?\n</div>' in page
    assert '<a href="/admin/customers/segment/">Segments</a>\n&rsaquo; Segments overview' \
        in preview
