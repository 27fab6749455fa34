"""The registry of features that can be switched per cohort or per partner.

Keys of AI operations are `op.<operation name>`, so render submission can ask
`feature_enabled(organization, operation_feature_key("shot_match"))`.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATIONS = ("shot_match", "key_composite", "character_consistency", "resize", "deflicker")


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    default: bool


def operation_feature_key(operation: str) -> str:
    return f"op.{operation}"


FEATURES: dict[str, Feature] = {
    feature.key: feature
    for feature in (
        Feature(operation_feature_key("shot_match"), "AI: shot color matching", True),
        Feature(operation_feature_key("key_composite"), "AI: keying and compositing", True),
        Feature(operation_feature_key("character_consistency"), "AI: character consistency", False),
        Feature(operation_feature_key("resize"), "AI: high-quality resize", True),
        Feature(operation_feature_key("deflicker"), "AI: deflicker", True),
        Feature("review.live", "Live review sessions", True),
        Feature("assist.llm", "Assistant: external LLM providers", False),
        Feature("interchange.export", "OTIO / EDL / FCP XML export", True),
    )
}
