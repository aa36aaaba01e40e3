from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("fees/heads", views.FeeHeadViewSet, basename="fee-head")
router.register("fees/structures", views.FeeStructureViewSet, basename="fee-structure")
router.register("fees/concessions", views.ConcessionViewSet, basename="concession")
router.register("fees/invoices", views.InvoiceViewSet, basename="invoice")
router.register("fees/payments", views.PaymentViewSet, basename="payment")
router.register("fees/refunds", views.RefundViewSet, basename="refund")
# The reports (ledger, family dues, defaulters) are not a collection: not listed at /api/v1/.
reports = DefaultRouter(trailing_slash=True)
reports.include_root_view = False
reports.register("fees", views.FeeReportViewSet, basename="fee-report")

urlpatterns = router.urls + reports.urls
