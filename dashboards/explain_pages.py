"""Data for issue 14's page parts: the flags dashboard and the latency dashboard's phase section.

Both read through the query API's own functions (the same numbers as ``/api/v1/flags``,
``/api/v1/latency?phases=true`` and ``/api/v1/screens``), with the page's validated filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tracebridge.dashboards.html import Markup
from tracebridge.dashboards.render_explain import flags_page, latency_phase_section
from tracebridge.query.filters import latency_filters_of
from tracebridge.query.flags import flags_document
from tracebridge.query.phase_latency import MAX_PHASE_REQUESTS, phase_sample, with_phases
from tracebridge.query.screens import SCREEN_PARAM_NAMES, screens_document
from tracebridge.query.service import LatencyGroup, StoreReader, latency_document


def build_flags(reader: StoreReader, raw: Mapping[str, str]) -> str:
    """/dashboards/flags (400 for unknown parameters, as the API)."""
    return flags_page(flags_document(reader, raw), raw)


def latency_extra(reader: StoreReader, raw: Mapping[str, str], groups: Sequence[LatencyGroup]) -> Markup:
    """Phase p99s per route and network type, edge-served share, and screens, for the latency page;
    ``groups``: the page's latency query's groups (its route and network-type rows)."""
    rows = {}
    bounds: list[str] = []
    sample = phase_sample(reader, latency_filters_of(raw))  # one sample, grouped twice
    for group_by in ("route", "network_type"):
        document = with_phases(latency_document(group_by, groups), sample)
        rows[group_by] = [row.model_dump() for row in document.rows]
    if sample.truncated:
        bounds.append(
            f"Phases and edge-served share: the newest {MAX_PHASE_REQUESTS:,} requests"
            " of this window (narrow since/until to cover it all)."
        )
    screen_params = {k: v for k, v in raw.items() if k in SCREEN_PARAM_NAMES}
    screens = screens_document(reader, screen_params)
    if screens["truncated"]:
        bounds.append(
            f"Screens: the newest {screens['screen_spans_limit']:,} screen visits of this window"
            " (narrow since/until to cover it all)."
        )
    return latency_phase_section(rows["route"], rows["network_type"], screens["screens"], bounds)
