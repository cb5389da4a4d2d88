"""The link of every loss (``loss.link``): raw outputs -> predictions and back, on every backend.

For every loss with a raw-output form (``loss.link.option`` is ``from_logits`` or
``log_input``), the loss on raw outputs equals the loss on the predictions its link makes of
them: ``lk.get(name, from_logits=True)(y, raw) == lk.get(name)(y, link.inverse(raw))`` (DESIGN.md
section 7). The expected side runs the loss's *probability* (or mean, or variance) path, a
different kernel from the raw one, so a wrong link or a wrong kernel fails here.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import losskit as lk
from cases import make_case
from conftest import assert_close
from losskit.losses import CATALOG

RAW_FORM = sorted(spec.name for spec in CATALOG if spec.link.option is not None)
TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 1e-6}, "float64": {"rtol": 2e-6, "atol": 1e-12}}


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def raw_outputs(link_name: str, shape, rng) -> np.ndarray:
    """Moderate raw outputs of a model feeding the link (float64 NumPy)."""
    if link_name in ("logit", "softmax"):
        return np.clip(rng.normal(scale=1.5, size=shape), -4.0, 4.0)
    if link_name == "log":
        return np.clip(rng.normal(scale=0.5, size=shape), -1.5, 1.5)
    if link_name == "log_softmax":
        return _log_softmax(rng.normal(size=shape))
    if link_name == "log_variance":
        d = shape[-1] // 2
        return np.concatenate([rng.normal(size=shape[:-1] + (d,)), np.clip(rng.normal(scale=0.5, size=shape[:-1] + (d,)), -1.5, 1.5)], axis=-1)
    raise KeyError(f"no raw outputs for link {link_name!r}: add them to tests/test_links.py")


def test_the_raw_form_losses_are_the_ones_with_a_from_logits_or_log_input_option():
    for spec in CATALOG:
        has_option = {"from_logits", "log_input"} & set(spec.defaults)
        assert bool(has_option) == (spec.link.option is not None), spec.name
        if has_option:
            assert has_option == {spec.link.option}, spec.name


@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", RAW_FORM)
def test_the_raw_form_equals_the_loss_of_the_inverse_link(name, backend, dtype):
    y_true, y_pred, options = make_case(name, rng_for(name))
    raw_loss = lk.get(name, **{lk.get(name).link.option: True}, **options)
    raw = raw_outputs(raw_loss.link.name, y_pred.shape, rng_for(name, "raw"))
    yt, xb = backend.to(y_true, dtype), backend.to(raw, dtype)
    prediction = raw_loss.link.inverse(xb)
    expected = lk.get(name, **options).values(yt, prediction)
    assert_close(raw_loss.values(yt, xb), backend.np(expected).astype(np.float64), backend, dtype=dtype, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", RAW_FORM)
def test_the_inverse_link_gives_predictions_in_the_loss_domain(name, backend, dtype):
    loss = lk.get(name)
    _, y_pred, _ = make_case(name, rng_for(name))
    raw = backend.to(raw_outputs(loss.link.name, y_pred.shape, rng_for(name, "domain")), dtype)
    prediction = loss.link.inverse(raw)
    assert str(prediction.dtype).split(".")[-1] == dtype and tuple(prediction.shape) == y_pred.shape
    got = backend.np(prediction)
    domain = loss.spec.y_pred
    if name == "gaussian_nll":
        got = got[..., y_pred.shape[-1] // 2 :]  # the variances; the means are real
        domain = lk.Interval(0.0, np.inf)
    assert np.all(np.asarray(domain.contains(got, np))), (name, got.min(), got.max())


@pytest.mark.parametrize("name", sorted(spec.name for spec in CATALOG))
def test_the_link_inverts_its_inverse(name, backend, dtype):
    """``inverse(link(p)) == p`` for predictions ``p`` the inverse link can make."""
    loss = lk.get(name)
    _, y_pred, _ = make_case(name, rng_for(name))
    link_name = loss.link.name
    raw = y_pred if link_name == "identity" else raw_outputs(link_name, y_pred.shape, rng_for(name, "inverse"))
    prediction = loss.link.inverse(backend.to(raw, dtype))
    again = loss.link.inverse(loss.link(prediction))
    assert_close(again, backend.np(prediction).astype(np.float64), backend, dtype=dtype, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7)


@pytest.mark.parametrize(
    ("link", "raw", "expected"),
    [
        ("logit", [0.0, 2.0, -1000.0], [0.5, 1.0 / (1.0 + np.exp(-2.0)), 0.0]),
        ("log", [0.0, 1.0], [1.0, np.e]),
        ("softmax", [[0.0, np.log(3.0)]], [[0.25, 0.75]]),
        ("log_softmax", [[np.log(0.25), np.log(0.75)]], [[0.25, 0.75]]),
        ("log_variance", [[1.5, 0.0, -2.0, np.log(4.0)]], [[1.5, 0.0, np.exp(-2.0), 4.0]]),
    ],
)
def test_each_link_by_its_formula(link, raw, expected):
    loss = next(lk.get(spec.name) for spec in CATALOG if spec.link.name == link)
    np.testing.assert_allclose(loss.link.inverse(np.array(raw)), expected, rtol=1e-15, atol=1e-300)


def test_a_custom_callable_has_the_identity_link_and_no_target():
    loss = lk.get(lambda y_true, y_pred: (y_pred - y_true) ** 2)
    assert loss.link.name == "identity" and loss.link.option is None
    assert loss.info.target is None
    np.testing.assert_array_equal(loss.link.inverse(np.array([1.0, -2.0])), [1.0, -2.0])
