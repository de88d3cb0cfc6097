"""REST endpoints of sharing: agreements (read) and usage recording for the exchange system."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from . import selectors, services
from .choices import UsageMode, UsageOutcome
from .models import ShareAgreement, UsageRecord


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class AgreementItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    resource = serializers.CharField(source="resource.catalogue_code")


class AgreementSerializer(serializers.ModelSerializer):
    requester = DepartmentRefSerializer()
    provider = DepartmentRefSerializer()
    items = AgreementItemSerializer(many=True)

    class Meta:
        model = ShareAgreement
        fields = [
            "id",
            "number",
            "requester",
            "provider",
            "status",
            "usage_mode",
            "valid_from",
            "valid_to",
            "purpose",
            "legal_basis",
            "items",
            "decision_due",
        ]


class UsageRecordSerializer(serializers.ModelSerializer):
    agreement = serializers.SlugRelatedField(slug_field="number", queryset=ShareAgreement.objects.none())
    items = serializers.ListField(
        source="item_codes",
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        help_text=_(
            "Codes of the data items the use touched; write “catalogue code/item code” where two resources "
            "of the agreement share an item code."
        ),
    )
    mode = serializers.ChoiceField(choices=UsageMode.choices)
    used_at = serializers.DateTimeField(required=False)

    class Meta:
        model = UsageRecord
        fields = [
            "id",
            "agreement",
            "used_at",
            "mode",
            "items",
            "record_count",
            "purpose_reference",
            "end_user",
            "outcome",
            "rejection_reason",
        ]
        read_only_fields = ["id", "outcome", "rejection_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # An agreement the caller may not see is answered like one that does not exist.
            self.fields["agreement"].queryset = selectors.agreements_shown_to(request.user)


class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    """Agreements of the caller's department (as requester or provider); all of them for the bureau."""

    serializer_class = AgreementSerializer

    def get_queryset(self):
        queryset = selectors.agreements_shown_to(self.request.user)
        number = self.request.query_params.get("number")
        return queryset.filter(number=number) if number else queryset


class UsageRecordViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Uses of data under agreements. POST records one use; a use outside the agreement answers 422
    with the reason, and is recorded as refused all the same."""

    serializer_class = UsageRecordSerializer

    def get_queryset(self):
        queryset = selectors.usage_visible_to(self.request.user)
        number = self.request.query_params.get("agreement")
        return queryset.filter(agreement__number=number) if number else queryset

    @extend_schema(
        responses={
            201: UsageRecordSerializer,
            422: OpenApiResponse(UsageRecordSerializer, description="Refused: outside the agreement (recorded)."),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = services.usage_record(
            agreement=data["agreement"],
            actor=request.user,
            mode=data["mode"],
            item_codes=data["item_codes"],
            record_count=data.get("record_count", 0),
            purpose_reference=data.get("purpose_reference", ""),
            end_user=data.get("end_user", ""),
            used_at=data.get("used_at"),
        )
        accepted = record.outcome == UsageOutcome.ACCEPTED
        return Response(
            self.get_serializer(record).data,
            status=status.HTTP_201_CREATED if accepted else status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
