from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from apps.core.errors import ValidationFailed


class StandardPagination(PageNumberPagination):
    """Pages of 50 by default, at most 1000. A `page_size` that is not a whole number in
    that range is refused with 400 (DRF would silently fall back to the default, so a
    client asking for 5000 rows would get 50 and think it had them all)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationFailed(
                f"page_size must be a whole number from 1 to {self.max_page_size}.",
                field="page_size",
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters
