"""A Jaeger-compatible read API over tracebridge's store (for Grafana's Jaeger data source and the
Jaeger UI): ``sql`` holds the queries, ``model`` Jaeger's JSON model, ``convert`` the pure
OpenTelemetry-to-Jaeger mapping (the Collector's Jaeger translator's conventions), ``params`` the
search parameters, ``reader`` the store reads. The HTTP router is ``query/api/jaeger.py``."""
