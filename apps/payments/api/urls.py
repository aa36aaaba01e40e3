from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("payments/orders", views.PaymentOrderViewSet, basename="payment-order")

urlpatterns = router.urls + [
    path("payments/razorpay/verify/", views.RazorpayVerifyView.as_view(),
         name="payments-razorpay-verify"),
    path("payments/webhooks/razorpay/", views.RazorpayWebhookView.as_view(),
         name="payments-webhook-razorpay"),
    path("payments/webhooks/stripe/", views.StripeWebhookView.as_view(),
         name="payments-webhook-stripe"),
]  # fmt: skip
