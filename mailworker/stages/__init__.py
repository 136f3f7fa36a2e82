"""The ordered stages of the pipeline: decode → extract → classify → match → reading → validate → decide."""

from __future__ import annotations

from mailworker.pipeline import DecodeStage, Stage
from mailworker.stages.decide import (
    ClassifyStage,
    DecideStage,
    DecisionSettings,
    MatchStage,
    ReadingStage,
    RegistryView,
    ValidateStage,
)
from mailworker.stages.extract import ExtractStage


def build_stages(registry: RegistryView | None, settings: DecisionSettings | None = None) -> tuple[Stage, ...]:
    """Every stage, in order; without a registry nothing can be matched, so nothing is accepted."""
    settings = settings or DecisionSettings()
    stages: list[Stage] = [DecodeStage(), ExtractStage(), ClassifyStage()]
    if registry is not None:
        stages.append(MatchStage(registry))
    stages.append(ReadingStage())
    if registry is not None:
        stages.append(ValidateStage(registry, settings))
    stages.append(DecideStage(settings))
    return tuple(stages)
