"""drf-spectacular postprocessing: every operation documents the errors the API may answer with.

Every view validates its input (400), most need a login (401 with ``WWW-Authenticate``) or a role
(403), and ids may not exist or belong to another office (404). Rather than repeat that on ~60
operations, the hook adds those responses, with the error body, where an operation does not
document them itself.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "{detail: reason} or, for invalid input, {field: [reasons]}; more keys may explain the "
        "error (e.g. code, segments)."
    ),
    "additionalProperties": {},
}
ERRORS = {
    "400": "Invalid parameter or body: the body names the parameter and the reason.",
    "401": "Not logged in: send a token (Authorization: Token …) or a session cookie.",
    "403": "Logged in, but without the role this needs in the street office.",
    "404": "Not found, or not in one of your street offices.",
    "429": "Too many requests: retry after the number of seconds in Retry-After.",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def document_error_responses(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                if code in responses:
                    # A view that documents its own error keeps it, but the body may carry any key.
                    continue
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                }
    return result
