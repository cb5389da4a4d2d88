"""The statistics of ``losskit compare``: intervals, the paired test, Holm's adjustment and the
verdict, against SciPy and against cases whose answer is known, and the splits they rest on.

The calibration test draws many datasets from a population whose metric is known exactly,
resamples each as ``compare`` does, and counts how often the 95% interval covers the truth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")
pytest.importorskip("sklearn")

from losskit.platform import Dataset  # noqa: E402
from losskit.platform.resampling import holdout_ratio, resamples  # noqa: E402
from losskit.platform.statistics import decide, holm, interval, paired_p_value  # noqa: E402


def test_without_the_correction_the_interval_is_the_students_t_interval():
    values = np.array([0.71, 0.74, 0.69, 0.77, 0.72, 0.70, 0.75])
    mean, low, high = interval(values, test_fraction=0.0)
    expected = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values))
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx(expected)


def test_the_correction_widens_the_interval_by_the_nadeau_bengio_factor():
    values = np.array([3.1, 2.7, 3.4, 2.9, 3.0, 3.3])
    _, low0, high0 = interval(values, 0.0)
    _, low, high = interval(values, 0.25)
    factor = math.sqrt((1 / 6 + 0.25) / (1 / 6))
    assert (high - low) == pytest.approx(factor * (high0 - low0))


def test_the_paired_test_without_the_correction_is_scipys_one_sample_t_test():
    differences = np.array([0.02, 0.05, -0.01, 0.04, 0.03, 0.06, 0.00, 0.02])
    assert paired_p_value(differences, 0.0) == pytest.approx(scipy_stats.ttest_1samp(differences, 0.0).pvalue)
    assert paired_p_value(differences, 0.5) > paired_p_value(differences, 0.0)  # the correction is conservative


def test_identical_results_give_p_one_and_a_constant_gap_p_near_zero():
    assert paired_p_value(np.zeros(6), 0.3) == 1.0
    assert paired_p_value(np.full(6, 0.2), 0.3) < 1e-12


def test_holm_adjustment_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_the_verdict_names_a_best_loss_only_when_every_other_is_worse():
    rng = np.random.default_rng(0)
    base = rng.normal(10.0, 1.0, size=10)  # the split-to-split spread, shared by every loss (paired)
    clear = {"a": base, "b": base + 1.0 + 0.05 * rng.normal(size=10), "c": base + 2.0}
    verdict = decide("mae", clear, 0.25)
    assert verdict.best == ["a"] and verdict.equivalent == [] and verdict.top == "a"
    assert all(p < 0.05 for p in verdict.p_values.values())

    tied = {"a": base, "b": base + 0.01 * rng.normal(size=10), "c": base + 2.0}
    verdict = decide("mae", tied, 0.25)
    assert verdict.best == [] and set(verdict.equivalent) == {"a", "b"}
    assert "no detectable difference" in verdict.sentence("MAE") and "c is worse" in verdict.sentence("MAE")


def test_higher_is_better_metrics_rank_the_other_way():
    values = {"low": np.array([0.70, 0.71, 0.69, 0.72]), "high": np.array([0.90, 0.91, 0.89, 0.92])}
    assert decide("accuracy", values, 0.0).best == ["high"]
    assert decide("rmse", values, 0.0).best == ["low"]


def test_a_difference_below_the_negligible_threshold_is_no_difference():
    base = np.array([5.0, 5.2, 4.9, 5.1, 5.05, 4.95])
    values = {"a": base, "b": base + 1e-6}  # systematic, so the test alone would call it significant
    verdict = decide("rmse", values, 0.2)
    assert verdict.best == [] and verdict.equivalent == ["a", "b"]


def test_the_interval_is_calibrated_on_a_metric_whose_value_is_known():
    """A fixed predictor whose absolute errors are |N(0, 1)|: the population MAE is sqrt(2/pi).
    Each simulated dataset is cut into 3 repeats of 3 folds as ``compare`` cuts it; the interval
    of the per-split MAE must cover the truth in about 95% of the datasets (Nadeau-Bengio is
    known to be slightly conservative), where the uncorrected t-interval covers far less."""
    rng = np.random.default_rng(42)
    truth = math.sqrt(2 / math.pi)
    n, trials = 150, 400
    X = np.zeros((n, 1))
    covered = naive = 0
    for trial in range(trials):
        errors = np.abs(rng.normal(size=n))
        plans = resamples(Dataset("sim", X, errors, "regression", ["x"], "e"), repeats=3, folds=3, seed=trial)
        values = [errors[p.test].mean() for p in plans]
        _, low, high = interval(values, holdout_ratio(plans))
        covered += low <= truth <= high
        _, low, high = interval(values, 0.0)
        naive += low <= truth <= high
    assert 0.92 <= covered / trials <= 0.995
    assert naive / trials < 0.85  # why the correction is needed


def test_the_splits_are_paired_redrawn_per_repeat_and_partition_the_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=90)
    data = Dataset("toy", rng.normal(size=(90, 2)), y, "multiclass", ["a", "b"], "y", classes=["0", "1", "2"])
    plans = resamples(data, repeats=2, folds=3, seed=5)
    again = resamples(data, repeats=2, folds=3, seed=5)

    assert len(plans) == 6 and [p.seed for p in plans] == [5, 6, 7, 8, 9, 10]
    assert all(np.array_equal(p.test, q.test) and np.array_equal(p.train, q.train) for p, q in zip(plans, again))
    for repeat in (0, 1):
        tests = np.concatenate([p.test for p in plans if p.repeat == repeat])
        assert sorted(tests.tolist()) == list(range(90))  # each row held out once per repeat
    for p in plans:
        assert not (set(p.train) & set(p.val) or set(p.train) & set(p.test) or set(p.val) & set(p.test))
        assert len(p.train) + len(p.val) + len(p.test) == 90
        share = np.bincount(y[p.test], minlength=3)
        assert np.all(np.abs(share - np.bincount(y, minlength=3) / 3) <= 1)  # stratified: a third of each class
    assert not np.array_equal(plans[0].test, plans[3].test)  # the second repeat reshuffles
    assert holdout_ratio(plans) == pytest.approx(30 / 60)
