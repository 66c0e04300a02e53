"""Operator commands that act as a user (``manage submit``, ``manage task``).

Plain Python over the same services the UI calls, with the same access checks.
"""
