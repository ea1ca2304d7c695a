"""The exchange format over the API: its JSON Schema, for clients that build documents."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from thuocdo.core.api import error_responses


class ExchangeSchemaView(APIView):
    """The JSON Schema of the exchange format (docs/exchange-format.schema.json)."""

    @extend_schema(
        operation_id="exchange_schema_retrieve",
        summary="JSON Schema of the exchange format",
        description="The JSON Schema (draft 2020-12) that `thuocdo import` documents are "
                    "checked against; the same document as docs/exchange-format.schema.json. "
                    "Any logged-in user may read it.",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A JSON Schema document."),
            **error_responses(403),
        },
        tags=["exchange"],
    )
    def get(self, request):
        # Imported here: the schema module reads its file on first use, not at URL loading.
        from .schema import exchange_schema

        return Response(exchange_schema())
