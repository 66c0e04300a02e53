"""Watching a running clawweb: metrics, readiness checks, structured logs."""
