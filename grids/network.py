"""The segment graph: segments touching at an endpoint are neighbours.

Pure Python/numpy on plain tuples (no ORM) so the split and the fragmentation check are testable on
hand-drawn networks. The street importer splits at intersections, so touching segments share exact
endpoint coordinates; we still round to 1e-6° (~0.1 m) to absorb float noise from other sources.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Seg:
    id: int
    length_m: float
    start: tuple[float, float]  # lon, lat
    end: tuple[float, float]


def _key(pt: tuple[float, float]) -> tuple[int, int]:
    return round(pt[0] * 1e6), round(pt[1] * 1e6)


def adjacency(segs: Sequence[Seg]) -> dict[int, set[int]]:
    by_node: dict[tuple[int, int], list[int]] = defaultdict(list)
    for s in segs:
        by_node[_key(s.start)].append(s.id)
        by_node[_key(s.end)].append(s.id)
    adj: dict[int, set[int]] = {s.id: set() for s in segs}
    for ids in by_node.values():
        for a in ids:
            adj[a].update(b for b in ids if b != a)
    return adj


def components(ids: Iterable[int], adj: dict[int, set[int]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``ids`` (each sorted, ordered by first id)."""
    todo = set(ids)
    out: list[list[int]] = []
    for start in sorted(todo):
        if start not in todo:
            continue
        todo.discard(start)
        comp, stack = [start], [start]
        while stack:
            for nb in adj.get(stack.pop(), ()):
                if nb in todo:
                    todo.discard(nb)
                    comp.append(nb)
                    stack.append(nb)
        out.append(sorted(comp))
    return out


def midpoints_m(segs: Sequence[Seg]) -> np.ndarray:
    """Segment midpoints in local metres (equirectangular around the set's mean latitude)."""
    pts = np.array(
        [[(s.start[0] + s.end[0]) / 2, (s.start[1] + s.end[1]) / 2] for s in segs], dtype=float
    )
    if not len(pts):
        return pts.reshape(0, 2)
    lat0 = math.radians(float(pts[:, 1].mean()))
    return np.column_stack([pts[:, 0] * 111_320 * math.cos(lat0), pts[:, 1] * 110_540])


# How far below its fair share a walled-in group may stay before it takes a disconnected piece.
JUMP_SLACK = 0.15


def split(segs: Sequence[Seg], k: int, initial_m: Sequence[float] | None = None) -> list[list[int]]:
    """Split ``segs`` into ``k`` groups of similar total length, each connected where the network allows.

    Deterministic: seeds are chosen by farthest-point sampling (first the segment farthest from the
    centroid), then the group with the least length so far (counting ``initial_m``, what each pair
    already holds) takes its unclaimed neighbour nearest to its seed, until nothing is left. Groups stop
    growing at the fair share (total / k) while others can still grow; a group walled in below its share
    restarts from the unclaimed segment nearest to its seed: the only way a group becomes disconnected.
    """
    if k <= 0 or not segs:
        return [[] for _ in range(max(k, 0))]
    segs = sorted(segs, key=lambda s: s.id)
    ids = [s.id for s in segs]
    index = {sid: i for i, sid in enumerate(ids)}
    length = np.array([s.length_m for s in segs], dtype=float)
    mid = midpoints_m(segs)
    adj = adjacency(segs)

    seeds: list[int] = []
    dist_to_seeds = np.full(len(segs), np.inf)
    first = int(np.argmax(np.hypot(*(mid - mid.mean(axis=0)).T)))
    for _ in range(min(k, len(segs))):
        pick = first if not seeds else int(np.argmax(dist_to_seeds))
        seeds.append(pick)
        dist_to_seeds = np.minimum(dist_to_seeds, np.hypot(*(mid - mid[pick]).T))

    totals = np.array(initial_m if initial_m is not None else [0.0] * k, dtype=float)
    groups: list[list[int]] = [[] for _ in range(k)]
    owner = np.full(len(segs), -1)
    frontier: list[set[int]] = [set() for _ in range(k)]
    anchor = [mid[s] for s in seeds] + [mid[seeds[0]]] * (k - len(seeds))

    def take(g: int, i: int) -> None:
        owner[i] = g
        groups[g].append(ids[i])
        totals[g] += length[i]
        for f in frontier:
            f.discard(i)
        frontier[g].update(index[n] for n in adj[ids[i]] if owner[index[n]] < 0)

    # Groups without a seed of their own (more pairs than segments) simply stay empty.
    for g, s in enumerate(seeds):
        take(g, s)
    remaining = len(segs) - len(seeds)
    active = list(range(len(seeds)))
    target = (totals.sum() + length.sum() - length[seeds].sum()) / max(len(active), 1)

    def nearest(cands: np.ndarray | list[int], g: int) -> int:
        cands = sorted(cands)
        return cands[int(np.argmin(np.hypot(*(mid[cands] - anchor[g]).T)))]

    def orphans() -> list[int]:
        """Free segments in pieces of network no group can reach: jumping there splits nobody's region."""
        free = {ids[i] for i in np.flatnonzero(owner < 0)}
        reachable = {ids[i] for f in frontier for i in f}
        return [
            index[sid]
            for piece in components(free, adj)
            if not reachable.intersection(piece)
            for sid in piece
        ]

    while remaining:
        # Grow contiguously while below the fair share. When every group that can still grow has its
        # share, a group walled in well below it (by more than JUMP_SLACK) restarts on the nearest free
        # piece of network, accepting a second piece; otherwise a neighbour grows past its share.
        growable = [j for j in active if frontier[j] and totals[j] < target]
        starved = [j for j in active if not frontier[j] and totals[j] < (1 - JUMP_SLACK) * target]
        if growable:
            g = min(growable, key=lambda j: (totals[j], j))
            i = nearest(list(frontier[g]), g)
        elif starved or not any(frontier[j] for j in active):
            g = min(starved or active, key=lambda j: (totals[j], j))
            i = nearest(list(frontier[g]) or orphans() or list(np.flatnonzero(owner < 0)), g)
        else:
            g = min((j for j in active if frontier[j]), key=lambda j: (totals[j], j))
            i = nearest(list(frontier[g]), g)
        take(g, int(i))
        remaining -= 1
    return [sorted(g) for g in groups]
