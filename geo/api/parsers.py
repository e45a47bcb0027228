"""JSON bodies of this API are objects: ``[]``, ``null`` or ``7`` are a 400, not an AttributeError
in a view that reads ``request.data.get(...)``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("JSON 请求体须为对象（{…}），而不是数组、数字或 null。"))
        return data
