"""OPTIONS answers: what the route is and which methods it allows (the `Allow` header).

DRF's default also describes the POST/PUT serializer, which makes OPTIONS depend on each
view's serializer wiring and even look up the object (a 500 where a view has no
`serializer_class`, or names its object differently). The OpenAPI schema at /api/schema/
is the contract for request bodies, so OPTIONS stays small and the same for every route."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request


class RouteMetadata(BaseMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }
