"""recommend and infer_task: rankings per task, the task read from y (checked against
scikit-learn's type_of_target), and every recommendation fitting its own activation."""

from __future__ import annotations

import numpy as np
import pytest

import losskit as lk
from losskit.guidance import infer_task
from losskit.guidance.recommendation import TASKS

RNG = np.random.default_rng(0)


def losses(recommendations):
    return [r.loss for r in recommendations]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("flags", [{}, {"outliers": True}, {"imbalanced": True}])
def test_every_recommendation_is_a_loss_that_fits_its_activation(task, flags):
    recommendations = lk.recommend(task, **flags)
    assert recommendations
    for r in recommendations:
        assert isinstance(r, lk.Recommendation) and r.task == task and r.reason
        assert r.loss in lk.available()  # a canonical name
        loss = lk.get(r.loss, **r.options)
        assert lk.is_compatible(r.activation, loss), (r.activation, loss)
        assert all(f.level in ("ok", "info") for f in lk.check_compatibility(r.activation, loss)), r


@pytest.mark.parametrize(
    "task, first, activation",
    [("regression", "mean_squared_error", "linear"), ("binary", "binary_crossentropy", "linear"),
     ("multiclass", "categorical_crossentropy", "linear"), ("multilabel", "binary_crossentropy", "linear"),
     ("counts", "poisson", "linear"), ("similarity", "cosine_similarity", "linear"),
     ("reinforcement", "policy_gradient", "linear"), ("distribution", "kl_divergence", "log_softmax")],
)  # fmt: skip
def test_the_first_choice_per_task(task, first, activation):
    best = lk.recommend(task)[0]
    assert (best.loss, best.activation) == (first, activation)


def test_logits_losses_are_recommended_with_from_logits():
    assert lk.recommend("binary")[0].options == {"from_logits": True}
    assert lk.recommend("counts")[0].options == {"log_input": True}


def test_outliers_put_robust_losses_first():
    ranked = losses(lk.recommend("regression", outliers=True))
    assert ranked[:3] == ["huber", "log_cosh", "mean_absolute_error"] and ranked[-1] == "mean_squared_error"
    assert losses(lk.recommend("regression"))[0] == "mean_squared_error"


def test_imbalance_puts_focal_losses_first():
    assert lk.recommend("binary", imbalanced=True)[0].loss == "binary_focal_crossentropy"
    assert lk.recommend("multiclass", imbalanced=True)[0].loss == "categorical_focal_crossentropy"
    assert lk.recommend("multilabel", imbalanced=True)[0].loss == "binary_focal_crossentropy"


def test_task_names_are_forgiving_and_checked():
    assert losses(lk.recommend("Multi-Class")) == losses(lk.recommend("multiclass"))
    with pytest.raises(ValueError, match="recommend: `task` must be one of regression, binary"):
        lk.recommend("clustering")
    with pytest.raises(ValueError, match="give a `task`"):
        lk.recommend()


# ----------------------------------------------------------------------------- the task from y
_TARGETS = {
    "binary labels": RNG.integers(0, 2, 200),
    "signed labels": RNG.choice([-1, 1], 200),
    "five classes": RNG.integers(0, 5, 200),
    "floats": RNG.normal(size=200),
    "one-hot": np.eye(4)[RNG.integers(0, 4, 200)],
    "multilabel": (RNG.random((200, 3)) < 0.5).astype(int),
    "two outputs": RNG.normal(size=(200, 2)),
}
_SKLEARN_TO_LOSSKIT = {"binary": "binary", "multiclass": "multiclass", "continuous": "regression", "continuous-multioutput": "regression"}


@pytest.mark.parametrize("name", list(_TARGETS))
def test_infer_task_agrees_with_scikit_learn(name):
    type_of_target = pytest.importorskip("sklearn.utils.multiclass").type_of_target
    y = _TARGETS[name]
    sklearn_type = type_of_target(y)
    if sklearn_type == "multilabel-indicator":  # one-hot rows are single-label multi-class for a loss
        expected = "multiclass" if np.all(y.sum(axis=1) == 1) else "multilabel"
    else:
        expected = _SKLEARN_TO_LOSSKIT[sklearn_type]
    assert infer_task(y) == expected


def test_infer_task_reads_counts_strings_and_torch():
    assert infer_task(RNG.poisson(30.0, 300)) == "counts"  # many distinct non-negative integers
    assert infer_task(np.array(["cat", "dog", "cat"])) == "binary"
    assert infer_task(np.array(["a", "b", "c", "a"])) == "multiclass"
    assert infer_task(np.array([[0.2, 0.8], [0.5, 0.5]])) == "multiclass"  # soft labels
    torch = pytest.importorskip("torch")
    assert infer_task(torch.tensor([0, 1, 1, 0])) == "binary"
    assert infer_task(torch.randn(50, requires_grad=True)) == "regression"


def test_recommend_from_y_uses_the_label_format():
    assert lk.recommend(y=np.array([0, 2, 1, 1, 2]))[0].loss == "sparse_categorical_crossentropy"
    assert lk.recommend(y=np.eye(3)[[0, 2, 1]])[0].loss == "categorical_crossentropy"
    best = lk.recommend(y=np.array([1, 2, 3, 3]))[0]
    assert "0..2" in best.reason  # labels 1..3 must be mapped to 0..2 first


def test_recommend_from_imbalanced_y_suggests_balanced_class_weights():
    y = np.repeat([0, 1], [960, 40])
    ranked = lk.recommend(y=y)
    assert ranked[0].loss == "binary_focal_crossentropy"
    weighted = ranked[1]
    assert weighted.loss == "binary_crossentropy"
    assert weighted.options["class_weight"] == [round(1000 / (2 * 960), 3), round(1000 / (2 * 40), 3)]
    assert "40 of 1000" in weighted.reason


def test_recommend_from_heavy_tailed_y_prefers_robust_losses():
    assert lk.recommend(y=RNG.standard_t(1.5, size=1000))[0].loss == "huber"
    assert lk.recommend(y=RNG.normal(size=1000))[0].loss == "mean_squared_error"


def test_recommend_from_zero_inflated_y_offers_tweedie():
    y = np.where(RNG.random(500) < 0.4, 0.0, RNG.gamma(2.0, 3.0, 500))
    assert "tweedie" in losses(lk.recommend(y=y))[:2]
    assert "tweedie" not in losses(lk.recommend(y=RNG.gamma(2.0, 3.0, 500)))


def test_an_explicit_task_wins_over_y():
    ranked = lk.recommend("counts", y=np.array([0, 1, 2, 1, 0, 3]))
    assert ranked[0].loss == "poisson" and "as asked" in ranked[0].reason


def test_bad_y_is_a_value_error():
    with pytest.raises(ValueError, match="NaN"):
        lk.recommend(y=np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        lk.recommend(y=np.zeros((2, 2, 2)))


def test_huber_delta_follows_the_spread_of_y():
    rng = np.random.default_rng(3)
    for scale in (0.01, 1.0, 250.0):
        y = scale * rng.normal(size=2000)
        [huber] = [r for r in lk.recommend("regression", y=y) if r.loss == "huber"]
        robust_sigma = 1.4826 * np.median(np.abs(y - np.median(y)))
        assert huber.options["delta"] == pytest.approx(1.345 * robust_sigma, rel=5e-3)
    [huber] = [r for r in lk.recommend("regression") if r.loss == "huber"]
    assert huber.options == {"delta": 1.0}


@pytest.mark.parametrize(("task", "first"), [("segmentation", "dice"), ("ranking", "ranking_softmax")])
def test_segmentation_and_ranking_have_recommendations(task, first):
    recommendations = lk.recommend(task)
    assert recommendations[0].loss == first and all(r.loss in lk.available() for r in recommendations)
    assert lk.recommend(task, imbalanced=True)[0].loss == ("focal_tversky" if task == "segmentation" else first)
