"""Communities of the linking graph: bridges cut, the same answer every run, Louvain-good.

The analysis splits large linked components with igraph's Leiden method (modularity).
These pin what it must keep doing: cut a thin bridge between dense groups, give the same
communities whatever random numbers the process used before, and find partitions at least
as modular as networkx's reference Louvain on the same graphs.
"""

from __future__ import annotations

import random

import pytest

from ircli.analysis.linking import RESOLUTION, _leiden


def _clique(prefix: str, size: int, tok: str) -> list[tuple[str, str, float]]:
    # Account–token graph: every member holds the group's tokens.
    return [(f"a:{prefix}{i}", f"t:{tok}{j}", 1.0) for i in range(size) for j in range(3)]


def _planted(seed: int) -> list[tuple[str, str, float]]:
    """Groups of accounts sharing tokens, with a few stray links between groups."""
    rnd = random.Random(seed)
    edges: list[tuple[str, str, float]] = []
    for g in range(6):
        for i in range(rnd.randint(8, 30)):
            for j in rnd.sample(range(5), 3):
                edges.append((f"a:{g}-{i}", f"t:{g}-{j}", rnd.choice([0.7, 0.8, 1.0])))
    for _ in range(12):
        edges.append((f"a:{rnd.randrange(6)}-0", f"t:{rnd.randrange(6)}-{rnd.randrange(5)}", 0.7))
    return sorted(set(edges))


def test_a_thin_bridge_between_dense_groups_is_cut() -> None:
    edges = _clique("x", 15, "p") + _clique("y", 15, "q") + [("a:x0", "t:q0", 0.7)]
    groups = sorted(sorted(n for n in c if n.startswith("a:")) for c in _leiden(edges))
    groups = [g for g in groups if g]
    assert len(groups) == 2
    assert {len(g) for g in groups} == {15}
    assert all(len({n[2] for n in g}) == 1 for g in groups)  # no group mixes x and y


def test_same_communities_whatever_random_numbers_came_before() -> None:
    edges = _planted(7)
    random.seed(1)
    first = _leiden(edges)
    state = random.getstate()
    random.seed(99)
    random.random()
    second = _leiden(list(reversed(edges)))  # edge order does not matter either
    assert sorted(map(sorted, first)) == sorted(map(sorted, second))
    random.setstate(state)
    _leiden(edges)
    assert random.getstate() == state  # the process's own generator is left alone


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_at_least_as_modular_as_the_reference_louvain(seed: int) -> None:
    import networkx as nx

    edges = _planted(seed)
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    ours = _leiden(edges)
    assert sorted(n for c in ours for n in c) == sorted(graph.nodes)  # a partition
    reference = nx.community.louvain_communities(graph, resolution=RESOLUTION, seed=0)

    def q(parts: list[list[str]] | list[set[str]]) -> float:
        return float(nx.community.modularity(graph, parts, resolution=RESOLUTION))

    assert q(ours) >= q(reference) - 1e-3
