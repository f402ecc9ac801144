"""NetCanvas's engine: a pure-NumPy neural-network library that never imports Qt."""

__version__ = "0.1.0"
