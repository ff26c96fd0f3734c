"""The language a signed-in shopper chose, on any device: LocaleMiddleware reads the cookie,
then Accept-Language; a shopper without the cookie whose profile has a language gets that
one instead of the browser's guess. A request without a session cookie (every shop system's
API call) has nobody signed in, so its user is not looked up."""

from django.conf import settings
from django.utils import translation

from kernel.languages import language_offered
from kernel.shoppers import signed_in_customer


class CustomerLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookies = request.COOKIES
        if (settings.LANGUAGE_COOKIE_NAME not in cookies
                and settings.SESSION_COOKIE_NAME in cookies
                and getattr(request, "user", None) is not None
                and request.user.is_authenticated):
            customer = signed_in_customer(request)
            language = customer.language if customer is not None else ""
            if language_offered(language):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
