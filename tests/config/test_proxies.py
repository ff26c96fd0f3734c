"""Behind proxies, the client address comes from X-Forwarded-For, and only as far as the
proxies Flywheel was told to trust: throttles, login protection and the referral checks see
each shopper, not the proxy."""

import os
import subprocess
import sys

import pytest

from config.middleware import client_address
from referrals.models import Referral
from referrals.services import referral_code_get_or_create
from tests.factories import CustomerFactory, ReferralProgramFactory

PROXY = "10.0.0.5"


def address(settings, trusted: str, forwarded: str, peer: str = PROXY) -> str:
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": peer}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(meta)[0]


@pytest.mark.parametrize(("trusted", "forwarded", "peer", "client"), [
    # Nothing trusted: the header is anyone's to write, so it is ignored.
    ("", "198.51.100.7", PROXY, PROXY),
    # One proxy: the address it appended.
    ("1", "198.51.100.7", PROXY, "198.51.100.7"),
    ("1", "6.6.6.6, 198.51.100.7", PROXY, "198.51.100.7"),  # a forged first hop is ignored
    # Two proxies (a CDN, then the load balancer): the address the outer one saw.
    ("2", "6.6.6.6, 198.51.100.7, 172.16.0.9", PROXY, "198.51.100.7"),
    ("2", "198.51.100.7", PROXY, PROXY),  # fewer hops than proxies: not through them
    # Networks: walk right to left past the trusted ones.
    ("10.0.0.0/8,172.16.0.0/12", "6.6.6.6, 198.51.100.7, 172.16.0.9", PROXY, "198.51.100.7"),
    ("10.0.0.0/8", "198.51.100.7", "203.0.113.50", "203.0.113.50"),  # peer isn't a proxy
    ("10.0.0.0/8", "10.1.1.1, 10.2.2.2", PROXY, "10.1.1.1"),  # all proxies: the farthest
    ("10.0.0.0/8", "not-an-ip, 10.2.2.2", PROXY, "10.2.2.2"),  # garbage stops the walk
    ("1", "[2001:db8::7]:443", PROXY, "2001:db8::7"),
    ("1", "198.51.100.7:5555", PROXY, "198.51.100.7"),
    ("1", "garbage", PROXY, PROXY),
])
def test_the_client_address_behind_trusted_proxies(settings, trusted, forwarded, peer, client):
    assert address(settings, trusted, forwarded, peer) == client


@pytest.mark.django_db
def test_twelve_shoppers_behind_one_proxy_are_twelve_clients_to_the_referral_limits(
    settings, client
):
    """On main all twelve had the proxy's address: the per-address sign-up limit let ten
    through and refused the rest."""
    settings.TRUSTED_PROXIES = "1"
    ReferralProgramFactory()
    code = referral_code_get_or_create(customer=CustomerFactory())

    answers = [client.post(f"/r/{code.code}/", {"email": f"friend{i}@example.com"},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
               for i in range(12)]

    assert [a.status_code for a in answers] == [200] * 12
    assert Referral.objects.values("ip_hash").distinct().count() == 12


def test_https_is_taken_from_the_proxy_only_when_proxies_are_trusted():
    def header(env: dict) -> str:
        code = ("import django; django.setup(); from django.conf import settings; "
                "print(settings.SECURE_PROXY_SSL_HEADER)")
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        ).stdout.strip()

    assert header({"TRUSTED_PROXIES": ""}) == "None"
    assert header({"TRUSTED_PROXIES": "1"}) == "('HTTP_X_FORWARDED_PROTO', 'https')"
