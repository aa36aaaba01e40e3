from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("inventory/categories", views.ItemCategoryViewSet, basename="inventory-category")
router.register("inventory/stores", views.StoreViewSet, basename="inventory-store")
router.register("inventory/vendors", views.VendorViewSet, basename="inventory-vendor")
router.register("inventory/items", views.ItemViewSet, basename="inventory-item")
router.register("inventory/reorder-rules", views.ReorderRuleViewSet, basename="inventory-reorder")
router.register("inventory/purchase-orders", views.PurchaseOrderViewSet,
                basename="inventory-po")  # fmt: skip
router.register("inventory/movements", views.MovementViewSet, basename="inventory-movement")
router.register("inventory/balances", views.BalanceViewSet, basename="inventory-balance")
router.register("inventory/serial-units", views.SerialUnitViewSet, basename="inventory-unit")
router.register("inventory/requests", views.ItemRequestViewSet, basename="inventory-request")
# The reports are not a collection: not listed at /api/v1/.
reports = DefaultRouter(trailing_slash=True)
reports.include_root_view = False
reports.register("inventory/reports", views.InventoryReportViewSet, basename="inventory-report")

urlpatterns = router.urls + reports.urls
