"""Receive stage: OTLP/HTTP and OTLP/gRPC receivers, body limits, decoding, auth."""
