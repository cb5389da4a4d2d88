"""``losskit compare`` end to end: the command (``python -m losskit.cli``, from the losskit this
test imports) on bundled datasets and CSV files, the report it writes, and how it fails (bad
data: exit 2 with one line; Ctrl-C and diverging losses: a report of what finished)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

for _module in ("torch", "sklearn", "matplotlib", "rich"):
    pytest.importorskip(_module, reason=f"losskit compare needs {_module} (pip install losskit[platform])")

import losskit as lk  # noqa: E402
from losskit.platform import compare, load_bundled, write_report  # noqa: E402
from losskit.platform.cli import compare_main  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
SOURCE = str(Path(lk.__file__).resolve().parents[1])  # the losskit under test, for the subprocess too
FAST = ("--repeats", "1", "--folds", "2")  # 2 paired splits: enough for an interval, quick


def losskit_compare(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "140", "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "losskit.cli", "compare", *args], capture_output=True, text=True, timeout=timeout, env=env)


def read_report(out):
    history = json.loads((out / "history.json").read_text(encoding="utf-8"))
    return history, (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    out = tmp_path_factory.mktemp("diabetes") / "report"
    return losskit_compare("--dataset", "diabetes", "--epochs", "3", *FAST, "--out", str(out)), out


@pytest.fixture(scope="module")
def breast_cancer(tmp_path_factory):
    out = tmp_path_factory.mktemp("breast_cancer") / "report"
    losses = "bce,hinge,binary_focal_crossentropy(gamma=1.0)"
    return losskit_compare("--dataset", "breast_cancer", "--epochs", "3", *FAST, "--losses", losses, "--out", str(out)), out


# ----------------------------------------------------------------------------- bundled datasets
@pytest.mark.parametrize("name", ["diabetes", "breast_cancer"])
def test_every_loss_has_finite_training_and_validation_values_at_every_epoch(name, request):
    result, out = request.getfixturevalue(name)
    assert result.returncode == 0, result.stderr
    history, _ = read_report(out)

    assert history["dataset"]["name"] == name and not history["interrupted"]
    assert len(history["runs"]) >= 2
    for run in history["runs"]:
        assert run["status"] == "completed" and run["epochs"] == 3, run["label"]
        losses, val_losses = run["history"]["loss"], run["history"]["val_loss"]
        assert len(losses) == len(val_losses) == 3
        assert all(v is not None and math.isfinite(v) for v in losses + val_losses)
        assert losses[-1] < losses[0], run["label"]  # training makes the training loss go down
        for metric in run["test"]:
            train, val = run["history"][metric], run["history"]["val_" + metric]
            assert len(train) == len(val) == 3
            if run["test"][metric] is None:  # undefined for this loss (log loss of a margin)
                assert train == val == [None] * 3
            else:
                assert all(v is not None and math.isfinite(v) for v in train + val), (run["label"], metric)


def test_regression_defaults_to_the_recommended_losses_and_a_verdict_on_the_median_absolute_error(diabetes):
    result, out = diabetes
    history, html = read_report(out)

    y = load_bundled("diabetes").y
    expected = [lk.get(r.loss).name for r in lk.recommend("regression", y=y)][:4]
    assert [run["loss"] for run in history["runs"]] == expected
    assert all(run["label"].startswith(run["loss"]) for run in history["runs"])
    assert history["schema_version"] >= 2 and len(history["splits"]) == 2
    assert history["metrics"] == ["mae", "rmse", "r2", "medae"] and history["metric"] == "medae"
    verdict = history["verdict"]
    assert verdict["metric"] == "medae" and "Nadeau-Bengio" in verdict["method"]
    labels = [run["label"] for run in history["runs"]]
    assert set(verdict["best"] + verdict["equivalent"]) <= set(labels) and (verdict["best"] or verdict["equivalent"])
    medae = {run["label"]: run["summary"]["medae"]["mean"] for run in history["runs"]}
    assert verdict["top"] == min(medae, key=medae.get)
    if verdict["best"]:
        assert f"★ {verdict['best'][0]}" in result.stdout
    else:
        assert "no detectable difference" in " ".join(result.stdout.split()) and "no detectable difference" in html
    assert "<th class=ranked>median abs. error ↓</th><th>MAE ↓</th><th>RMSE ↓</th><th>R² ↑</th>" in html  # the ranking metric first


def test_classification_report_has_each_loss_curves_the_metrics_table_and_the_findings(breast_cancer):
    result, out = breast_cancer
    history, html = read_report(out)

    labels = [run["label"] for run in history["runs"]]
    assert labels == ["binary_crossentropy", "hinge", "binary_focal_crossentropy(gamma=1.0)"]
    assert history["metrics"] == ["accuracy", "balanced_accuracy", "log_loss", "brier", "f1", "roc_auc", "average_precision"]
    assert history["metric"] == "average_precision"
    hinge = history["runs"][1]
    assert hinge["test"]["log_loss"] is None and 0.5 < hinge["test"]["roc_auc"] <= 1.0
    for label in labels:
        assert f"<figcaption>{label} " in html  # its training and validation curves
    # the intervals, the overview, one figure per loss, ROC/PR, calibration, confusion matrices, the profiles
    assert html.count('<img src="data:image/png;base64,') == len(labels) + 6
    assert '<table class="results">' in html and "The evidence" in html and "ROC AUC" in html
    assert html.count('class="star"') == len(history["verdict"]["best"])
    assert "Compatibility findings" in html and "Loss profiles" in html and "Evaluation on held-out rows" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch
    assert 'http-equiv="refresh"' not in html  # the final page stops reloading
    figures = sorted((out / "figures").glob("*.png"))
    assert sorted(f.name for f in figures) == history["figures"]
    assert len(figures) == len(labels) + 6 and all(f.read_bytes().startswith(PNG) for f in figures)
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- CSV files
def write_csv(path, rows, header):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mixed_csv(tmp_path):
    """Numeric and categorical features, missing values, an identifier column, a numeric target."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(80):
        x1, x2 = rng.normal(), rng.normal()
        color = ["red", "green", "blue"][i % 3]
        y = 2 * x1 - x2 + (1.5 if color == "red" else 0.0) + 0.1 * rng.normal()
        rows.append([f"id{i}", "" if i % 10 == 3 else f"{x1:.4f}", f"{x2:.4f}", "NA" if i % 17 == 5 else color, f"{y:.4f}"])
    return write_csv(tmp_path / "mixed.csv", rows, ["id", "x1", "x2", "color", "y"])


def test_a_csv_with_categorical_features_and_missing_values_and_the_force_flag(mixed_csv, tmp_path):
    out = tmp_path / "report"
    assert compare_main(["--csv", str(mixed_csv), "--target", "y", "--epochs", "2", *FAST, "--losses", "mse,mae", "--out", str(out), "--quiet"]) == 0
    history, _ = read_report(out)
    data = history["dataset"]
    assert data["task"] == "regression" and data["n_samples"] == 80
    assert data["n_features"] == 2 + 4  # x1, x2 and color one-hot: blue, green, red, (missing)
    notes = " ".join(data["notes"])
    assert "'id' dropped" in notes and "'x1': 8 missing values imputed" in notes and "'color': one-hot" in notes

    page = (out / "report.html").read_bytes()
    refused = losskit_compare("--csv", str(mixed_csv), "--target", "y", "--epochs", "1", "--out", str(out))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    assert (out / "report.html").read_bytes() == page  # untouched

    (out / "figures" / "mine.png").write_bytes(PNG)  # a file the report did not write: kept
    assert compare_main(["--csv", str(mixed_csv), "--target", "y", "--epochs", "1", *FAST, "--losses", "huber", "--out", str(out), "--force", "--quiet"]) == 0
    history, _ = read_report(out)
    assert [run["label"] for run in history["runs"]] == ["huber"]
    assert [f.name for f in (out / "figures").glob("curves-*.png")] == ["curves-01-huber.png"]
    assert (out / "figures" / "mine.png").read_bytes() == PNG


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda d: ["--csv", str(write_csv(d / "a.csv", [[1, 2]] * 20, ["x", "y"])), "--target", "price"], "has no column 'price'"),
        (
            lambda d: ["--csv", str(write_csv(d / "b.csv", [[i, ["low", "high"][i % 2]] for i in range(20)], ["x", "y"])), "--target", "y", "--task", "regression"],
            "the regression target 'y' must be numeric",
        ),
        (lambda d: ["--csv", str(write_csv(d / "c.csv", [[i, "yes"] for i in range(20)], ["x", "y"])), "--target", "y"], "single class"),
        (lambda d: ["--csv", str(write_csv(d / "d.csv", [[i, i] for i in range(20)], ["x", "y"]))], "--csv needs --target"),
        (lambda d: ["--csv", str(d / "missing.csv"), "--target", "y"], "no such CSV file"),
        (lambda d: ["--losses", "mse,hubber"], "did you mean huber"),
        (lambda d: ["--losses", "huber(delta=-1)"], "huber: `delta` must be"),
        (lambda d: ["--epochs", "0"], "--epochs is out of range"),
        (lambda d: ["--folds", "0"], "--folds is out of range"),
        (lambda d: ["--dataset", "breast_cancer", "--metric", "rmse"], "--metric must be one of accuracy"),
        (lambda d: ["--losses", "mse@swish"], "the activation of 'mse@swish' must be one of"),
        (lambda d: ["--model", "xgboost", "--losses", "bce@sigmoid"], "applies to --model mlp or linear"),
        (lambda d: ["--model", "forest"], "invalid choice: 'forest'"),
        (lambda d: ["--dataset", "mnist"], "invalid choice: 'mnist'"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(make_args, expected, tmp_path, capsys):
    status = compare_main([*make_args(tmp_path), "--quiet", "--out", str(tmp_path / "out")])
    stderr = capsys.readouterr().err
    assert status == 2
    assert stderr.count("\n") == 1 and stderr.startswith("losskit compare: "), stderr
    assert expected in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out").exists()


def test_the_command_line_reports_a_usage_error_without_a_traceback(tmp_path):
    result = losskit_compare("--losses", "mse,hubber", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "did you mean huber" in result.stderr


# ----------------------------------------------------------------------------- robustness
def test_ctrl_c_keeps_and_reports_the_losses_already_finished(tmp_path):
    import torch

    calls = {"n": 0}

    def interrupted_mse(y_true, y_pred):
        calls["n"] += 1
        if calls["n"] == 30:  # in the third epoch (9 batches and 2 evaluations an epoch): as if Ctrl-C were pressed
            raise KeyboardInterrupt
        return torch.mean((y_pred - y_true) ** 2, dim=-1)

    comparison = compare(load_bundled("diabetes"), ["mse", interrupted_mse, "mae"], epochs=3, repeats=1, folds=1)
    write_report(comparison, tmp_path / "report")
    history, html = read_report(tmp_path / "report")

    assert history["interrupted"] and history["not_run"] == ["mean_absolute_error"]
    finished, cut = history["runs"]
    assert finished["status"] == "completed" and finished["epochs"] == 3 and finished["test"]["rmse"] > 0
    assert cut["label"] == "interrupted_mse" and cut["status"] == "interrupted" and cut["test"] is None
    assert cut["epochs"] == 2  # the epochs finished before Ctrl-C
    assert history["verdict"]["best"] == ["mean_squared_error"]
    assert history["verdict"]["excluded"] == {"interrupted_mse": "no median abs. error on any split: interrupted after 2 epochs"}
    assert "interrupted" in html and "Not run: mean_absolute_error" in html


def test_the_command_exits_130_after_writing_the_report_of_what_finished(tmp_path, monkeypatch):
    import losskit.platform.training as training

    real_train = training.train
    started = []

    def train_until_the_second_loss(*args, **kwargs):
        started.append(args[0].name)
        if len(started) == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(training, "train", train_until_the_second_loss)
    out = tmp_path / "report"
    assert compare_main(["--losses", "mse,mae,huber", "--epochs", "1", "--repeats", "1", "--folds", "2", "--quiet", "--out", str(out)]) == 130
    history, _ = read_report(out)
    assert [run["status"] for run in history["runs"]] == ["completed", "interrupted"]
    assert history["not_run"] == ["huber"]


def test_a_diverging_loss_is_reported_as_diverged_and_the_others_still_compared(tmp_path):
    def nan_after_a_while(y_true, y_pred):
        nan_after_a_while.calls += 1
        value = (y_pred - y_true) ** 2
        return value[..., 0] * (float("nan") if nan_after_a_while.calls > 12 else 1.0)

    nan_after_a_while.calls = 0
    comparison = compare(load_bundled("diabetes"), ["mae", nan_after_a_while], epochs=3, repeats=1, folds=1)
    write_report(comparison, tmp_path / "report")
    history, html = read_report(tmp_path / "report")

    mae, diverged = history["runs"]
    assert mae["status"] == "completed" and mae["test"]["mae"] > 0
    assert diverged["status"] == "diverged" and diverged["test"] is None and "nan" in diverged["message"]
    assert diverged["epochs"] == 1  # the finite epoch before the NaN is kept
    assert 'class="status diverged"' in html
    assert history["verdict"]["best"] == ["mean_absolute_error"] and "nan_after_a_while" in history["verdict"]["excluded"]


def test_a_loss_that_refuses_the_targets_is_reported_as_failed(tmp_path):
    from losskit.platform import Dataset

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    data = Dataset("negative", X, X[:, 0] - 5.0, "regression", ["a", "b", "c"], "y")  # targets below 0
    comparison = compare(data, ["msle", "mse"], epochs=2, repeats=1, folds=2)
    write_report(comparison, tmp_path / "report")
    history, html = read_report(tmp_path / "report")

    failed, mse = history["runs"]
    assert failed["status"] == "failed" and failed["epochs"] == 0 and failed["test"] is None
    assert "mean_squared_logarithmic_error needs targets with values in [0, inf)" in failed["message"]
    assert len(failed["fits"]) == 1  # not retried on the other splits
    assert mse["status"] == "completed" and history["verdict"]["best"] == ["mean_squared_error"]
    assert history["verdict"]["n_splits"] == 2  # mse on every split, though msle stopped at the first
    assert 'class="status failed"' in html
