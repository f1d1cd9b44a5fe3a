"""Query stage: reconstruct traces and sessions, client-versus-server gaps, latency, crashes."""
