from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Hit


def _insert_and_update(request) -> Response:
    hit = Hit.objects.create(label=str(request.data.get("id", ""))[:64])
    Hit.objects.filter(pk=hit.pk).update(handled_at=timezone.now())
    return Response({"status": "accepted", "id": hit.pk}, status=status.HTTP_201_CREATED)


class BaselineApi(APIView):
    """Inside Flywheel, with its middleware and API-key auth: insert one row, update one (the
    quiz benchmark's baseline)."""

    def post(self, request):
        return _insert_and_update(request)


class FloorApi(APIView):
    """The floor app's only view (tests/benchmarks/floor_settings.py): insert one row, update
    one, with nothing of Flywheel's around it."""

    authentication_classes = ()
    permission_classes = ()

    def post(self, request):
        return _insert_and_update(request)
