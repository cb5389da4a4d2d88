"""Ranking losses as XGBoost and LightGBM objectives with query groups (integrations/_ranking.py).

References: PyTorch autograd of each ranking loss written here in torch, one query group at a
time (the gradient, and the Hessian diagonal from the full per-group Hessian), and XGBoost's and
LightGBM's native rankers (``rank:pairwise``, ``lambdarank``) for the end-to-end NDCG. Tests that
train skip with a visible reason when the library is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from losskit import lightgbm as lkl
from losskit import xgboost as lkx

torch = pytest.importorskip("torch")
F = torch.nn.functional

RANKING = ["pairwise_logistic", "ranking_softmax", "pairwise_hinge", "listmle"]
EXACT_HESSIAN = {"pairwise_logistic", "ranking_softmax", "listmle"}  # pairwise_hinge: a surrogate (exact is 0)
SIZES = np.array([4, 1, 6, 4, 3, 6, 4])  # unequal groups, one of a single document


def _torch_loss(name, relevance, s):
    """The loss of one list (``relevance`` a NumPy array), written in torch from its definition
    (losses/ranking.py docstrings)."""
    y = torch.as_tensor(relevance)
    ahead = (y[:, None] > y[None, :]).double()
    difference = s[:, None] - s[None, :]
    if name == "pairwise_logistic":
        return (ahead * F.softplus(-difference)).sum()
    if name == "pairwise_hinge":
        return (ahead * F.relu(1.0 - difference)).sum()
    if name == "ranking_softmax":
        return -(y * F.log_softmax(s, dim=0)).sum()
    order = torch.as_tensor(np.argsort(-relevance, kind="stable"))  # listmle: decreasing relevance, ties in place
    ordered = s[order]
    tails = torch.logcumsumexp(ordered.flip(0), dim=0).flip(0)
    return (tails - ordered).sum()


def _autodiff(name, labels, margins, sizes, weights=None):
    """Per group: w_g times torch's gradient and Hessian diagonal of the loss of that list."""
    grad, hess = np.zeros_like(margins), np.zeros_like(margins)
    start = 0
    for g, size in enumerate(sizes):
        rows = slice(start, start + size)
        y, s = labels[rows], torch.as_tensor(margins[rows])
        w = 1.0 if weights is None else weights[g]
        def loss(x, y=y):
            return _torch_loss(name, y, x)

        grad[rows] = w * torch.func.grad(loss)(s).numpy()
        hess[rows] = w * torch.diagonal(torch.func.hessian(loss)(s)).numpy()
        start += size
    return grad, hess


def _ranking_data(rng, sizes=SIZES):
    n = int(np.sum(sizes))
    return rng.integers(0, 4, size=n).astype(np.float64), rng.normal(scale=1.5, size=n)


@pytest.mark.parametrize("name", RANKING)
def test_objective_is_the_autodiff_gradient_and_hessian_per_group(name):
    rng = np.random.default_rng(1)
    labels, margins = _ranking_data(rng)
    weights = rng.uniform(0.5, 2.0, size=SIZES.size)
    for w in (None, weights):
        grad, hess = lkx.objective(name, group=SIZES)(labels, margins, w)
        expected_grad, expected_hess = _autodiff(name, labels, margins, SIZES, w)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
        if name in EXACT_HESSIAN:  # the exact Hessian is positive; floored at 1e-16 (a lone document: 0)
            np.testing.assert_allclose(hess, np.maximum(expected_hess, 1e-16), rtol=1e-10, atol=1e-12)
        else:
            assert np.all(hess > 0)
    lone = np.cumsum(SIZES)[SIZES == 1] - 1
    assert np.all(grad[lone] == 0.0)  # a query of one document has no order to learn


@pytest.mark.parametrize("name", RANKING)
def test_groups_from_the_data_equal_groups_passed(name):
    xgb, lgb = pytest.importorskip("xgboost"), pytest.importorskip("lightgbm")
    rng = np.random.default_rng(2)
    labels, margins = _ranking_data(rng)
    X = rng.normal(size=(labels.size, 3))
    expected = lkx.objective(name, group=SIZES)(labels, margins)
    qid = np.repeat(np.arange(SIZES.size), SIZES)
    for data in (xgb.DMatrix(X, label=labels, qid=qid), xgb.DMatrix(X, label=labels, group=SIZES),
                 lgb.Dataset(X, label=labels, group=SIZES, params={"verbose": -1}).construct()):
        objective = (lkx if isinstance(data, xgb.DMatrix) else lkl).objective(name)
        grad, hess = objective(margins.astype(np.float32), data)
        assert grad.dtype == np.float32 and grad.shape == margins.shape
        np.testing.assert_allclose(grad, expected[0], rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(hess, expected[1], rtol=2e-5, atol=1e-6)
    # the metrics read the same groups: (name, value) for XGBoost, (name, value, False) for LightGBM
    value = lkx.metric(name, group=SIZES)(labels, margins)
    reported = lkx.metric(name)(margins, xgb.DMatrix(X, label=labels, qid=qid))
    assert reported[0] == name and reported[1] == pytest.approx(value, rel=1e-6)
    assert lkl.metric(name)(margins, data)[1] == pytest.approx(value, rel=1e-6)
    # LightGBM's scikit-learn form: objective(y_true, y_pred, weight, group), per-document weights
    per_doc = np.repeat(np.arange(1.0, SIZES.size + 1), SIZES)
    grad, _ = lkl.objective(name)(labels, margins, per_doc, SIZES)
    np.testing.assert_allclose(grad, _autodiff(name, labels, margins, SIZES, np.arange(1.0, SIZES.size + 1))[0], rtol=1e-10, atol=1e-12)


def test_metric_is_the_mean_loss_over_the_groups():
    rng = np.random.default_rng(3)
    labels, margins = _ranking_data(rng)
    per_group, start = [], 0
    for size in SIZES:
        rows = slice(start, start + size)
        per_group.append(float(_torch_loss("pairwise_logistic", labels[rows], torch.as_tensor(margins[rows]))))
        start += size
    weights = rng.uniform(0.5, 2.0, size=SIZES.size)
    assert lkx.metric("pairwise_logistic", group=SIZES)(labels, margins) == pytest.approx(np.mean(per_group), rel=1e-12)
    name, value, higher_is_better = lkl.metric("pairwise_logistic")(labels, margins, weights, SIZES)
    assert (name, higher_is_better) == ("pairwise_logistic", False)
    assert value == pytest.approx(np.sum(weights * per_group) / np.sum(weights), rel=1e-12)


def test_bad_groups_and_weights_are_refused_naming_the_loss():
    labels, margins = _ranking_data(np.random.default_rng(4))
    with pytest.raises(ValueError, match=r"losskit.xgboost.objective: pairwise_logistic is a ranking loss and needs the query groups; got none"):
        lkx.objective("pairwise_logistic")(labels, margins)
    with pytest.raises(ValueError, match=r"query groups must cover every document: sizes summing to 28; got 2 groups summing to 7"):
        lkx.objective("pairwise_logistic", group=[3, 4])(labels, margins)
    for bad in ([2, 0, 26], [1.5, 26.5], ["a"], []):
        with pytest.raises(ValueError, match=r"pairwise_logistic: `group` must be the query group sizes, positive integers; got"):
            lkl.objective("pairwise_logistic", group=bad)
    with pytest.raises(ValueError, match=r"`weight` must hold one weight per query group \(7\), or per document \(28\) constant within each group; got 28"):
        lkl.objective("ranking_softmax", group=SIZES)(labels, margins, np.arange(28.0))
    with pytest.raises(ValueError, match=r"losskit.lightgbm.objective: huber: `group` \(query group sizes\) is for ranking losses"):
        lkl.objective("huber", group=SIZES)
    # where no groups can reach the loss (CatBoost's objective, the regressors' margins), it says so
    from losskit import catboost as lkc

    for make in (lambda: lkc.objective("listmle"), lambda: lkx.base_score("pairwise_logistic", labels),
                 lambda: lkl.init_score("ranking_softmax", labels)):
        with pytest.raises(ValueError, match=r"cannot be a gradient-boosting objective: it scores the documents of each query group"):
            make()


def _queries(rng, queries, documents):
    """Documents with 6 features; graded relevance 0-3 from a noisy, partly non-linear score."""
    X = rng.normal(size=(queries * documents, 6))
    score = X @ np.array([1.0, -0.7, 0.5, 0.0, 0.0, 0.3]) + 0.5 * np.sin(3.0 * X[:, 3]) + rng.normal(scale=0.5, size=len(X))
    return X, np.digitize(score, [-0.5, 0.5, 1.5]).astype(np.float64), np.full(queries, documents)


def _ndcg_at_10(scores, labels, sizes):
    from sklearn.metrics import ndcg_score

    bounds = np.cumsum(sizes)[:-1]
    return float(np.mean([ndcg_score(y[None], s[None], k=10) for y, s in zip(np.split(labels, bounds), np.split(scores, bounds))]))


def test_xgboost_ranker_with_pairwise_logistic_reaches_native_rank_pairwise_ndcg():
    """Not the same trees (XGBoost's rank:pairwise samples pairs and weighs them its own way), so
    NDCG@10 on held-out queries within 0.05 of the native ranker's, and far above random scores."""
    xgb = pytest.importorskip("xgboost")
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(5)
    (X, y, sizes), (X_test, y_test, sizes_test) = _queries(rng, 100, 20), _queries(rng, 60, 20)
    train = xgb.DMatrix(X, label=y, qid=np.repeat(np.arange(sizes.size), sizes))
    params = {"eta": 0.1, "max_depth": 4, "nthread": 1}
    native = xgb.train({**params, "objective": "rank:pairwise"}, train, 60)
    ours = xgb.train(params, train, 60, obj=lkx.objective("pairwise_logistic"))
    test = xgb.DMatrix(X_test)
    native_ndcg = _ndcg_at_10(native.predict(test), y_test, sizes_test)
    ours_ndcg = _ndcg_at_10(ours.predict(test, output_margin=True), y_test, sizes_test)
    random_ndcg = _ndcg_at_10(rng.normal(size=y_test.size), y_test, sizes_test)
    assert abs(ours_ndcg - native_ndcg) < 0.05, (ours_ndcg, native_ndcg)
    assert ours_ndcg > random_ndcg + 0.2, (ours_ndcg, random_ndcg)


def test_lightgbm_ranker_with_losskit_objectives_reaches_lambdarank_ndcg():
    """lgb.train with a Dataset's groups, and LGBMRanker (its four-argument objective call)."""
    lgb = pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(6)
    (X, y, sizes), (X_test, y_test, sizes_test) = _queries(rng, 100, 20), _queries(rng, 60, 20)
    params = {"learning_rate": 0.1, "num_leaves": 15, "verbose": -1, "num_threads": 1}
    native = lgb.train({**params, "objective": "lambdarank"}, lgb.Dataset(X, y, group=sizes), 60)
    ours = lgb.train({**params, "objective": lkl.objective("pairwise_logistic")}, lgb.Dataset(X, y, group=sizes), 60)
    ranker = lgb.LGBMRanker(objective=lkl.objective("ranking_softmax"), n_estimators=60, num_leaves=15, verbose=-1, n_jobs=1)
    ranker.fit(X, y, group=sizes)
    native_ndcg = _ndcg_at_10(native.predict(X_test), y_test, sizes_test)
    random_ndcg = _ndcg_at_10(rng.normal(size=y_test.size), y_test, sizes_test)
    for scores in (ours.predict(X_test, raw_score=True), ranker.predict(X_test, raw_score=True)):
        ndcg = _ndcg_at_10(scores, y_test, sizes_test)
        assert abs(ndcg - native_ndcg) < 0.05, (ndcg, native_ndcg)
        assert ndcg > random_ndcg + 0.2, (ndcg, random_ndcg)
