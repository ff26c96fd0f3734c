from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Hit


class BaselineApi(APIView):
    """Same stack and API-key auth as the order endpoint: insert one row, update one."""

    def post(self, request):
        hit = Hit.objects.create(label=str(request.data.get("id", ""))[:64])
        Hit.objects.filter(pk=hit.pk).update(handled_at=timezone.now())
        return Response({"status": "accepted", "id": hit.pk}, status=status.HTTP_201_CREATED)
