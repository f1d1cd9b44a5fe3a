"""``tracebridge demo``: a simulated mobile fleet and an instrumented backend, through the real
OpenTelemetry Python SDK, into tracebridge."""
