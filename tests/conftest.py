"""Shared fixtures: ``xp`` runs a test on every installed array library, ``dtype`` on both floats.

Select backends with ``LOSSKIT_BACKENDS=numpy,torch`` (default: all five). A backend that is
not installed is skipped with a visible reason.

``dask`` (``dask.array``: chunked along the first axis, lazy) joins only the tests marked
``@pytest.mark.lazy`` (the value and gradient tests: formulas, peers, derivatives, links), so the
hypothesis properties and the error tests do not run once more per chunked array; results are
compared after ``.compute()``, and :func:`assert_close` checks that they were still lazy.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask")
SELECTED = [b for b in os.environ.get("LOSSKIT_BACKENDS", ",".join(BACKENDS)).split(",") if b]
LAZY = ("dask",)  # backends only the tests marked `lazy` run on
#: Rows per chunk of a dask test array: six samples are two chunks (a loss must combine chunks).
CHUNK_ROWS = 4


def _namespace(name: str):
    if name == "numpy":
        import array_api_compat.numpy as xp

        return xp
    if name == "array_api_strict":
        return pytest.importorskip("array_api_strict", reason="array_api_strict is not installed")
    if name == "torch":
        pytest.importorskip("torch", reason="torch is not installed (pip install losskit[torch])")
        import array_api_compat.torch as xp

        return xp
    if name == "jax":
        jax = pytest.importorskip("jax", reason="jax is not installed (pip install losskit[jax])")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as xp

        return xp
    if name == "dask":
        pytest.importorskip("dask.array", reason='dask is not installed (pip install "losskit[dask]")')
        import array_api_compat.dask.array as xp

        return xp
    raise ValueError(f"unknown backend {name!r}")


class Backend:
    """An array library under test: ``to(array_np, dtype)`` makes its arrays, ``np(x)`` reads them back."""

    def __init__(self, name: str):
        self.name = name
        self.xp = _namespace(name)

    def dtype(self, name: str):
        return getattr(self.xp, name)

    def to(self, a, dtype: str | None = None):
        a = np.asarray(a)
        if dtype is not None and a.dtype.kind == "f":
            a = a.astype(dtype)
        if self.name == "numpy":
            return a
        if self.name == "torch":
            import torch

            return torch.from_numpy(np.ascontiguousarray(a))
        if self.name == "dask":
            import dask.array as da

            return da.from_array(a, chunks=(CHUNK_ROWS, *a.shape[1:]) if a.ndim else ())
        return self.xp.asarray(a)

    def np(self, x) -> np.ndarray:
        if self.name == "torch":
            return x.detach().cpu().numpy()
        if self.name == "array_api_strict":
            return np.asarray(x._array)
        if self.name == "dask":  # in this thread: small test arrays gain nothing from a thread pool
            return np.asarray(x.compute(scheduler="synchronous"))
        return np.asarray(x)

    def __repr__(self) -> str:
        return self.name


def pytest_configure(config):
    config.addinivalue_line("markers", "lazy: also run on the lazy, chunked backends (dask.array)")


def pytest_generate_tests(metafunc):
    """``backend`` takes every selected library; the lazy ones only for tests marked ``lazy``."""
    if "backend" in metafunc.fixturenames:
        lazy = metafunc.definition.get_closest_marker("lazy") is not None
        metafunc.parametrize("backend", [b for b in SELECTED if lazy or b not in LAZY], indirect=True)


@pytest.fixture
def backend(request) -> Backend:
    return Backend(request.param)


@pytest.fixture
def xp(backend):
    return backend.xp


@pytest.fixture(params=["float32", "float64"])
def dtype(request) -> str:
    return request.param


def assert_close(actual, expected, backend: Backend, *, dtype: str, rtol: float | None = None, atol: float = 0.0):
    """Compare ``actual`` (an array of ``backend``) with a float64 NumPy ``expected``; also checks
    the namespace, dtype and shape."""
    import array_api_compat

    assert array_api_compat.array_namespace(actual).__name__ == array_api_compat.array_namespace(backend.to(np.zeros(1))).__name__
    if backend.name in LAZY:
        assert array_api_compat.is_lazy_array(actual), f"{type(actual).__name__}: computed before it was asked to be"
    assert str(actual.dtype).split(".")[-1] == dtype, f"dtype {actual.dtype}, expected {dtype}"
    got = backend.np(actual)
    assert got.shape == np.shape(expected), f"shape {got.shape}, expected {np.shape(expected)}"
    if rtol is None:
        rtol = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
