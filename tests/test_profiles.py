"""Loss profiles: the curve data and the drawn figure against independent float64 formulas."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import losskit as lk
from losskit.guidance.compatibility import logits_option
from losskit.guidance.profiles import kinds, plot_profiles, profile
from losskit.losses import CATALOG

EPS = 1e-7  # Keras' clip, inside poisson's log


def _softplus(x):
    return np.logaddexp(0.0, x)


def _tweedie_at_one(mu, p=1.5):
    """The Tweedie deviance at y = 1 (scikit-learn's formula); for p = 1.5, -8 + 4 mu^-0.5 + 4 mu^0.5."""
    return 2 * (1 / ((1 - p) * (2 - p)) - mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))


# (loss, kind, formula of x, derivative of x or None): target 1 for residuals, true class 1
FORMULAS = [
    ("mse", "residual", lambda x: x**2, lambda x: 2 * x),
    ("mae", "residual", np.abs, np.sign),
    ("huber", "residual", lambda x: np.where(np.abs(x) <= 1, 0.5 * x**2, np.abs(x) - 0.5), lambda x: np.clip(x, -1, 1)),
    ("log_cosh", "residual", lambda x: np.log(np.cosh(x)), np.tanh),
    (lk.get("quantile", quantile=0.9), "residual", lambda x: np.maximum(-0.9 * x, 0.1 * x), lambda x: np.where(x < 0, -0.9, 0.1)),
    ("mape", "residual", lambda x: 100 * np.abs(x), lambda x: 100 * np.sign(x)),
    ("poisson", "residual", lambda x: (1 + x) - np.log(1 + x + EPS), lambda x: 1 - 1 / (1 + x + EPS)),
    (lk.get("poisson", log_input=True), "residual", lambda x: (1 + x) - np.log(1 + x), lambda x: 1 - 1 / (1 + x)),
    ("tweedie", "residual", lambda x: _tweedie_at_one(1 + x), lambda x: 2 * (1 + x) ** -0.5 - 2 * (1 + x) ** -1.5),
    ("gaussian_nll", "residual", lambda x: 0.5 * x**2, lambda x: x),
    (lk.get("temporal_difference", delta=None), "residual", lambda x: 0.5 * x**2, lambda x: x),
    ("bce", "probability", lambda p: -np.log(p), lambda p: -1 / p),
    (lk.get("bce", from_logits=True), "margin", lambda x: _softplus(-x), lambda x: -1 / (1 + np.exp(x))),
    ("binary_focal_crossentropy", "probability", lambda p: -((1 - p) ** 2) * np.log(p), None),
    ("cce", "probability", lambda p: -np.log(p), lambda p: -1 / p),
    (lk.get("sparse_categorical_crossentropy", from_logits=True), "margin", lambda x: _softplus(-x), lambda x: -1 / (1 + np.exp(x))),
    (lk.get("kld", log_input=True), "margin", lambda x: _softplus(-x), lambda x: -1 / (1 + np.exp(x))),
    ("policy_gradient", "probability", lambda p: -np.log(p), lambda p: -1 / p),
    ("hinge", "margin", lambda x: np.maximum(1 - x, 0), lambda x: np.where(x < 1, -1.0, 0.0)),
    ("squared_hinge", "margin", lambda x: np.maximum(1 - x, 0) ** 2, lambda x: -2 * np.maximum(1 - x, 0)),
    ("categorical_hinge", "margin", lambda x: np.maximum(1 - x, 0), lambda x: np.where(x < 1, -1.0, 0.0)),
    ("cosine_similarity", "angle", lambda a: -np.cos(a), np.sin),
]


def _name(case):
    loss = case[0]
    return loss if isinstance(loss, str) else repr(loss)


def _away_from_kinks(x):
    kinks = np.array([-1.0, 0.0, 1.0])
    return np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 1e-3


@pytest.mark.parametrize("loss, kind, formula, derivative", FORMULAS, ids=[_name(c) for c in FORMULAS])
def test_profile_data_equals_the_formula(loss, kind, formula, derivative):
    curve = profile(loss, num=101)
    assert curve["kind"] == kind and curve["x"].shape == (101,) == curve["loss"].shape == curve["gradient"].shape
    np.testing.assert_allclose(curve["loss"], formula(curve["x"]), rtol=1e-9, atol=1e-12)
    if derivative is not None:
        ok = _away_from_kinks(curve["x"])
        np.testing.assert_allclose(curve["gradient"][ok], derivative(curve["x"][ok]), rtol=1e-5, atol=1e-6)


def test_classification_losses_switch_between_margin_and_probability():
    bce = profile("bce", kind="margin", num=41)
    np.testing.assert_allclose(bce["loss"], _softplus(-bce["x"]), rtol=1e-6)  # clipped at 1e-7, far from these margins
    logits = profile(lk.get("cce", from_logits=True), kind="probability", num=41)
    np.testing.assert_allclose(logits["loss"], -np.log(logits["x"]), rtol=1e-9)
    assert kinds("bce") == ("probability", "margin") and kinds(lk.get("bce", from_logits=True)) == ("margin", "probability")
    with pytest.raises(ValueError, match="`kind` for mean_squared_error must be one of residual"):
        profile("mse", kind="margin")
    with pytest.raises(ValueError, match="`num`"):
        profile("mse", num=2)


def test_a_custom_callable_is_profiled_against_the_residual():
    def cubic(y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true) ** 3, axis=-1)

    curve = profile(cubic, num=21)
    assert curve["name"] == "cubic" and curve["kind"] == "residual"
    np.testing.assert_allclose(curve["loss"], np.abs(curve["x"]) ** 3)


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_every_profile_is_finite(spec):
    option = logits_option(spec)
    for options in ({}, {option: True}) if option else ({},):
        loss = lk.get(spec.name, **options)
        for kind in kinds(loss):
            curve = profile(loss, kind, num=61)
            assert np.isfinite(curve["loss"]).all() and np.isfinite(curve["gradient"]).all(), (spec.name, options, kind)


# ----------------------------------------------------------------------------- the figure
def _lines(axis):
    return {line.get_label(): line for line in axis.get_lines() if not line.get_label().startswith("_")}


def test_the_figure_draws_the_loss_and_its_gradient():
    pytest.importorskip("matplotlib")
    figure = plot_profiles(["mse", "huber", "hinge", "bce"], num=121)
    axes = np.array(figure.axes).reshape(-1, 2)
    assert axes.shape == (3, 2)  # residual, margin, probability rows; loss and gradient columns
    mse, huber = _lines(axes[0, 0])["mean_squared_error"], _lines(axes[0, 0])["huber(delta=1.0)"]
    x = mse.get_xdata()
    for point, value in ((-3.0, 9.0), (0.0, 0.0), (1.5, 2.25), (3.0, 9.0)):  # a few points, by hand
        np.testing.assert_allclose(mse.get_ydata()[np.argmin(np.abs(x - point))], value, atol=1e-12)
    np.testing.assert_allclose(mse.get_ydata(), x**2, atol=1e-12)
    np.testing.assert_allclose(huber.get_ydata(), np.where(np.abs(x) <= 1, 0.5 * x**2, np.abs(x) - 0.5), atol=1e-12)
    gradient = _lines(axes[0, 1])["mean_squared_error"]
    np.testing.assert_allclose(gradient.get_ydata(), 2 * gradient.get_xdata(), atol=1e-6)
    hinge = _lines(axes[1, 0])["hinge"]
    np.testing.assert_allclose(hinge.get_ydata(), np.maximum(1 - hinge.get_xdata(), 0), atol=1e-12)
    bce = _lines(axes[2, 0])["binary_crossentropy(from_logits=False)"]
    assert bce.get_xdata().min() > 0 and bce.get_xdata().max() < 1
    np.testing.assert_allclose(bce.get_ydata(), -np.log(bce.get_xdata()), rtol=1e-9)
    assert "probability" in axes[2, 0].get_xlabel() and "margin" in axes[1, 0].get_xlabel()


def test_the_figure_is_written_as_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    plot_profiles("log_cosh", tmp_path / "profile.png", num=31)
    assert (tmp_path / "profile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plot_profiles(["log_cosh", "mae"], tmp_path / "profile.svg", num=31)
    svg = (tmp_path / "profile.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "log_cosh" in svg and "mean_absolute_error" in svg
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        plot_profiles("mse", tmp_path / "profile.pdf")


def test_importing_losskit_does_not_import_matplotlib():
    code = "import sys, losskit, losskit.guidance.profiles; print(sorted(m for m in ('matplotlib', 'torch', 'jax') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_gradient_of_the_angle_profile_at_its_ends():
    curve = profile("cosine_similarity", num=11)
    assert curve["x"][0] == 0.0 and math.isclose(curve["x"][-1], math.pi)
    np.testing.assert_allclose(curve["gradient"], np.sin(curve["x"]), atol=1e-6)
