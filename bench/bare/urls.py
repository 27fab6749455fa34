"""One route: /bare/shots/<organization id>/<shot id>/."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

SHOT_SQL = (
    "SELECT s.id, s.project_id, s.sequence_id, q.code, s.code, s.description, s.cut_in,"
    " s.cut_out, s.created_at FROM production_shot s"
    " JOIN production_sequence q ON q.id = s.sequence_id WHERE s.id = %s"
)


def bare_shot(request: HttpRequest, organization_id: int, shot_id: int) -> HttpResponse:
    # The application role is under row-level security like Backlot itself: the same
    # transaction-local setting, then the row.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('backlot.organization_id', %s, true)", [str(organization_id)]
        )
        cursor.execute(SHOT_SQL, [shot_id])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    keys = ("id", "project", "sequence", "sequence_code", "code", "description", "cut_in")
    data = dict(zip(keys, row[:7], strict=True))
    data.update(cut_out=row[7], frame_count=row[7] - row[6] + 1, created_at=row[8].isoformat())
    return JsonResponse(data)


urlpatterns = [path("bare/shots/<int:organization_id>/<int:shot_id>/", bare_shot)]
