"""Every router module of ``rest/app.py`` is in the API, or the app does not build: a
module that is missing (renamed, deleted) must not quietly take its routes out of the
API and out of the route-access tests with them."""

from __future__ import annotations

import importlib

import pytest

from clawweb.rest import app as rest_app


def test_a_missing_router_module_stops_the_build(monkeypatch):
    monkeypatch.setattr(rest_app, "ROUTER_MODULES",
                        (*rest_app.ROUTER_MODULES, "clawweb.rest.no_such_router"))
    with pytest.raises(ModuleNotFoundError):
        rest_app.build_app()


def test_every_router_module_s_operations_are_in_the_document():
    doc = rest_app.build_app().openapi()
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    for name in rest_app.ROUTER_MODULES:
        router = importlib.import_module(name).router
        ops = {(route.path, method.lower()) for route in router.routes
               for method in route.methods}
        assert ops and ops <= documented, (name, ops - documented)
