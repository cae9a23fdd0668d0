"""The API schema's shared parts: every operation documents the errors it can answer with,
in the shapes the exception handler (``jiceng.core.api.exception_handler``) gives them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from jiceng.core.api import MAX_ID

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# A serializer's errors by field (nested serializers nest), or a service's list of messages.
VALIDATION_ERROR = {
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ]
}
PAGINATION = {"limit", "offset"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's schema plus the error responses each operation really gives.

    400: the operation takes a body or query parameters, or writes (a service refuses what
    the state of its rows does not allow). 403: not signed in, or the role may not do this
    (every operation but the token exchange). 404: an id in the path, a filter or the body
    names a row that is missing or outside the user's scope (one answer for both).
    409: a write that collides with a row stored meanwhile. Ids in the path are 1 … the
    largest BIGINT."""

    def _map_serializer_field(self, field: Any, direction: str, *args: Any, **kwargs: Any) -> Any:
        schema = super()._map_serializer_field(field, direction, *args, **kwargs)
        # DRF trims text before its "may not be blank" check: " " is blank, so say so.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = r"\S"
        return schema

    def _error_ref(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_response(self, name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "description": text,
            "content": {"application/json": {"schema": self._error_ref(name, schema)}},
        }

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        params = operation.get("parameters", [])
        for p in params:
            ids = p["in"] == "path" or (p["in"] == "query" and p["name"] not in PAGINATION)
            if ids and p["schema"].get("type") == "integer" and "minimum" not in p["schema"]:
                p["schema"].update(minimum=1, maximum=MAX_ID)
        in_path = any(p["in"] == "path" for p in params)
        query = {p["name"] for p in params if p["in"] == "query"}
        body = "requestBody" in operation
        responses = operation["responses"]
        errors: dict[str, dict[str, Any]] = {}
        if body or query or self.method in WRITES:
            errors["400"] = self._error_response(
                "ValidationError", VALIDATION_ERROR, "invalid input"
            )
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["403"] = self._error_response("Error", ERROR, "not signed in or not allowed")
        # A view answering 404 without ids (a member's own record, absent) says so.
        if in_path or body or query - PAGINATION or getattr(self.view, "answers_404", False):
            errors["404"] = self._error_response("Error", ERROR, "not found or not in scope")
        if self.method in WRITES:
            errors["409"] = self._error_response("Error", ERROR, "conflicts with a stored row")
        for code, response in errors.items():
            responses.setdefault(code, response)
        return operation
