from django.urls import path

from ..selectors import REPORTS
from .views import report_view

urlpatterns = [
    path(f"reports/{name}/", report_view(name), name=f"report-{name}") for name in REPORTS
]
