"""A minimal Mapbox Vector Tile reader for tests (protobuf by hand, geometry skipped): each
layer's features as {"id": feature id, **properties}."""

from __future__ import annotations

import struct
from collections.abc import Iterator


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i : i + n], i + n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            value, i = buf[i : i + n], i + n
        else:
            raise ValueError(f"wire type {wire}")
        yield field, value


def _value(buf: bytes) -> object:
    for field, v in _fields(buf):
        if field == 1:
            return v.decode()
        if field in (2, 3):
            return struct.unpack("<f" if field == 2 else "<d", v)[0]
        if field in (4, 5):
            return v
        if field == 6:
            return (v >> 1) ^ -(v & 1)
        if field == 7:
            return bool(v)
    raise ValueError("empty value")


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def features(tile: bytes) -> dict[str, list[dict]]:
    layers = {}
    for field, layer in _fields(tile):
        if field != 3:
            continue
        name, keys, values, raw = "", [], [], []
        for f, v in _fields(layer):
            if f == 1:
                name = v.decode()
            elif f == 2:
                raw.append(v)
            elif f == 3:
                keys.append(v.decode())
            elif f == 4:
                values.append(_value(v))
        rows = []
        for feature in raw:
            row: dict = {}
            for f, v in _fields(feature):
                if f == 1:
                    row["id"] = v
                elif f == 2:
                    tags = _packed(v)
                    row |= {keys[k]: values[t] for k, t in zip(tags[::2], tags[1::2], strict=True)}
            rows.append(row)
        layers[name] = rows
    return layers
