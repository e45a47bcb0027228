"""Splitting a street network into segments at its intersections, vectorised with shapely 2 / numpy."""

from __future__ import annotations

import numpy as np
import shapely

# Vertices closer than this (degrees, ~1 cm) are the same network node.
NODE_PRECISION = 1e-7


def split_at_shared_vertices(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split LineStrings wherever an interior vertex is shared with another line (or the same line).

    Returns (segments, line_index, part_number): each segment, the input line it came from, and its
    position along that line. OSM ways meet at shared nodes, so this splits at every junction and
    never at bridges or tunnels that cross without a junction.
    """
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    if len(coords) == 0:
        empty = np.array([], dtype=object)
        return empty, np.array([], dtype=int), np.array([], dtype=int)
    keys = np.round(coords / NODE_PRECISION).astype(np.int64)
    _, node, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    node = node.ravel()

    first = np.r_[True, line_idx[1:] != line_idx[:-1]]
    last = np.r_[line_idx[1:] != line_idx[:-1], True]
    split = (counts[node] >= 2) & ~first & ~last

    # A split vertex ends one segment and starts the next: emit it twice.
    repeat = 1 + split.astype(int)
    rep_coords = np.repeat(coords, repeat, axis=0)
    rep_line = np.repeat(line_idx, repeat)
    starts = np.repeat(first, repeat)
    # The second copy of each split vertex starts a new segment.
    second_copy = np.zeros(len(rep_coords), dtype=bool)
    pos_of_split = np.flatnonzero(split) + np.cumsum(split)[np.flatnonzero(split)]
    second_copy[pos_of_split] = True
    new_segment = starts.copy()
    new_segment |= second_copy
    seg_id = np.cumsum(new_segment) - 1

    seg_line = rep_line[np.flatnonzero(new_segment)]
    seg_first_of_line = np.r_[True, seg_line[1:] != seg_line[:-1]]
    part = np.arange(len(seg_line)) - np.maximum.accumulate(
        np.where(seg_first_of_line, np.arange(len(seg_line)), 0)
    )
    # Segments of fewer than two vertices cannot exist (each piece has >= 2 by construction),
    # but zero-length pieces (repeated vertices) can: drop them.
    segments = shapely.linestrings(rep_coords, indices=seg_id)
    keep = shapely.length(segments) > 0
    return segments[keep], seg_line[keep], part[keep]
