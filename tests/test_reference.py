"""Agreement with the peers: every losskit loss against Keras 3, PyTorch, Optax and scikit-learn.

The peer values are in ``tests/reference/peers.json``, written by ``tests/reference/generate.py``
(run by hand, so CI needs no peer installed). Each comparison states::

    expected == scale * losskit.get(loss, **options, reduction=reduction)(y_true, y_pred, sample_weight) + offset

on a named input set; ``scale`` and ``offset`` carry the documented conventions
(docs/conventions.md): ``1 / beta`` for SmoothL1, ``0.01`` for a MAPE fraction, ``-1`` for a
cosine, ``d`` for PyTorch's sum over elements, ...

Tolerances: ``rtol`` 1e-6 in float64 and 1e-5 in float32; ``atol`` 1e-6 in float64 and 1e-5
in float32 for values near 0 (a KL divergence or deviance close to 0 is a difference of terms
of order 1, so its absolute error is that of the terms). The peers compute in float64 on the
float64 inputs; in float32 losskit gets the same inputs rounded to float32, which the float32
tolerances cover.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SELECTED, Backend

import losskit as lk

PEERS = json.loads((Path(__file__).parent / "reference" / "peers.json").read_text())
COMPARISONS = PEERS["comparisons"]
TOLERANCE = {"float64": {"rtol": 1e-6, "atol": 1e-6}, "float32": {"rtol": 1e-5, "atol": 1e-5}}


def _inputs(name: str):
    entry = PEERS["inputs"][name]
    return np.asarray(entry["y_true"]), np.asarray(entry["y_pred"], dtype=np.float64)


@pytest.mark.parametrize("comparison", COMPARISONS, ids=[c["id"] for c in COMPARISONS])
def test_agrees_with_peer(comparison, backend, dtype):
    check_peer(comparison, backend, dtype)


# on chunked dask arrays: the per-sample values (what each chunk computes) of every comparison
# without weights; the reductions and weights on dask are in test_dask.py, every option in test_catalog
PER_SAMPLE = [c for c in COMPARISONS if c["reduction"] == "none" and c["sample_weight"] is None]


@pytest.mark.skipif("dask" not in SELECTED, reason="dask is not a selected backend")
@pytest.mark.parametrize("comparison", PER_SAMPLE, ids=[c["id"] for c in PER_SAMPLE])
def test_per_sample_values_agree_with_peer_on_chunked_arrays(comparison, dtype):
    check_peer(comparison, Backend("dask"), dtype)


def check_peer(comparison, backend, dtype):
    if dtype not in comparison["dtypes"]:
        pytest.skip(f"the relation holds in {', '.join(comparison['dtypes'])} only: {comparison['relation']}")
    y_true, y_pred = _inputs(comparison["inputs"])
    sample_weight = comparison["sample_weight"]
    if sample_weight is not None:
        sample_weight = backend.to(np.asarray(sample_weight), dtype)
    loss = lk.get(comparison["loss"], **comparison["options"], reduction=comparison["reduction"])

    value = loss(backend.to(y_true, dtype), backend.to(y_pred, dtype), sample_weight=sample_weight)

    assert str(value.dtype).split(".")[-1] == dtype
    got = comparison["scale"] * backend.np(value).astype(np.float64) + comparison["offset"]
    expected = np.asarray(comparison["expected"], dtype=np.float64)
    assert got.shape == expected.shape, f"shape {got.shape}, the peer's {expected.shape}"
    np.testing.assert_allclose(got, expected, **TOLERANCE[dtype], err_msg=f"{comparison['call']}: {comparison['relation']}")


def test_every_builtin_loss_has_a_peer():
    builtins = {name for name in lk.available() if lk.get(name).info.builtin}
    compared = {c["loss"] for c in COMPARISONS}
    assert builtins - compared == set(), "losses without a peer comparison: add them to tests/reference/generate.py"
    assert compared <= builtins, f"comparisons name unknown losses: {sorted(compared - builtins)}"


def test_every_keras_loss_has_every_reduction_with_and_without_weights():
    keras = [c for c in COMPARISONS if c["peer"] == "keras"]
    for name in {c["loss"] for c in keras}:
        runs = {(c["reduction"], c["sample_weight"] is not None) for c in keras if c["loss"] == name}
        expected = {(r, w) for r in ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none") for w in (False, True)}
        assert runs == expected, f"{name}: missing Keras runs {sorted(expected - runs)}"


def test_reference_file_records_peer_versions_and_stays_small():
    assert {"keras", "torch", "optax", "scikit-learn", "scipy"} <= set(PEERS["versions"])
    assert {c["peer"] for c in COMPARISONS} == {"keras", "torch", "optax", "sklearn", "scipy"}
    assert (Path(__file__).parent / "reference" / "peers.json").stat().st_size < 1_000_000
