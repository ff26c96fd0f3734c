"""Writes for segments: the recompute (stages, RFM, value model, custom segments) and the
outbound webhooks that tell other tools what happened."""

from .recompute import (
    customer_stage_refresh,
    customers_stage_refresh,
    segment_membership_refresh,
    segments_recompute,
)

__all__ = [
    "customer_stage_refresh",
    "customers_stage_refresh",
    "segment_membership_refresh",
    "segments_recompute",
]
