"""Moving the canvas selection with the arrow keys: which layer is "next" in a direction.

Right and Left follow the connections first (Right to a layer this one feeds, Left to one
that feeds it: the one nearest in height), and fall back on position when there is no
connection that way; Up and Down go by position. Plain data in, an id out: the canvas
keys part (:mod:`app.window.canvas_keys`) asks and selects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Point = tuple[float, float]

#: direction name -> unit step (x, y) on the canvas (y grows downwards).
DIRECTIONS: dict[str, Point] = {"right": (1.0, 0.0), "left": (-1.0, 0.0),
                                "up": (0.0, -1.0), "down": (0.0, 1.0)}


def neighbour(current: str, direction: str, positions: Mapping[str, Point],
              edges: Iterable[tuple[str, str]]) -> str | None:
    """The layer to select after ``current`` when the arrow of ``direction`` is pressed
    (None: nothing lies that way). ``positions`` are the layers' top-left corners."""
    if current not in positions:
        return None
    here = positions[current]
    edges = list(edges)
    if direction == "right":
        linked = [t for s, t in edges if s == current and t in positions]
    elif direction == "left":
        linked = [s for s, t in edges if t == current and s in positions]
    else:
        linked = []
    if linked:
        return min(linked, key=lambda n: (abs(positions[n][1] - here[1]),
                                          abs(positions[n][0] - here[0]), n))
    return nearest_towards(current, direction, positions)


def nearest_towards(current: str, direction: str,
                    positions: Mapping[str, Point]) -> str | None:
    """The nearest layer whose position lies in ``direction`` from ``current``: ahead
    along the direction, with sideways distance counting double (so a layer straight
    ahead wins over a nearer one off to the side)."""
    dx_unit, dy_unit = DIRECTIONS[direction]
    hx, hy = positions[current]
    best: tuple[float, str] | None = None
    for node_id, (x, y) in positions.items():
        if node_id == current:
            continue
        ahead = (x - hx) * dx_unit + (y - hy) * dy_unit
        side = abs((x - hx) * dy_unit) + abs((y - hy) * dx_unit)
        if ahead <= 1.0:
            continue
        score = ahead + 2.0 * side
        if best is None or (score, node_id) < best:
            best = (score, node_id)
    return best[1] if best else None


def first_layer(order: Iterable[str], positions: Mapping[str, Point]) -> str | None:
    """Where the arrows start when nothing is selected: the first layer of the network's
    order (its first input), else the top-left one."""
    for node_id in order:
        if node_id in positions:
            return node_id
    if not positions:
        return None
    return min(positions, key=lambda n: (positions[n][0], positions[n][1], n))
