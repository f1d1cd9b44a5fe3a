"""Ingest stage: validate decoded OTLP, make it durable (write-ahead log), batch it into the store."""
