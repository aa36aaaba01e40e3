"""The stores API under /api/v1/inventory/.

Roles: school admins and staff with the Store manager duty (by the inventory permissions the
duty holds) manage everything of their school: catalogue, vendors, purchase orders, movements,
balances, serial units, requests and reports. Teachers read the catalogue, ask for items and see
their own requests and what was issued to them; students see what was issued to them, parents
what was issued to their children. Other staff (an accountant) see nothing. What each caller
sees is `scope_queryset` with the rules of `apps.inventory.scopes`; writes go through
`apps.inventory.services`.
"""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import Role
from apps.core import csv_export
from apps.core.api.views import ScopedViewSetMixin, ServiceModelViewSet, crud_schema
from apps.core.services import refuse

from .. import selectors, services
from ..models import (
    Item,
    ItemCategory,
    ItemRequest,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    SerialUnit,
    StockBalance,
    StockMovement,
    Store,
    Vendor,
)
from . import serializers as s
from .filters import (
    BalanceFilter,
    ItemFilter,
    ItemRequestFilter,
    MovementFilter,
    PurchaseOrderFilter,
    SerialUnitFilter,
)

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF
STORE = {A, SF}
STORE_DOC = "Roles: school admin; staff with the Store manager duty."
CATALOGUE_DOC = STORE_DOC + " Teachers read it (active items and stores) to ask for items."
STORE_CRUD = {"list": STORE, "retrieve": STORE, "create": STORE, "partial_update": STORE,
              "destroy": STORE}  # fmt: skip
CATALOGUE_CRUD = {**STORE_CRUD, "list": STORE | {T}, "retrieve": STORE | {T}}
CONFLICT = {409: OpenApiResponse(description="`insufficient_stock`: the store has less than "
                                 "asked for (`fields.available`).")}  # fmt: skip
IN_USE = " Refused while movements or orders refer to it (deactivate instead)."


class CatalogueViewSet(ServiceModelViewSet):
    model = None

    def base_queryset(self):
        return self.model.objects.all()

    def create_object(self, data):
        return services.catalogue_create(model=self.model, school=self.request.user.school,
                                         actor=self.actor, data=data)  # fmt: skip

    def update_object(self, obj, data):
        return services.catalogue_update(obj=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.catalogue_delete(obj=obj, actor=self.actor)


@crud_schema(tag="inventory", output=s.ItemCategorySerializer,
             create_input=s.ItemCategoryInputSerializer,
             update_input=s.ItemCategoryUpdateSerializer, read=CATALOGUE_DOC, create=STORE_DOC,
             update=STORE_DOC, destroy=STORE_DOC + IN_USE)  # fmt: skip
class ItemCategoryViewSet(CatalogueViewSet):
    model = ItemCategory
    serializer_class = s.ItemCategorySerializer
    create_serializer_class = s.ItemCategoryInputSerializer
    update_serializer_class = s.ItemCategoryUpdateSerializer
    roles = CATALOGUE_CRUD
    permission_model = ItemCategory
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name"]


@crud_schema(tag="inventory", output=s.StoreSerializer, create_input=s.StoreInputSerializer,
             update_input=s.StoreUpdateSerializer, read=CATALOGUE_DOC, create=STORE_DOC,
             update=STORE_DOC, destroy=STORE_DOC + IN_USE)  # fmt: skip
class StoreViewSet(CatalogueViewSet):
    model = Store
    serializer_class = s.StoreSerializer
    create_serializer_class = s.StoreInputSerializer
    update_serializer_class = s.StoreUpdateSerializer
    roles = CATALOGUE_CRUD
    permission_model = Store
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]
    ordering = ["name"]
    filterset_fields = ["kind", "is_active"]


@crud_schema(tag="inventory", output=s.VendorSerializer, create_input=s.VendorInputSerializer,
             update_input=s.VendorUpdateSerializer, read=STORE_DOC,
             create=STORE_DOC + " The GSTIN (optional) is checked: format and check character.",
             update=STORE_DOC, destroy=STORE_DOC + IN_USE)  # fmt: skip
class VendorViewSet(CatalogueViewSet):
    model = Vendor
    serializer_class = s.VendorSerializer
    create_serializer_class = s.VendorInputSerializer
    update_serializer_class = s.VendorUpdateSerializer
    roles = STORE_CRUD
    permission_model = Vendor
    search_fields = ["name", "gstin", "contact_name"]
    ordering_fields = ["name"]
    ordering = ["name"]
    filterset_fields = ["is_active"]


@crud_schema(tag="inventory", output=s.ItemSerializer, create_input=s.ItemInputSerializer,
             update_input=s.ItemUpdateSerializer, read=CATALOGUE_DOC,
             create=STORE_DOC + " The SKU is unique in the school; only a returnable asset is "
             "serial-tracked.", update=STORE_DOC, destroy=STORE_DOC + IN_USE)  # fmt: skip
class ItemViewSet(CatalogueViewSet):
    model = Item
    serializer_class = s.ItemSerializer
    create_serializer_class = s.ItemInputSerializer
    update_serializer_class = s.ItemUpdateSerializer
    roles = CATALOGUE_CRUD
    permission_model = Item
    filterset_class = ItemFilter
    search_fields = ["name", "sku"]
    ordering_fields = ["name", "sku"]
    ordering = ["name"]

    def base_queryset(self):
        return selectors.item_queryset()


@crud_schema(tag="inventory", output=s.ReorderRuleSerializer,
             create_input=s.ReorderRuleInputSerializer,
             update_input=s.ReorderRuleUpdateSerializer,
             read=STORE_DOC + " One rule per item and store.", create=STORE_DOC,
             update=STORE_DOC, destroy=STORE_DOC)  # fmt: skip
class ReorderRuleViewSet(CatalogueViewSet):
    model = ReorderRule
    serializer_class = s.ReorderRuleSerializer
    create_serializer_class = s.ReorderRuleInputSerializer
    update_serializer_class = s.ReorderRuleUpdateSerializer
    roles = STORE_CRUD
    permission_model = ReorderRule
    filterset_fields = ["item", "store"]
    ordering = ["item__name", "store__name"]


def _idempotency_key(request, data: dict) -> str:
    return (data.pop("idempotency_key", "") or request.headers.get("Idempotency-Key", "")).strip()


def _posted_response(posted) -> Response:
    movement = selectors.movement_queryset().get(pk=posted.first.pk)
    code = status.HTTP_200_OK if posted.replayed else status.HTTP_201_CREATED
    headers = {"Idempotent-Replayed": "true"} if posted.replayed else {}
    return Response(s.MovementSerializer(movement).data, status=code, headers=headers)


@crud_schema(
    tag="inventory", output=s.PurchaseOrderSerializer,
    create_input=s.PurchaseOrderInputSerializer, update_input=s.PurchaseOrderUpdateSerializer,
    read=STORE_DOC, create=STORE_DOC + " A draft with its lines; numbered PO-<year>-<n>.",
    update=STORE_DOC + " Drafts only; `lines` replaces all lines.",
    destroy=STORE_DOC + " Drafts only.",
)  # fmt: skip
class PurchaseOrderViewSet(ServiceModelViewSet):
    serializer_class = s.PurchaseOrderSerializer
    create_serializer_class = s.PurchaseOrderInputSerializer
    update_serializer_class = s.PurchaseOrderUpdateSerializer
    roles = {**STORE_CRUD, "place": STORE, "cancel": STORE, "receive": STORE}
    permission_model = PurchaseOrder
    filterset_class = PurchaseOrderFilter
    search_fields = ["number", "vendor__name"]
    ordering_fields = ["created_at", "number", "expected_date"]
    ordering = ["-created_at"]

    def base_queryset(self):
        return selectors.purchase_order_queryset()

    def create_object(self, data):
        return services.po_create(school=self.request.user.school, actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.po_update(order=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.po_delete(order=obj, actor=self.actor)

    @extend_schema(request=None, responses=s.PurchaseOrderSerializer,
                   description=STORE_DOC + " Draft → ordered (needs a line).")  # fmt: skip
    @action(detail=True, methods=["post"])
    def place(self, request, pk=None):
        return self.respond(services.po_place(order=self.get_object(), actor=self.actor))

    @extend_schema(request=None, responses=s.PurchaseOrderSerializer,
                   description=STORE_DOC + " A draft or ordered PO with nothing received.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self.respond(services.po_cancel(order=self.get_object(), actor=self.actor))

    @extend_schema(
        request=s.ReceiveSerializer, responses={200: s.PurchaseOrderSerializer},
        description=STORE_DOC + " Receives lines of an ordered PO into its store: one receipt "
        "movement per line at the line's rate (unless `rate` is given), at most what is still to "
        "come; serial-tracked items list their new serial numbers. The PO becomes partly "
        "received or received. With an `idempotency_key` a retry receives nothing twice.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        order = self.get_object()
        data = self.validated(s.ReceiveSerializer)
        lines_by_id = {line.pk: line for line in PurchaseOrderLine.objects.filter(order=order)}
        entries = []
        for entry in data["lines"]:
            line = lines_by_id.get(entry["line"])
            if line is None:
                raise refuse(_("That line is not on this order."), code="line_mismatch",
                             fields=["lines"])  # fmt: skip
            entries.append({**entry, "line": line})
        services.po_receive(order=order, actor=self.actor, lines=entries,
                            idempotency_key=_idempotency_key(request, data))  # fmt: skip
        return self.respond(order)


MOVEMENT_DOC = (
    STORE_DOC + " Records a movement through the ledger; `kind` decides what else is needed:\n"
    "- `receipt`: `store`, `quantity` (or `serials` for a serial-tracked item), `rate`; or a "
    "`purchase_order_line` (its rate by default);\n"
    "- `issue`: `store`, `quantity`/`serials`, exactly one of `staff`, `student`, `section`, "
    "`location`; `due_date` for a returnable asset issued to a person;\n"
    "- `return`: the `issue` it settles, `quantity`/`serials` (at most what is out); "
    "`unit_state` under_repair for a returned unit that needs repair;\n"
    "- `transfer`: `store`, `to_store`, `quantity`/`serials` (two movements, the out leg is "
    "answered);\n"
    "- `adjustment`: `store`, `counted_quantity`, `reason`, `approved_by` (a school admin or "
    "store manager); not for serial-tracked items;\n"
    "- `write_off`: `write_off_reason`, `store` and `quantity`/`serials` from the shelf, or the "
    "`issue` it settles; an optional `charge_amount` to the `staff`/`student` responsible.\n"
    "Too little stock is a 409 `insufficient_stock`. The same `idempotency_key` (or "
    "Idempotency-Key header) writes one movement: a retry answers 200 with the first result and "
    "`Idempotent-Replayed: true`."
)
READ_MOVEMENTS = (
    STORE_DOC + " Teachers and students see what was issued to them (and its returns), parents "
    "what was issued to their children. Filters: item, store, kind, recipient, period."
)


@extend_schema_view(
    list=extend_schema(description=READ_MOVEMENTS),
    retrieve=extend_schema(description=READ_MOVEMENTS),
    create=extend_schema(request=s.MovementInputSerializer,
                         responses={201: s.MovementSerializer, 200: s.MovementSerializer,
                                    **CONFLICT}, description=MOVEMENT_DOC),
)  # fmt: skip
@extend_schema(tags=["inventory"])
class MovementViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.MovementSerializer
    roles = {"list": STORE | {T, ST, P}, "retrieve": STORE | {T, ST, P}, "create": STORE}
    permission_model = StockMovement
    filterset_class = MovementFilter
    search_fields = ["item__name", "item__sku", "location", "reason"]
    ordering_fields = ["occurred_at"]
    ordering = ["-occurred_at", "-created_at"]

    def base_queryset(self):
        return selectors.movement_queryset()

    def create(self, request, *args, **kwargs):
        data = s.MovementInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        key = _idempotency_key(request, values)
        kind, item, store = values.pop("kind"), values.pop("item"), values.pop("store", None)
        posted = services.movement_record(school=request.user.school, actor=request.user,
                                          kind=kind, item=item, store=store, data=values,
                                          idempotency_key=key)  # fmt: skip
        return _posted_response(posted)


LOW_PARAM = OpenApiParameter("low", OpenApiTypes.BOOL, required=False,
                             description="Only balances at or below their reorder level.")  # fmt: skip


@extend_schema_view(
    list=extend_schema(description=STORE_DOC + " Stock and value per item and store with the "
                       "average rate, reorder level, what is on order and `low` (at or below "
                       "the reorder level)."),
    retrieve=extend_schema(description=STORE_DOC),
)  # fmt: skip
@extend_schema(tags=["inventory"])
class BalanceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.BalanceSerializer
    roles = {"list": STORE, "retrieve": STORE}
    permission_model = StockBalance
    filterset_class = BalanceFilter
    search_fields = ["item__name", "item__sku"]
    ordering_fields = ["quantity", "value", "item__name"]
    ordering = ["item__name", "store__name"]

    def base_queryset(self):
        return selectors.balance_queryset()


@extend_schema_view(
    list=extend_schema(description=STORE_DOC + " Serial-numbered units with their state and "
                       "custodian."),
    retrieve=extend_schema(description=STORE_DOC),
)  # fmt: skip
@extend_schema(tags=["inventory"])
class SerialUnitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SerialUnitSerializer
    roles = {"list": STORE, "retrieve": STORE}
    permission_model = SerialUnit
    filterset_class = SerialUnitFilter
    search_fields = ["serial_number", "item__name"]
    ordering = ["item__name", "serial_number"]

    def base_queryset(self):
        return selectors.serial_unit_queryset()


REQUEST_READ = STORE_DOC + " Teachers see their own requests."


@extend_schema_view(
    list=extend_schema(description=REQUEST_READ),
    retrieve=extend_schema(description=REQUEST_READ),
    create=extend_schema(request=s.ItemRequestInputSerializer,
                         responses={201: s.ItemRequestSerializer},
                         description="Roles: teachers (and the store's managers) ask for an "
                         "active item."),
)  # fmt: skip
@extend_schema(tags=["inventory"])
class ItemRequestViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = s.ItemRequestSerializer
    roles = {"list": STORE | {T}, "retrieve": STORE | {T}, "create": STORE | {T},
             "approve": STORE, "reject": STORE, "cancel": STORE | {T}}  # fmt: skip
    permission_model = ItemRequest
    filterset_class = ItemRequestFilter
    ordering = ["-created_at"]

    def base_queryset(self):
        return selectors.request_queryset()

    def _respond(self, row, code=status.HTTP_200_OK):
        return Response(s.ItemRequestSerializer(self.base_queryset().get(pk=row.pk)).data,
                        status=code)  # fmt: skip

    def _input(self, cls):
        data = cls(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def create(self, request, *args, **kwargs):
        row = services.request_create(school=request.user.school, actor=request.user,
                                      **self._input(s.ItemRequestInputSerializer))  # fmt: skip
        return self._respond(row, status.HTTP_201_CREATED)

    @extend_schema(request=s.ApproveSerializer, responses={200: s.ItemRequestSerializer,
                                                           **CONFLICT},
                   description=STORE_DOC + " Issues the item (the requested quantity unless "
                   "another is given) from `store` to the teacher who asked; a returnable asset "
                   "needs a `due_date`.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        row = services.request_approve(request=self.get_object(), actor=request.user,
                                       **self._input(s.ApproveSerializer))  # fmt: skip
        return self._respond(row)

    @extend_schema(request=s.NoteSerializer, responses=s.ItemRequestSerializer,
                   description=STORE_DOC + " Turns a pending request down.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        row = services.request_reject(request=self.get_object(), actor=request.user,
                                      **self._input(s.NoteSerializer))  # fmt: skip
        return self._respond(row)

    @extend_schema(request=None, responses=s.ItemRequestSerializer,
                   description="Roles: the teacher who asked (anyone else: 403), while pending.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(services.request_cancel(request=self.get_object(),
                                                     actor=request.user))  # fmt: skip


PERIOD = [
    OpenApiParameter("occurred_after", OpenApiTypes.DATETIME, required=False),
    OpenApiParameter("occurred_before", OpenApiTypes.DATETIME, required=False),
    OpenApiParameter("store", OpenApiTypes.UUID, required=False),
]
STORE_PARAM = [OpenApiParameter("store", OpenApiTypes.UUID, required=False)]
CSV = {(200, "text/csv"): OpenApiTypes.STR}


def csv_response(name: str, header: list[str], rows) -> HttpResponse:
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@extend_schema(tags=["inventory"])
class InventoryReportViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Reports: stock on hand and value per store, movements for a period, issues per person or
    section, overdue returns (JSON and CSV)."""

    roles = {name: STORE for name in (
        "stock_on_hand", "stock_on_hand_export", "movements", "movements_export", "issues",
        "issues_export", "overdue", "overdue_export")}  # fmt: skip
    permission_model = StockBalance
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return StockBalance.objects.all()

    def _balances(self):
        from apps.core.access import scope_queryset

        qs = scope_queryset(selectors.balance_queryset(), self.request.user)
        store = self.request.query_params.get("store")
        return qs.filter(store_id=store) if store else qs

    def _movements(self):
        from apps.core.access import scope_queryset

        qs = scope_queryset(StockMovement.objects.all(), self.request.user)
        return MovementFilter(self.request.query_params, queryset=qs).qs

    def _overdue(self):
        from apps.core.access import scope_queryset

        qs = scope_queryset(StockMovement.objects.all(), self.request.user)
        today = services.school_today(self.request.user.school)
        return selectors.overdue_issues(qs, today).prefetch_related("unit_links__unit")

    @extend_schema(parameters=STORE_PARAM, responses=s.StockOnHandSerializer(many=True),
                   description=STORE_DOC + " Per store: items in stock, quantity, value and "
                   "how many balances are low.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="stock-on-hand")
    def stock_on_hand(self, request):
        rows = selectors.stock_on_hand(self._balances())
        return Response(s.StockOnHandSerializer(rows, many=True).data)

    @extend_schema(parameters=STORE_PARAM, responses=CSV,
                   description=STORE_DOC + " Every balance (item, store, quantity, value, "
                   "reorder level, low) as CSV.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="stock-on-hand/export")
    def stock_on_hand_export(self, request):
        rows = ([b.store.name, b.item.sku, b.item.name, b.quantity, b.value, b.average_rate,
                 b.reorder_level, b.low] for b in self._balances().order_by("store__name",
                                                                            "item__name"))  # fmt: skip
        return csv_response("stock-on-hand", ["store", "sku", "item", "quantity", "value",
                                              "average_rate", "reorder_level", "low"], rows)  # fmt: skip

    @extend_schema(parameters=PERIOD, responses=s.MovementSummarySerializer(many=True),
                   description=STORE_DOC + " Per item and kind: quantity and value moved in "
                   "the period.")  # fmt: skip
    @action(detail=False, methods=["get"])
    def movements(self, request):
        rows = selectors.movements_summary(self._movements())
        return Response(s.MovementSummarySerializer(rows, many=True).data)

    @extend_schema(parameters=PERIOD, responses=CSV,
                   description=STORE_DOC + " Every movement of the period as CSV.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="movements/export")
    def movements_export(self, request):
        qs = self._movements().select_related("item", "store", "staff", "student__user",
                                              "section__school_class").order_by("occurred_at")  # fmt: skip
        rows = ([m.occurred_at.isoformat(), m.kind, m.store.name, m.item.sku, m.item.name,
                 m.quantity, m.delta, m.rate, m.value_delta, m.quantity_after, m.value_after,
                 _recipient(m), m.reason] for m in qs.iterator())  # fmt: skip
        return csv_response("movements", ["when", "kind", "store", "sku", "item", "quantity",
                                          "delta", "rate", "value_delta", "quantity_after",
                                          "value_after", "to_from", "reason"], rows)  # fmt: skip

    @extend_schema(parameters=PERIOD, responses=s.IssueSummarySerializer(many=True),
                   description=STORE_DOC + " Issues of the period per staff member, student, "
                   "section or location and item.")  # fmt: skip
    @action(detail=False, methods=["get"])
    def issues(self, request):
        rows = selectors.issues_per_recipient(self._movements())
        return Response(s.IssueSummarySerializer(rows, many=True).data)

    @extend_schema(parameters=PERIOD, responses=CSV,
                   description=STORE_DOC + " The issues per recipient as CSV.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="issues/export")
    def issues_export(self, request):
        rows = ([r["staff__full_name"] or r["student__user__full_name"]
                 or " ".join(filter(None, [r["section__school_class__name"], r["section__name"]]))
                 or r["location"], r["item__name"], r["quantity"], -r["value"]]
                for r in selectors.issues_per_recipient(self._movements()))  # fmt: skip
        return csv_response("issues", ["to", "item", "quantity", "value"], rows)

    @extend_schema(responses=s.OverdueSerializer(many=True),
                   description=STORE_DOC + " Issues of returnable assets past their due date "
                   "with something still out, oldest first.")  # fmt: skip
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        return Response(s.OverdueSerializer(self._overdue(), many=True).data)

    @extend_schema(responses=CSV, description=STORE_DOC + " The overdue returns as CSV.")
    @action(detail=False, methods=["get"], url_path="overdue/export")
    def overdue_export(self, request):
        rows = ([m.due_date.isoformat(), m.item.name, m.outstanding, _recipient(m),
                 m.store.name, m.occurred_at.date().isoformat()] for m in self._overdue())  # fmt: skip
        return csv_response("overdue-returns", ["due", "item", "outstanding", "borrower", "store",
                                                "issued"], rows)  # fmt: skip


def _recipient(movement) -> str:
    if movement.staff_id:
        return movement.staff.full_name
    if movement.student_id:
        return movement.student.user.full_name
    if movement.section_id:
        return str(movement.section)
    return movement.location
