"""Automatic left-to-right layout of a graph, layered by longest path (no Qt).

Each node goes to the column equal to the length of the longest path reaching it from a
node without inputs, so every edge points right. Within a column, nodes are ordered by the
mean row of the nodes feeding them (one barycentre sweep, which removes most crossings of
branch-and-merge networks), then stacked and centred vertically on the tallest column.
"""

from __future__ import annotations

from nncore.spec import GraphSpec

H_GAP = 70.0
V_GAP = 36.0


def layered_layout(graph: GraphSpec, sizes: dict[str, tuple[float, float]],
                   origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node of ``graph``; ``sizes`` gives (width, height)."""
    ids = [n.id for n in graph.nodes]
    known = set(ids)
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for e in graph.edges:
        if e.source in known and e.target in known and e.source != e.target:
            preds[e.target].append(e.source)
            succs[e.source].append(e.target)

    layer = _layers(ids, preds, succs)

    n_layers = max(layer.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(n_layers)]
    for n in ids:  # document order keeps ties stable
        columns[layer[n]].append(n)

    # Order each column by the barycentre of its predecessors' rows.
    row: dict[str, float] = {}
    for c, col in enumerate(columns):
        if c > 0:
            index = {n: i for i, n in enumerate(col)}

            def key(n: str, index: dict[str, int] = index) -> tuple[float, int]:
                ps = [row[p] for p in preds[n] if p in row]
                return (sum(ps) / len(ps) if ps else float(index[n]), index[n])
            col.sort(key=key)
        for r, n in enumerate(col):
            row[n] = float(r)

    def size(n: str) -> tuple[float, float]:
        return sizes.get(n, (180.0, 80.0))

    col_width = [max((size(n)[0] for n in col), default=0.0) for col in columns]
    col_height = [sum(size(n)[1] for n in col) + V_GAP * max(len(col) - 1, 0)
                  for col in columns]
    tallest = max(col_height, default=0.0)
    out: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for c, col in enumerate(columns):
        y = origin[1] + (tallest - col_height[c]) / 2
        for n in col:
            out[n] = (x, y)
            y += size(n)[1] + V_GAP
        x += col_width[c] + H_GAP
    return out


def _layers(ids: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]
            ) -> dict[str, int]:
    """Column of each node: the length of the longest path reaching it (Kahn's order)."""
    # Longest-path layering over a topological order (Kahn). Nodes on a cycle are placed
    # one column after everything that feeds them from outside the cycle.
    indeg = {i: len(preds[i]) for i in ids}
    ready = [i for i in ids if indeg[i] == 0]
    order: list[str] = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = max((layer[p] + 1 for p in preds[n]), default=0)
    rest = [i for i in ids if i not in layer]
    for n in rest:
        layer[n] = max((layer[p] + 1 for p in preds[n] if p in layer), default=0)
    return layer
