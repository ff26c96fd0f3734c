from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # docs work under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("customers.urls")),
    path("api/v1/", include("loyalty.urls")),
    path("api/v1/", include("quizzes.urls")),
    path("", include("customers.page_urls")),
    path("", include("quizzes.page_urls")),
    path("api/v1/", include("referrals.urls")),
    path("", include("referrals.page_urls")),
    # NPS surveys (referrals/nps)
    path("api/v1/", include("referrals.nps.urls")),
    path("", include("referrals.nps.page_urls")),
    path("", include("loyalty.page_urls")),
    path("api/v1/", include("storefront.urls")),
    path("", include("storefront.page_urls")),
]
if settings.SERVE_MEDIA and not settings.MEDIA_URL.startswith(("http://", "https://", "//")):
    urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", views.media,
                            name="media"))

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.not_found
handler500 = views.server_error
