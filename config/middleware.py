"""Middleware every request passes first: the real client address behind trusted proxies, and
a request id on the response and on every log line written while the request is served; the
Content-Security-Policy header, built once; and Django's messages for pages only."""

import contextvars
import functools
import ipaddress
import re
import uuid

import csp.middleware
from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages import middleware as messages_middleware
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, setting_changed
from django.dispatch import receiver

from config.views import API_PREFIX

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The id of the request being served, for the log filter (a context variable, so threads and
# async tasks each see their own).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_FORM = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@functools.lru_cache(maxsize=8)
def trusted_proxies(setting: str) -> int | tuple[Network, ...]:
    """TRUSTED_PROXIES parsed: a count of proxies in front of Flywheel, or their networks."""
    setting = setting.strip()
    if not setting:
        return 0
    if setting.isdigit():
        return int(setting)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in setting.split(",") if part.strip())
    except ValueError as error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES is a number of proxies or comma-separated networks: {error}"
        ) from None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(meta: dict) -> tuple[str, bool]:
    """(the client's address, whether the request came through a trusted proxy).

    Without TRUSTED_PROXIES the peer (REMOTE_ADDR) is the client and X-Forwarded-For is ignored:
    anyone can write that header. With a count N, the client is the address the outermost of
    the N proxies saw: the Nth from the right of X-Forwarded-For (each proxy appends the address
    it received from). With networks, addresses inside them are proxies: walking from the peer
    leftwards through X-Forwarded-For, the first address outside them is the client."""
    peer = meta.get("REMOTE_ADDR", "")
    proxies = trusted_proxies(settings.TRUSTED_PROXIES)
    if not proxies:
        return peer, False
    chain = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if isinstance(proxies, int):
        if len(chain) < proxies:
            return peer, False
        candidate = _address(chain[-proxies])
        return (str(candidate), True) if candidate else (peer, False)
    nearest, via_proxy = peer, False
    for hop in reversed([*chain, peer]):
        address = _address(hop)
        if address is None:
            return nearest, via_proxy  # garbage a trusted proxy passed on: stop at that proxy
        if not any(address in network for network in proxies):
            return str(address), via_proxy
        nearest, via_proxy = str(address), True
    return nearest, via_proxy


def ipv6_prefix(address: str) -> str:
    """An IPv6 address stands for its /64 (what one subscriber gets); IPv4 for itself."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed else address


class ClientAddressMiddleware:
    """Put the real client address in REMOTE_ADDR, which throttles, login protection, the
    referral checks and click limits read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address, via_proxy = client_address(request.META)
        request.META["REMOTE_ADDR"] = address
        request.via_trusted_proxy = via_proxy
        return self.get_response(request)


class RequestIdMiddleware:
    """Give each request an id: the X-Request-ID a trusted proxy sent (letters, digits and
    `._:-`, up to 128), else a new one. It is returned in the response's X-Request-ID and put
    on every log line written meanwhile (RequestIdFilter)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        trusted = getattr(request, "via_trusted_proxy", False) and REQUEST_ID_FORM.fullmatch(sent)
        request.id = sent if trusted else uuid.uuid4().hex
        # Kept until the request is finished: Django logs 4xx and 5xx answers after the
        # middleware has returned.
        request_id_var.set(request.id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.id
        return response


@receiver(request_finished)
def _request_id_forget(**kwargs):
    request_id_var.set("-")


class RequestIdFilter:
    """Logging filter: every record gets `request_id` ("-" outside a request)."""

    def filter(self, record) -> bool:
        record.request_id = request_id_var.get()
        return True


def request_client_address(request) -> str:
    """The client address for django-axes (set by ClientAddressMiddleware)."""
    return request.META.get("REMOTE_ADDR", "")


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's, with the site's policy built once per process instead of for every
    response (twice, with the report-only one): that was about a tenth of an API request's
    instructions. A response with a policy of its own (the storefront widget's page updates
    it), a request that used a nonce, DEBUG, or settings with a report-only policy or excluded
    prefixes go django-csp's own way."""

    _OWN = tuple(f"_csp_{part}{report_only}" for part in ("exempt", "config", "update", "replace")
                 for report_only in ("", "_ro"))

    def process_response(self, request, response):
        policy = _site_policy()
        if (policy is None or settings.DEBUG or getattr(request, "_csp_nonce", None) is not None
                or CSP_HEADER in response or any(hasattr(response, name) for name in self._OWN)):
            return super().process_response(request, response)
        response[CSP_HEADER] = policy
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _site_policy() -> str | None:
    """The header every response without a policy of its own gets, when that is all there is
    to it (no report-only policy, no excluded prefixes); else None."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    if policy.get("EXCLUDE_URL_PREFIXES") or getattr(
            settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
        return None
    return build_policy() or None


@receiver(setting_changed)
def _site_policy_forget(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policy.cache_clear()


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, for pages only: the API shows no messages, so its requests skip building the
    message storage (a cookie and a session backend, a signer): about 3 % of an order
    event's instructions in the web process."""

    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)
