"""A recording's upload key: a capability (like a presigned upload URL) for its batches.

Opening a recording hands its opener a random key; only the key's sha256 is stored. A batch that
carries `Authorization: Recording <key>` is stored by the fast path's one statement, which checks
the hash, that the recording is still open and that its uploader is still active — no session or
user row is read and no CSRF token is needed (the key is not an ambient credential: the page has
to put it in the header). The key adds fixes to that one open recording only; finishing or
closing the recording and the uploader's logout clear the hash, so the key stops working.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from recorder.models import Recording

KEYWORD = "Recording"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_from_header(header: str) -> str | None:
    """The key of an `Authorization: Recording <key>` header, else None."""
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != KEYWORD.lower():
        return None
    return parts[1]


def issue_key(recording: Recording, user) -> str | None:
    """A fresh key for the recording's uploader while it is open (None for anyone else).

    Each open (or idempotent re-open) rotates the key: only the hash is kept, so the old key
    cannot be handed out again, and a key that may have been seen elsewhere dies with the next
    open from the phone."""
    if recording.uploaded_by_id != user.id or recording.status != Recording.Status.OPEN:
        return None
    key = secrets.token_urlsafe(32)
    rotated = Recording.objects.filter(
        pk=recording.pk, uploaded_by_id=user.id, status=Recording.Status.OPEN
    ).update(upload_key_hash=key_hash(key))
    return key if rotated else None


@receiver(user_logged_out, dispatch_uid="recorder_keys_end_on_logout")
def end_keys_on_logout(sender, request, user, **kwargs) -> None:
    """Logging out ends the keys of the user's open recordings (the phone opens again after
    the next login and gets a new one; its unsent batches wait in IndexedDB)."""
    if user is not None:
        Recording.objects.filter(uploaded_by_id=user.id).exclude(upload_key_hash="").update(
            upload_key_hash=""
        )


class RecordingKeyAuthentication(BaseAuthentication):
    """DRF authentication for one recording's batch endpoint: the key authenticates its
    uploader for that recording only (the view's `pk`), while it is open and the user active."""

    def authenticate(self, request):
        key = key_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
        if key is None:
            return None
        pk = (request.parser_context or {}).get("kwargs", {}).get("pk")
        rec = (
            Recording.objects.select_related("uploaded_by")
            .filter(
                pk=pk,
                upload_key_hash=key_hash(key),
                status=Recording.Status.OPEN,
                uploaded_by__is_active=True,
            )
            .first()
            if pk is not None
            else None
        )
        if rec is None:
            raise AuthenticationFailed(
                {
                    "detail": _(
                        "上传密钥无效或已失效（巡查已结束、已退出登录或密钥不属于这条记录），"
                        "请登录后重新打开巡查。"
                    ),
                    "code": "bad_upload_key",
                }
            )
        return rec.uploaded_by, rec

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class RecordingKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI schema (the batch endpoint's security)."""

    target_class = RecordingKeyAuthentication
    name = "recordingUploadKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Recording <upload_key>`: the key returned by POST /api/recordings/, "
            "for that recording's batches only, while it is open.",
        }
