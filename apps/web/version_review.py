"""What the version page needs for asynchronous review (templates/review/_version_notes.html):
the version's review state (status, latest decision with who and when, note counts), the
project's timecode base for labels, and whether the viewer may write notes and replies."""

from __future__ import annotations

from typing import Any

from apps.production.models import Version
from apps.review.selectors import project_rate
from apps.review.version_state import review_state_of_version
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can


def version_review_context(version: Version, membership: Membership) -> dict[str, Any]:
    info = project_rate(version.project)
    return {
        "review": review_state_of_version(version),
        "review_rate": {
            "num": info.rate.numerator,
            "den": info.rate.denominator,
            "start_frame": info.start_frame,
            "drop_frame": info.drop_frame,
        },
        "can_note": can(membership, Capability.REVIEW_NOTE),
        "can_reply": can(membership, Capability.REVIEW_CONTRIBUTE),
    }
