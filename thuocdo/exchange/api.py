"""The exchange format over the API: its JSON Schema, for clients that build documents, and
the export (the whole installation, or a unit's part: `selectors.exchange_document`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from thuocdo.core.api import ScopedAPIMixin, error_responses

from . import selectors


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


class ExchangeExportView(ScopedAPIMixin, APIView):
    """An exchange document: the whole installation, or one unit's part (`?unit=CODE`, with
    `&period=YYYY-MM` for the tasks of a month)."""

    @extend_schema(
        operation_id="exchange_export_retrieve",
        summary="Export an exchange document (the installation, or a unit's part)",
        description="What `thuocdo export` writes, as JSON. Without `unit`: the whole "
                    "installation, for administrators only. With `unit`: the unit, the units "
                    "below it, their officials, the tasks they lead with every event, and "
                    "the records outside the unit that the tasks name (docs/exchange-format.md, "
                    "\"Scoped export\"), for whoever reads the unit whole (administrators, its "
                    "leaders, the board or an inspector granted it or a unit above); anyone "
                    "else gets 403 with the reason. With `period` as well: only the tasks "
                    "open during that month or due in it.",
        parameters=[
            OpenApiParameter("unit", str, OpenApiParameter.QUERY,
                             description="Unit code: the unit and the units below it."),
            OpenApiParameter("period", str, OpenApiParameter.QUERY,
                             description="Month, YYYY-MM (with unit): the tasks open during "
                                         "it or due in it."),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT,
                                 description="An exchange document (thuocdo-exchange/1)."),
            **error_responses(400, 403),
        },
        tags=["exchange"],
    )
    def get(self, request):
        return Response(selectors.exchange_document(
            scope=self.scope, unit=request.query_params.get("unit"),
            period=request.query_params.get("period")))
