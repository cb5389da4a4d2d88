"""The README's generated tables: the catalog and the activation-loss compatibility matrix.

Both are built from the loss records (never typed by hand); ``docs/generate_tables.py`` writes
them between the README's ``<!-- catalog:start -->``/``<!-- catalog:end -->`` and
``<!-- compatibility-matrix:start -->``/``<!-- compatibility-matrix:end -->`` markers, and a
test keeps them from going stale.
"""

from __future__ import annotations

import re

from ..losses import CATALOG
from ..losses._spec import LossSpec
from .activations import COMMON, activation
from .compatibility import logits_option, pair_findings, y_pred_text
from .findings import worst

LEGEND = (
    "✓ fits as is · **logits**: fits with `from_logits=True` (or `log_input=True`): feed raw "
    "outputs and let the loss apply the sigmoid, softmax or exp · ⚠ runs, with a caveat "
    "(`losskit check --activation A --loss L` says which) · ✗ incompatible."
)


def catalog_markdown() -> str:
    """The catalog: name, aliases, task, the domains of y_true and y_pred, the final activation."""
    rows = ["| loss | aliases | task | `y_true` | `y_pred` | final activation |", "|---|---|---|---|---|---|"]
    for spec in CATALOG:
        option = logits_option(spec)
        y_pred = y_pred_text(spec, {})
        activations = ", ".join(spec.activations)
        if option:
            y_pred += f"; `{option}=True`: {y_pred_text(spec, {option: True})}"
            activations += f"; `{option}=True`: {', '.join(spec.final_activations({option: True}))}"
        cells = [f"`{spec.name}`", ", ".join(spec.aliases), ", ".join(spec.tasks), str(spec.y_true), y_pred, activations]
        rows.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return "\n".join(rows)


def matrix_markdown(activations: tuple[str, ...] = COMMON) -> str:
    """Losses (rows) by final activations (columns): ✓, logits, ⚠ or ✗ (see :data:`LEGEND`)."""
    rows = ["| loss | " + " | ".join(activations) + " |", "|---|" + "---|" * len(activations)]
    for spec in CATALOG:
        cells = [cell(activation(a), spec) for a in activations]
        rows.append(f"| `{spec.name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n\n" + LEGEND


def cell(act, spec: LossSpec) -> str:
    """The matrix entry for one activation and one loss: ✓ when every finding is a fit, ⚠ when
    the worst is a caveat (a warning, or an activation the loss is not usually paired with),
    "logits" when only the logits mode fits, ✗ otherwise."""
    plain = pair_findings([act], spec, {})
    if _all_fit(plain):
        return "✓"
    if worst(plain) != "error":
        return "⚠"
    option = logits_option(spec)
    if option and _all_fit(pair_findings([act], spec, {option: True})):
        return "logits"
    return "✗"


def _all_fit(findings) -> bool:
    return all(f.code == "fits" for f in findings)


def update_readme(text: str) -> str:
    """``text`` (the README) with both generated sections rewritten between their markers."""
    for name, content in (("catalog", catalog_markdown()), ("compatibility-matrix", matrix_markdown())):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"update_readme: the README has no {start} ... {end} markers")
        text = pattern.sub(lambda _: f"{start}\n{content}\n{end}", text, count=1)
    return text


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
