"""Losses on chunked, lazy ``dask.array`` data (docs/dask.md): every loss and its gradient give the
NumPy values, the results stay lazy until computed, and what cannot run lazily says so.

References are losskit's NumPy results on the same numbers (the NumPy kernels are checked
against independent formulas and peers in test_catalog.py and test_reference.py; the small dask
runs of those tests use the ``xp`` fixture's ``dask`` backend). The sizes here are the point:
10^5 rows in 5 chunks for the whole catalog, 10^7 rows in chunks of 10^6 for a handful of
elementwise losses (about 40 MB per float32 array).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from cases import make_case

import losskit as lk
from losskit.losses import CATALOG
from losskit.losses._domain import Layout

da = pytest.importorskip("dask.array", reason='dask is not installed (pip install "losskit[dask]")')
dask = pytest.importorskip("dask")

#: The batch is the unit of these (every sample against every other): an (N, N) matrix at 10^5
#: rows, so they run at the small sizes of the ``dask`` backend tests (test_catalog, test_reference).
WHOLE_BATCH = {spec.name for spec in CATALOG if spec.layout is Layout.BATCH}
ROW_WISE = sorted(spec.name for spec in CATALOG if spec.name not in WHOLE_BATCH)
AUTODIFF = sorted(spec.name for spec in CATALOG if spec.derivative_source == "autodiff")
FLOAT32 = {"rtol": 2e-5, "atol": 1e-6}


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def chunked(a, rows):
    return da.from_array(a, chunks=(rows, *a.shape[1:]))


def _refuse(*args, **kwargs):
    raise AssertionError("a loss computed its dask result before .compute() was called")


def _close(got, expected, scale=1.0):
    np.testing.assert_allclose(got, expected, rtol=FLOAT32["rtol"], atol=FLOAT32["atol"] * scale)


@pytest.mark.parametrize("name", ROW_WISE)
def test_every_loss_and_its_gradient_on_a_chunked_array_equal_numpy(name):
    """10^5 rows (float32) in 5 chunks: per-sample values, the objective and (analytic losses) the
    gradient and Hessian, built under a scheduler that refuses to compute (so they are lazy), then
    computed and compared with NumPy's."""
    y_true, y_pred, options = make_case(name, rng_for(name, "dask"), batch=100_000)
    y_true = y_true.astype(np.float32) if y_true.dtype.kind == "f" else y_true
    y_pred = y_pred.astype(np.float32)
    loss, values = lk.get(name, **options), lk.get(name, reduction="none", **options)
    analytic = loss.spec.derivative_source == "analytic"
    yt, yp = chunked(y_true, 20_000), chunked(y_pred, 20_000)
    with dask.config.set(scheduler=_refuse):
        lazy = [values(yt, yp), loss(yt, yp)] + (list(loss.gradient_hessian(yt, yp)) if analytic else [])
    assert all(isinstance(a, da.Array) for a in lazy)
    assert lazy[0].numblocks[0] == 5  # one block of values per chunk of rows
    got = dask.compute(*lazy)
    expected = [values(y_true, y_pred), loss(y_true, y_pred)] + (list(loss.gradient_hessian(y_true, y_pred)) if analytic else [])
    for g, e in zip(got, expected):
        assert g.dtype == np.float32 and g.shape == np.shape(e)
        _close(g, e, scale=max(1.0, float(np.max(np.abs(e)))))


ELEMENTWISE = [  # a handful (about 8 s each here): every loss runs at 10^5 rows above
    ("mean_squared_error", {}),
    ("huber", {"delta": 1.0}),
    ("binary_crossentropy", {"from_logits": True}),
]


@pytest.mark.parametrize(("name", "options"), ELEMENTWISE, ids=[n for n, _ in ELEMENTWISE])
def test_elementwise_losses_on_ten_million_rows(name, options):
    """(10^7, 1) float32 arrays in chunks of 10^6 rows, generated lazily by dask: the objective,
    the per-sample values and the gradient and Hessian equal NumPy's on the same numbers."""
    rows, chunk = 10_000_000, 1_000_000
    rng = da.random.default_rng(zlib.crc32(name.encode()))
    y_pred = rng.normal(size=(rows, 1), chunks=(chunk, 1)).astype(np.float32)
    if name == "binary_crossentropy":
        y_true = (rng.random(size=(rows, 1), chunks=(chunk, 1)) < 0.3).astype(np.float32)
    else:
        y_true = rng.normal(size=(rows, 1), chunks=(chunk, 1)).astype(np.float32)
    y_np, p_np = dask.compute(y_true, y_pred)  # the same numbers, in memory, for NumPy
    loss = lk.get(name, **options)
    objective, values, (grad, hess) = loss(y_true, y_pred), lk.get(name, reduction="none", **options)(y_true, y_pred), loss.gradient_hessian(y_true, y_pred)
    assert all(isinstance(a, da.Array) for a in (objective, values, grad, hess)) and values.numblocks == (10,)
    got = dask.compute(objective, values, grad, hess)
    expected = (loss(y_np, p_np), lk.get(name, reduction="none", **options)(y_np, p_np), *loss.gradient_hessian(y_np, p_np))
    for g, e in zip(got, expected):
        assert g.dtype == np.float32 and g.shape == np.shape(e)
        _close(g, e, scale=max(1.0, float(np.max(np.abs(e)))))


@pytest.mark.parametrize("name", AUTODIFF)
def test_structured_losses_refuse_a_dask_gradient_clearly(name):
    """Their exact gradient is PyTorch or JAX autodiff (docs/derivatives.md): a dask array gets the
    ValueError NumPy gets, naming the loss, the argument and what it was; their values run lazily."""
    y_true, y_pred, options = make_case(name, rng_for(name, "autodiff"))
    yt, yp = chunked(y_true, 4), chunked(y_pred, 4)
    with pytest.raises(ValueError, match=rf"{name}: the loss has no analytic derivatives; pass `y_pred` as a PyTorch or JAX array .* got dask\.array"):
        lk.get(name, **options).gradient(yt, yp)
    np.testing.assert_allclose(lk.get(name, reduction="none", **options)(yt, yp).compute(), lk.get(name, reduction="none", **options)(y_true, y_pred), rtol=1e-12)


def test_reductions_and_sample_weights_on_dask():
    rng = rng_for("weights")
    y_true, y_pred, w = rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3)), rng.uniform(0, 2, size=1000)
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none"):
        loss = lk.get("huber", reduction=reduction)
        got = loss(chunked(y_true, 300), chunked(y_pred, 300), sample_weight=chunked(w, 300))
        assert isinstance(got, da.Array)
        np.testing.assert_allclose(got.compute(), loss(y_true, y_pred, sample_weight=w), rtol=1e-12)
    grad = lk.get("huber").gradient(chunked(y_true, 300), chunked(y_pred, 300), chunked(w, 300))
    np.testing.assert_allclose(grad.compute(), lk.get("huber").gradient(y_true, y_pred, w), rtol=1e-12)


def test_value_checks_skip_on_lazy_arrays_but_shapes_are_checked():
    """Reading values would compute the graph: a dask array's values are not checked (as a traced
    JAX array's are not), its shapes are, at the call."""
    labels = chunked(np.full((8, 1), 2.0), 4)  # 2 is outside [0, 1]: NumPy would refuse it
    assert isinstance(lk.binary_crossentropy(labels, chunked(np.full((8, 1), 0.5), 4)), da.Array)
    with pytest.raises(ValueError, match=r"binary_crossentropy: `y_true` must be values in \[0, 1\]; got min=2, max=2"):
        lk.binary_crossentropy(np.full((8, 1), 2.0), np.full((8, 1), 0.5))
    with pytest.raises(ValueError, match=r"mean_squared_error: `y_true` and `y_pred` must have the same shape; got y_true \(8, 2\) and y_pred \(8, 3\)"):
        lk.mean_squared_error(chunked(np.zeros((8, 2)), 4), chunked(np.zeros((8, 3)), 4))


def test_a_loss_over_a_distributed_cluster():
    """docs/dask.md's example on an in-process cluster: the objective and per-sample values."""
    distributed = pytest.importorskip("dask.distributed")
    rng = rng_for("cluster")
    y_true, y_pred = rng.normal(size=(20_000, 2)), rng.normal(size=(20_000, 2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster):  # the default scheduler from here on
        y, p = chunked(y_true, 5_000), chunked(y_pred, 5_000)
        objective = lk.get("mse")(y, p).compute()
        per_sample = lk.get("mse", reduction="none")(y, p).compute()
        lovasz = lk.get("lovasz_hinge", reduction="none")(chunked((y_true > 0) * 1.0, 5_000), p).compute()
    np.testing.assert_allclose(objective, lk.get("mse")(y_true, y_pred), rtol=1e-12)
    np.testing.assert_allclose(per_sample, lk.get("mse", reduction="none")(y_true, y_pred), rtol=1e-12)
    np.testing.assert_allclose(lovasz, lk.get("lovasz_hinge", reduction="none")((y_true > 0) * 1.0, y_pred), rtol=1e-12)
