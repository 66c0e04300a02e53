"""Placeholder: in-container side of the egress bridge (see worker/egress)."""
