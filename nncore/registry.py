"""The registry of layer types: one name -> one class, read by the GUI, files and the CLI.

Adding a layer type means writing one module with a ``@register``-decorated class (its
capabilities declared as class attributes, see :class:`~nncore.layers.base.Layer`) and
importing it in ``nncore/layers/__init__.py``; the palette, inspector, project loader, CLI,
exports and the registry-wide test harnesses pick it up from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nncore.errors import SpecError

if TYPE_CHECKING:
    from nncore.layers.base import Layer

_LAYERS: dict[str, type[Layer]] = {}

#: Palette group order; a layer's ``category`` is one of these.
CATEGORIES = ("core", "convolution", "recurrent", "merge")
#: What a layer's inputs hold (its ``input_dtype``): numbers, or integer ids.
INPUT_DTYPES = ("float", "int")


def register(cls: type[Layer]) -> type[Layer]:
    name = cls.type_name
    if not name:
        raise ValueError(f"{cls.__name__} has no type_name")
    if name in _LAYERS and _LAYERS[name] is not cls:
        raise ValueError(f"layer type {name!r} registered twice")
    if cls.category not in CATEGORIES:
        raise ValueError(f"{name}: unknown category {cls.category!r}")
    if cls.input_dtype not in INPUT_DTYPES:
        raise ValueError(f"{name}: unknown input_dtype {cls.input_dtype!r}")
    _LAYERS[name] = cls
    return cls


def layer_class(name: str) -> type[Layer]:
    _ensure_loaded()
    try:
        return _LAYERS[name]
    except KeyError:
        known = ", ".join(sorted(_LAYERS))
        raise SpecError(f"unknown layer type {name!r} (known: {known})") from None


def layer_types() -> list[type[Layer]]:
    """All registered layer classes, in palette order (by category, then registration)."""
    _ensure_loaded()
    return sorted(_LAYERS.values(), key=lambda c: CATEGORIES.index(c.category))


def _ensure_loaded() -> None:
    import nncore.layers  # noqa: F401  (importing registers the built-in layers)
