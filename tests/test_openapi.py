"""schemas/openapi.json documents exactly the /api/v1 routes of the routing table, and every
schema it points at exists and is a valid JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from feedserver.app import create_app
from feedserver.config import Config

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
METHODS = {"get", "put", "post", "patch", "delete"}


def _documented() -> set[tuple[str, str]]:
    doc = json.loads((SCHEMAS / "openapi.json").read_text())
    assert doc["openapi"].startswith("3.1")
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m in METHODS}


def _routed() -> set[tuple[str, str]]:
    app = create_app(Config())
    found = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/v1") and route.method != "HEAD":
            found.add((route.method, path))
    return found


def test_every_api_route_is_documented_and_nothing_else() -> None:
    routed, documented = _routed(), _documented()
    assert routed - documented == set(), "routes missing from schemas/openapi.json"
    assert documented - routed == set(), "schemas/openapi.json documents routes that do not exist"


def test_every_referenced_schema_is_valid() -> None:
    text = (SCHEMAS / "openapi.json").read_text()
    refs = {part.split('"')[0] for part in text.split('"$ref": "')[1:]}
    for ref in refs:
        if ref.startswith("#"):
            continue
        schema = json.loads((SCHEMAS / ref).read_text())
        Draft202012Validator.check_schema(schema)
    for path in (SCHEMAS / "api").glob("*.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_every_answer_and_parameter_is_described() -> None:
    """Each operation names its success statuses with a body schema (204 has none), its error
    statuses as problems, and every parameter with a constraint a client can check."""
    doc = json.loads((SCHEMAS / "openapi.json").read_text())
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    shared = doc["components"]["parameters"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            codes = set(op["responses"]) - {"default"}
            assert "default" in op["responses"], where
            successes = {c for c in codes if c.startswith("2")}
            assert successes, where
            for code in successes:
                answer = op["responses"][code]
                assert ("content" in answer) == (code != "204"), (where, code)
            for code in codes - successes:
                assert op["responses"][code]["$ref"].startswith("#/components/responses/"), where
            if op.get("security"):
                assert "401" in codes, where
            if "requestBody" in op:
                assert {"413", "415", "422"} <= codes, where
            for param in op.get("parameters", []):
                param = shared[param["$ref"].rsplit("/", 1)[1]] if "$ref" in param else param
                schema = param["schema"].get("items", param["schema"])
                constrained = {"pattern", "enum", "minimum", "minLength"} & set(schema)
                assert constrained or param["name"] == "q", (where, param["name"])
            names = {p[1:-1] for p in path.split("/") if p.startswith("{")}
            declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "path"}
            assert names == declared, where
