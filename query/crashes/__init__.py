"""Crash reports: recognition (SQL at ingest, migration 0006), grouping, enrichment, version health.

Public entry points are in ``tracebridge.query.crashes.lookup``.
"""
