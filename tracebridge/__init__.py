"""tracebridge: client-to-backend trace correlation for mobile apps.

Pipeline stages, one package each: ``collector`` (receive OTLP), ``ingest`` (validate,
make durable, batch), ``store`` (ClickHouse reader/writer), ``query`` (reconstruct
traces and sessions), ``dashboards`` (pages and charts).
"""

__version__ = "0.1.0"
