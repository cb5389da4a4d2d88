"""Global switches. Value checks read array values and so force a device sync; turn them off
in hot training loops (``lk.set_value_checks(False)``, the ``lk.value_checks(False)`` context
manager, or ``LOSSKIT_VALUE_CHECKS=0`` in the environment). Shape and option checks always run:
they cost nothing. Arrays being traced (``jax.jit``) are never value-checked.
"""

from __future__ import annotations

import contextlib
import os

_state = {"value_checks": os.environ.get("LOSSKIT_VALUE_CHECKS", "1").lower() not in ("0", "false", "no", "off")}


def value_checks_enabled() -> bool:
    """Whether losses check the values of their inputs (domains, finiteness, label range)."""
    return _state["value_checks"]


def set_value_checks(enabled: bool) -> bool:
    """Turn value checks on or off; returns the previous setting."""
    previous = _state["value_checks"]
    _state["value_checks"] = bool(enabled)
    return previous


@contextlib.contextmanager
def value_checks(enabled: bool):
    """Context manager: value checks on or off inside the ``with`` block."""
    previous = set_value_checks(enabled)
    try:
        yield
    finally:
        set_value_checks(previous)
