"""Helpers shared by the API views: input validation, the one exception handler that turns
service errors into responses, and the bounded pagination."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import pagination, serializers
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

# Largest value a BIGINT primary key (PostgreSQL, SQLite INTEGER) can hold.
MAX_ID = 2**63 - 1
# Largest value of an INTEGER column (PostgreSQL); counts, seeds and sizes stay below it.
MAX_INT = 2**31 - 1


class IdField(serializers.IntegerField):
    """The id of a row: 1 … the largest BIGINT, so that an id no row can have is a 400 rather
    than a database overflow."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def query_param(request: Request, name: str, field: serializers.Field) -> Any:
    """One query parameter validated by a serializer field: ``None`` when absent, a 400 naming
    the parameter when invalid (an unknown ``group`` is refused, not read as the default)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return field.run_validation(raw)
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from exc


def query_id(request: Request, name: str) -> int | None:
    """An id in the query string (``?org=``, ``?under=``): ``None`` when absent, a 400 when
    empty, not a number or beyond BIGINT."""
    return query_param(request, name, IdField())


def _drf_validation_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        )
    return ValidationError(exc.messages)


def _json_type_errors(field: serializers.Field, value: Any) -> Any:
    """What is wrong with the JSON type of ``value`` for ``field``, or ``None``.

    DRF coerces: a CharField takes ``0`` as ``"0"``, a BooleanField takes ``1`` and ``"true"``,
    an IntegerField takes ``"5"``. The schema says string, boolean, integer; so does this."""
    if value is None or value is serializers.empty:
        return None
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        child = field.child
        if not isinstance(value, list) or child is None:
            return None
        items = {i: e for i, v in enumerate(value) if (e := _json_type_errors(child, v))}
        return items or None
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return None  # the serializer's own "invalid" message
        errors = {
            name: e
            for name, f in field.fields.items()
            if not f.read_only and (e := _json_type_errors(f, value.get(name)))
        }
        return errors or None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return None
        items = {k: e for k, v in value.items() if (e := _json_type_errors(field.child, v))}
        return items or None
    if isinstance(field, serializers.BooleanField):
        expected: tuple[type, ...] = (bool,)
        name = _("布尔值")
    elif isinstance(field, serializers.IntegerField):
        expected, name = (int,), _("整数")
    elif isinstance(field, serializers.FloatField) or (
        isinstance(field, serializers.DecimalField)
        and getattr(field, "coerce_to_string", None) is False
    ):
        expected, name = (int, float), _("数字")
    elif isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DecimalField
        | serializers.DateField
        | serializers.DateTimeField,
    ):
        expected, name = (str,), _("字符串")
    else:
        return None
    if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
        return [_("类型不符：须为%(type)s") % {"type": name}]
    return None


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validate input with an input serializer; a 400 with field messages otherwise. A JSON
    body's values must have the types the schema says (no ``0`` for a string)."""
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    json_body = isinstance(data, dict) and not isinstance(data, QueryDict)
    if json_body and (errors := _json_type_errors(s, data)):
        raise ValidationError(errors)
    return dict(s.validated_data)


class Conflict(APIException):
    status_code = 409
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's one place where errors become responses (``REST_FRAMEWORK`` setting).

    A service's ``ValidationError`` is a 400 and its ``PermissionDenied`` a 403, both with the
    service's message; a number the database cannot hold is a 400; a write that breaks a
    uniqueness rule (two requests racing each other) is a 409. Anything else stays a 500."""
    if isinstance(exc, DjangoValidationError):
        exc = _drf_validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    elif isinstance(exc, OverflowError | DataError):
        logger.warning("API input out of range: %s", exc)
        exc = ValidationError({"detail": [_("数值超出允许范围")]})
    elif isinstance(exc, IntegrityError):
        logger.warning("API write conflicts with a stored row: %s", exc)
        exc = Conflict(_("与已有记录冲突，请刷新后重试"))
    return drf_exception_handler(exc, context)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``limit``/``offset`` pagination that refuses what it cannot serve: a limit outside
    1…``max_limit`` or an offset outside 0…``max_offset`` is a 400, not a silent default or a
    database overflow."""

    max_limit = 1000
    max_offset = 10_000_000  # beyond the city's two million members

    def _bounded(self, request: Request, name: str, low: int, high: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high or not raw.strip().isdigit():
            raise ValidationError(
                {name: [_("须为 %(low)d 到 %(high)d 之间的整数") % {"low": low, "high": high}]}
            )
        return value

    def get_limit(self, request: Request) -> int | None:
        value = self._bounded(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if value is None else value

    def get_offset(self, request: Request) -> int:
        return self._bounded(request, self.offset_query_param, 0, self.max_offset) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: (1, self.max_limit),
            self.offset_query_param: (0, self.max_offset),
        }
        for p in params:
            low, high = bounds[p["name"]]
            p["schema"] = {"type": "integer", "minimum": low, "maximum": high}
        return params


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """``handler404``: a path under ``/api/`` that matches no route (``/api/members/x/``)
    answers in the API's JSON shape; pages keep Django's page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)
