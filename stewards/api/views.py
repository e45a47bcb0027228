"""Steward registry API: sign-up, lifecycle, sheet import, pairs, programme settings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from geo.api.params import MAX_ID, query_int
from geo.models import Community, StreetOffice
from geo.tenancy import STAFF_ROLES, TenantScopedViewSet, offices_for, require_write
from jobs.queue import enqueue
from jobs.status import job_state
from stewards import registry, sheet_store, tasks
from stewards.api.serializers import (
    ImportSerializer,
    PairSerializer,
    ProgrammeSettingsSerializer,
    SheetImportSerializer,
    StewardSerializer,
    TransitionSerializer,
)
from stewards.models import Pair, ProgrammeSettings, SheetImport, Steward


def _not_found_if_foreign(request, model, ids: list) -> None:
    """404 (not 400) when a body references another street office's rows: do not confirm they exist."""
    wanted = {int(i) for i in ids if str(i).isascii() and str(i).isdigit() and int(i) <= MAX_ID}
    if (
        wanted
        and model.objects.filter(pk__in=wanted)
        .exclude(street_office_id__in=offices_for(request.user))
        .exists()
    ):
        raise NotFound("找不到指定的对象。")


def _drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError({"detail": exc.messages})


class StewardViewSet(TenantScopedViewSet, viewsets.ModelViewSet):
    """小巷管家. Filter with ?community=&status=. ID numbers are accepted on create and never returned."""

    serializer_class = StewardSerializer
    # Stewards themselves do not browse each other's sign-up forms.
    tenant_read_roles = STAFF_ROLES
    queryset = Steward.objects.select_related("community").prefetch_related(
        "status_changes", "memberships"
    )
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        if (community := query_int(self.request.query_params, "community")) is not None:
            qs = qs.filter(community=community)
        if value := self.request.query_params.get("status"):
            qs = qs.filter(status=value)
        return qs

    def create(self, request, *args, **kwargs):
        _not_found_if_foreign(request, Community, [request.data.get("community")])
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        require_write(self.request.user, serializer.validated_data["community"].street_office_id)
        serializer.save()

    def perform_update(self, serializer) -> None:
        require_write(self.request.user, serializer.instance.street_office_id)
        community = serializer.validated_data.get("community")
        if (
            community is not None
            and community.street_office_id != serializer.instance.street_office_id
        ):
            raise serializers.ValidationError({"community": ["只能改到本街道的社区。"]})
        serializer.save()

    @extend_schema(request=TransitionSerializer, responses=StewardSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move along applied → reviewed → appointed → active → resigned / dismissed."""
        steward = self.get_object()
        require_write(request.user, steward.street_office_id)
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            registry.change_status(
                steward, data.validated_data["to_status"], user=request.user,
                on=data.validated_data.get("effective_on"), note=data.validated_data.get("note", ""),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=steward.pk)).data)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        # 202: queued (follow status_url); 200: this sheet was posted before, its import answered.
        responses={200: SheetImportSerializer, 202: SheetImportSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_sheet(self, request):
        """Check a sign-up sheet (size, type, heading row: 400 with the reason), store it and queue
        its import (202: follow status_url; the result lists created rows and refused rows with
        reasons). The same sheet posted again is recognised and its earlier import answered (200)."""
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        office_id = data.validated_data["street_office"]
        if office_id not in offices_for(request.user):
            get_object_or_404(StreetOffice.objects.none())
        require_write(request.user, office_id)
        upload = data.validated_data["file"]
        if upload.size > settings.ALLEY_SHEET_MAX_BYTES:  # refused before it is even read
            raise serializers.ValidationError({"file": [_("报名表文件太大，请分成几个文件导入。")]})
        body = upload.read()
        try:
            sheet_store.check(body, upload.name)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from exc
        digest = sheet_store.checksum(body)
        if (earlier := _earlier_import(office_id, digest)) is not None:
            return Response(earlier, status=status.HTTP_200_OK)
        stored = sheet_store.store(body, upload.name)
        try:
            with transaction.atomic():
                sheet = SheetImport.objects.create(
                    street_office_id=office_id, uploaded_by=request.user,
                    filename=upload.name[:255], checksum=digest, stored_as=stored,
                )  # fmt: skip
                sheet.job_id = enqueue(
                    tasks.import_sheet, requested_by=request.user, sheet=sheet.pk
                )
                sheet.save(update_fields=["job_id"])
        except BaseException:
            sheet_store.remove(stored)
            raise
        return Response(_sheet_answer(sheet, {"state": "queued", "result": None}), status=202)


def _sheet_answer(sheet: SheetImport, state: dict, repeat: bool = False) -> dict:
    return {
        "import": sheet.pk,
        "job": sheet.job_id,
        "state": state["state"],
        "status_url": reverse("job-status", args=[sheet.job_id]),
        "repeat": repeat,
        "result": state["result"],
    }


def _earlier_import(office_id: int, digest: str) -> dict | None:
    """The answer of this office's import of the same file, unless it failed or is forgotten."""
    for sheet in SheetImport.objects.filter(street_office_id=office_id, checksum=digest).order_by(
        "-id"
    )[:1]:
        state = job_state(sheet.job_id) if sheet.job_id else None
        if state is not None and state["state"] != "failed":
            return _sheet_answer(sheet, state, repeat=True)
    return None


class PairViewSet(TenantScopedViewSet, viewsets.ModelViewSet):
    """巡查组. Create with {name, stewards: [id, id], formed_on}; dissolving is grids.api.pair_views
    (it ends the pair's claims too)."""

    serializer_class = PairSerializer
    queryset = Pair.objects.prefetch_related("members__steward")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        if (community := query_int(self.request.query_params, "community")) is not None:
            qs = qs.filter(community=community)
        if self.request.query_params.get("current") in ("1", "true"):
            qs = qs.filter(dissolved_on__isnull=True)
        return qs

    def create(self, request, *args, **kwargs):
        ids = request.data.get("stewards") or []
        if isinstance(ids, dict):
            ids = []
        _not_found_if_foreign(request, Steward, ids if isinstance(ids, list) else [ids])
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        stewards = serializer.validated_data["stewards"]
        if stewards:
            require_write(self.request.user, stewards[0].street_office_id)
        try:
            serializer.instance = registry.form_pair(
                stewards, name=serializer.validated_data["name"],
                formed_on=serializer.validated_data.get("formed_on"),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc

    def perform_update(self, serializer) -> None:
        require_write(self.request.user, serializer.instance.street_office_id)
        serializer.validated_data.pop("stewards", None)
        serializer.save()


class ProgrammeSettingsViewSet(
    TenantScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Per-street-office settings: pair size, phone display on boards, overlong threshold."""

    serializer_class = ProgrammeSettingsSerializer
    queryset = ProgrammeSettings.objects.all()
    http_method_names = ["get", "patch", "head", "options"]
    lookup_field = "street_office"
    lookup_value_regex = "[0-9]+"

    def get_object(self):
        office_id = int(self.kwargs["street_office"])
        if office_id not in offices_for(self.request.user):
            return get_object_or_404(ProgrammeSettings.objects.none())
        obj, _ = ProgrammeSettings.objects.get_or_create(street_office_id=office_id)
        self.check_object_permissions(self.request, obj)
        return obj
