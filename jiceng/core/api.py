"""Helpers shared by the API views."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.serializers import Serializer


def raise_drf(exc: DjangoValidationError) -> NoReturn:
    """Re-raise a service's ValidationError as a 400 with the same (Chinese) messages."""
    if hasattr(exc, "error_dict"):
        raise ValidationError(
            {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        ) from exc
    raise ValidationError(exc.messages) from exc


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validate input with an input serializer; a 400 with field messages otherwise."""
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def call_service(fn: Any, **kwargs: Any) -> Any:
    """Call a service; its ValidationError becomes a 400 and its PermissionDenied a 403, both
    with the service's (Chinese) message."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise_drf(exc)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
