"""Request bodies: size, media type, UTF-8, JSON, then the JSON Schema in schemas/api/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from feedserver import strictjson
from feedserver.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from feedserver.http.schema_patterns import StrictPatternValidator

# Inside the package: feedserver/schemas links to the top-level schemas/ in a checkout, and
# the wheel carries a copy (see package-data in pyproject.toml).
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "api"


class SchemaRegistry:
    """Compiled validators for the schemas in schemas/api/, each read once on first use
    (create_app does no I/O)."""

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        self._directory = directory
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if (found := self._validators.get(name)) is None:
            schema = json.loads((self._directory / f"{name}.json").read_text("utf-8"))
            Draft202012Validator.check_schema(schema)
            found = self._validators[name] = StrictPatternValidator(schema)
        return found

    def validate(self, name: str, document: Any) -> None:
        errors = sorted(self.validator(name).iter_errors(document), key=lambda e: list(e.path))
        if errors:
            raise ValidationFailed([_describe(e) for e in errors])


def _describe(error: ValidationError) -> dict[str, str]:
    field = "/".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return {"field": "/".join(x for x in (field, missing) if x), "message": "is required"}
    # An additionalProperties error always has an object instance and a mapping schema: the
    # isinstance checks only narrow the stubs' wider types (Unset, a boolean schema).
    if (
        error.validator == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(error.schema, Mapping)
    ):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return {"field": ", ".join(extra) or field, "message": "unknown field"}
    return {"field": field or "(body)", "message": error.message}


async def read_json(request: web.Request, schemas: SchemaRegistry, schema: str) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Send the body as application/json")
    raw = await request.read()  # aiohttp enforces client_max_size (413) while reading
    try:
        document = strictjson.loads(raw)
    except strictjson.JsonRejected as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    schemas.validate(schema, document)
    if not isinstance(document, dict):  # never: every body schema asks for an object
        raise BadRequest("The body is not a JSON object")
    return document
