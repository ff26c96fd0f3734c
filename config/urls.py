from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("customers.urls")),
    path("api/v1/", include("loyalty.urls")),
    path("api/v1/", include("quizzes.urls")),
    path("", include("customers.page_urls")),
    path("", include("quizzes.page_urls")),
    path("api/v1/", include("referrals.urls")),
    path("", include("referrals.page_urls")),
    # NPS surveys (referrals/nps)
    path("api/v1/", include("referrals.nps.api_urls")),
    path("", include("referrals.nps.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
