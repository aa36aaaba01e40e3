"""The product's URLs plus the bare DRF view bench/hotpaths.py measures against."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from schools24.urls import urlpatterns as product_urlpatterns


class Hello(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def get(self, request):
        return Response({"hello": "world"})


urlpatterns = [path("bench/hello/", Hello.as_view()), *product_urlpatterns]
