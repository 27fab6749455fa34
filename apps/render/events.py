"""Live events of one project for `/ws/projects/<id>/` (shared with apps.core.events)."""

from apps.core.events import project_group, send_project_event

__all__ = ["project_group", "send_project_event"]
