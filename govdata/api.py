"""What every API endpoint shares: error shape, pagination, permission-filtered viewsets."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Service-layer refusals become 400/403 answers with the service's (translated) message."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Cursor pages cost the same on page 1 and page 10,000, and never COUNT the table."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
