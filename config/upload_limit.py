"""Refuse a request body over the limit from its Content-Length, before a byte of it is read.

Django reads (and spools to /tmp) a multipart body before any view can look at its size: a 1 GiB
upload was written to disk before the track view said 413. This middleware sits first, so the
answer comes from the headers alone. A body without Content-Length (chunked) is left to the
server, which must bound it (gunicorn/nginx; slow bodies are the server's timeout, see
docs/design/scale.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Multipart framing and the other form fields ride along with the file.
ENVELOPE_BYTES = 1024 * 1024


def max_body_bytes() -> int:
    return settings.ALLEY_MAX_UPLOAD_BYTES + ENVELOPE_BYTES


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        length = int(raw) if raw.isascii() and raw.isdigit() else 0
        if length > max_body_bytes():
            mb = settings.ALLEY_MAX_UPLOAD_BYTES / 1024 / 1024
            # The body is never read; the WSGI server closes the connection after this answer.
            return JsonResponse(
                {
                    "detail": f"The request body is {length} bytes; at most {mb:.0f} MB is accepted.",
                    "code": "too_large",
                },
                status=413,
            )
        return self.get_response(request)
