"""Every built-in loss's record is complete: a new loss missing a piece fails here, with a
message that says which piece and where it goes (CONTRIBUTING.md has the recipe).

A record owns the loss's target layout, link, derivatives and reference values; these tests
read only the records and the committed reference files, never behaviour of other layers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import losskit as lk
from cases import make_case
from formulas import REFERENCE
from losskit.losses import CATALOG
from losskit.losses._domain import Intercept, Layout, Target
from losskit.losses._link import Link

NAMES = sorted(spec.name for spec in CATALOG)
PEERS = json.loads((Path(__file__).parent / "reference" / "peers.json").read_text())
PEER_LOSSES = {c["loss"] for c in PEERS["comparisons"]}
RECIPE = "see CONTRIBUTING.md, 'Adding a loss'"


def spec_of(name):
    return lk.get(name).spec


@pytest.mark.parametrize("name", NAMES)
def test_the_record_declares_its_target_layout_and_link(name):
    spec = spec_of(name)
    assert isinstance(spec.target, Target), f"{name}: its @define has no `target=Target.…` (what y_true holds); {RECIPE}"
    assert isinstance(spec.layout, Layout), f"{name}: `layout` must be a Layout; {RECIPE}"
    assert isinstance(spec.link, Link), f"{name}: `link` must be a Link from losses/_link.py; {RECIPE}"
    assert isinstance(spec.intercept, Intercept), f"{name}: `intercept` must be an Intercept rule; {RECIPE}"
    assert lk.get(name).info.target == spec.target.value


@pytest.mark.parametrize("name", NAMES)
def test_the_link_option_is_an_option_of_the_loss(name):
    spec = spec_of(name)
    raw_options = {"from_logits", "log_input"} & set(spec.defaults)
    if spec.link.option is None:
        assert not raw_options, f"{name}: it has {sorted(raw_options)} but its link is identity: give @define a `link=` ({RECIPE})"
    else:
        assert raw_options == {spec.link.option}, (
            f"{name}: its link {spec.link.name!r} is selected by `{spec.link.option}`, which the kernel must take; "
            f"it takes {sorted(raw_options) or 'neither from_logits nor log_input'}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_the_record_has_analytic_derivatives(name):
    spec = spec_of(name)
    assert spec.gradient_hessian is not None, (
        f"{name}: no derivatives; add `@{name}.derivatives(surrogate=...)` below its value kernel in its family file ({RECIPE})"
    )
    assert spec.hessian_kind == "exact" or spec.hessian_kind.startswith("surrogate: "), name
    y_true, y_pred, options = make_case(name, np.random.default_rng(0))
    grad, hess = lk.get(name, **options).gradient_hessian(y_true, y_pred)
    assert grad.shape == y_pred.shape and hess.shape == y_pred.shape, name


@pytest.mark.parametrize("name", NAMES)
def test_the_loss_has_reference_values(name):
    assert name in REFERENCE, f"{name}: no independent float64 formula in tests/formulas.py ({RECIPE})"
    assert name in PEER_LOSSES, (
        f"{name}: no peer comparison in tests/reference/peers.json; add one to tests/reference/generate.py and "
        f"run it ({RECIPE})"
    )
    try:
        make_case(name, np.random.default_rng(0))
    except KeyError:
        pytest.fail(f"{name}: no valid inputs in tests/cases.py ({RECIPE})")


@pytest.mark.parametrize("name", NAMES)
def test_the_loss_is_in_the_derivatives_table(name):
    table = (Path(__file__).parent.parent / "docs" / "derivatives.md").read_text()
    assert f"| `{name}` |" in table, f"{name}: add its row to the table in docs/derivatives.md ({RECIPE})"


@pytest.mark.parametrize("name", NAMES)
def test_fast_kernels_are_registered_for_known_libraries(name):
    unknown = set(spec_of(name).kernels) - {"numpy", "torch", "jax", "dask"}
    assert not unknown, f"{name}: fast kernels registered for unknown libraries {sorted(unknown)}"


def test_the_catalog_is_indexed_by_name_and_alias():
    for spec in CATALOG:
        for alias in (spec.name, *spec.aliases):
            assert lk.get(alias).spec is spec, alias
