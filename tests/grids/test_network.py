"""The balanced, contiguous split on hand-drawn networks (pure, no database)."""

from __future__ import annotations

from grids.network import Seg, adjacency, components, split


def lattice(nx: int, ny: int, step: float = 0.001) -> list[Seg]:
    segs, n = [], 0
    for i in range(nx):
        for j in range(ny):
            a = (116.31 + i * step, 40.0 + j * step)
            if i + 1 < nx:
                n += 1
                segs.append(Seg(n, 85.0, a, (a[0] + step, a[1])))
            if j + 1 < ny:
                n += 1
                segs.append(Seg(n, 111.0, a, (a[0], a[1] + step)))
    return segs


def test_it_covers_every_segment_once_with_balanced_connected_groups():
    segs = lattice(7, 6)
    groups = split(segs, 3)
    ids = sorted(i for g in groups for i in g)
    assert ids == sorted(s.id for s in segs)
    length = {s.id: s.length_m for s in segs}
    totals = [sum(length[i] for i in g) for g in groups]
    assert max(totals) / min(totals) < 1.25, totals
    adj = adjacency(segs)
    for g in groups:
        assert len(components(g, adj)) == 1, g


def test_it_is_deterministic_and_ignores_input_order():
    segs = lattice(5, 5)
    assert split(segs, 2) == split(list(reversed(segs)), 2)


def test_existing_holdings_make_a_pair_take_less():
    segs = lattice(6, 6)
    total = sum(s.length_m for s in segs)
    groups = split(segs, 2, initial_m=[total / 2, 0.0])
    length = {s.id: s.length_m for s in segs}
    a, b = (sum(length[i] for i in g) for g in groups)
    assert a < b / 3


def test_separate_pieces_of_network_are_still_all_assigned():
    #  o---o---o          o---o
    #  piece A (2 segs)    piece B (1 seg), 1 km east: not connected
    segs = [
        Seg(1, 100, (116.31, 40.0), (116.311, 40.0)),
        Seg(2, 100, (116.311, 40.0), (116.312, 40.0)),
        Seg(3, 100, (116.32, 40.0), (116.321, 40.0)),
    ]
    groups = split(segs, 2)
    assert sorted(i for g in groups for i in g) == [1, 2, 3]
    assert all(groups)


def test_more_pairs_than_segments_leaves_some_pairs_empty():
    segs = lattice(2, 1)
    assert sorted(map(len, split(segs, 3))) == [0, 0, 1]


def test_components_follow_shared_endpoints_only():
    segs = lattice(3, 1) + [Seg(99, 50, (116.4, 40.1), (116.401, 40.1))]
    assert components([s.id for s in segs], adjacency(segs)) == [[1, 2], [99]]
