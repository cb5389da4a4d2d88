"""The grammar of a loss on the command line: ``NAME``, ``NAME(option=value, ...)`` or
``NAME:option=value,...``, and an optional last-layer activation ``@ACTIVATION``.

``"mse,huber(delta=2.0),categorical_crossentropy@tanh,quantile(quantile=0.9)"``: losses are
separated by commas outside parentheses; option values are Python literals (``2.0``, ``True``,
``"sum"``, ``[1, 2]``), ``true``/``false``/``null``/``none`` are read as in JSON and any other
bare word as text (``reduction=sum``). The colon form names one loss (a single-loss argument such
as ``losskit info huber:delta=2``); in a comma-separated list use parentheses. Without
``@``, a loss with a raw-output form is trained in it (a linear last layer, ``from_logits=True``
or ``log_input=True``); with ``@ACTIVATION`` the model's last layer is that activation and the
loss reads its outputs as predictions (the raw-output option stays off unless the options set
it; ``@linear`` keeps the raw-output form).
"""

from __future__ import annotations

import ast
import re

_ITEM = re.compile(r"\s*([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?\s*(?:@\s*([A-Za-z_][\w+\-]*))?\s*", re.DOTALL)
_WORDS = {"true": True, "false": False, "null": None, "none": None}


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and brackets; empty items are dropped."""
    items, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [i for i in items if i.strip()]


def parse_candidate(item: str) -> tuple[str, dict, str | None]:
    """``(name, options, activation)`` of one ``NAME(option=value, ...)@ACTIVATION``; raises
    ValueError with what was expected."""
    if ":" in item and "(" not in item:
        name, _, options = item.partition(":")
        return name.strip(), parse_options(options, item), None
    match = _ITEM.fullmatch(item)
    if not match:
        raise ValueError(f"cannot read {item.strip()!r}; write NAME, NAME(option=value, ...) or NAME@ACTIVATION")
    return match.group(1), parse_options(match.group(2) or "", item), match.group(3)


def parse_options(text: str, item: str = "") -> dict:
    """``"delta=2.0, from_logits=true"`` -> ``{"delta": 2.0, "from_logits": True}``."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if call.args:
            raise ValueError("positional value")
        return {kw.arg: _value(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError):
        raise ValueError(f"cannot read the options of {(item or text).strip()!r}; write NAME(option=value, ...) with Python literals") from None


def _value(node):
    if isinstance(node, ast.Name):
        return _WORDS.get(node.id.lower(), node.id)
    return ast.literal_eval(node)
