"""``losskit compare`` gives the answer the data hold: datasets with a known answer, generated
here, and the learners end to end.

- one-sided gross outliers, ranked by MAE: the MAE-trained model is the verdict's best, not MSE;
- two losses that train the same model (``mse`` and ``huber`` with a delta beyond every
  residual) are reported equivalent, with "no detectable difference" in words;
- Poisson counts: ``poisson`` beats ``mse`` in Poisson deviance;
- ``--model xgboost`` and ``--model lightgbm`` on bundled datasets;
- a last-layer activation per candidate that cannot feed its loss is warned about before
  training, trained anyway, and its consequence shown next to the warning;
- the report is there while the run goes on, reloading itself, and the final one is not.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

for _module in ("torch", "sklearn", "matplotlib", "rich", "scipy"):
    pytest.importorskip(_module, reason=f"losskit compare needs {_module} (pip install losskit[platform])")

from losskit.platform.cli import compare_main  # noqa: E402


def write_csv(path, X, y, target="y"):
    header = [f"x{j}" for j in range(X.shape[1])] + [target]
    rows = [",".join(f"{v:.6g}" for v in [*x, t]) for x, t in zip(X, y)]
    path.write_text("\n".join([",".join(header), *rows]) + "\n", encoding="utf-8")
    return path


def run_json(capsys, *args) -> dict:
    status = compare_main([*args, "--quiet", "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def summary_of(result, loss_name):
    return next(r["summary"] for r in result["runs"] if r["loss"] == loss_name)


def test_one_sided_gross_outliers_make_mae_the_best_by_mae(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 0.3 * rng.normal(size=300)
    y[rng.random(300) < 0.1] += 40.0  # 10% gross outliers, all on one side
    data = write_csv(tmp_path / "outliers.csv", X, y)
    result = run_json(capsys, "--csv", str(data), "--target", "y", "--losses", "mse,mae", "--metric", "mae",
                      "--model", "linear", "--repeats", "2", "--folds", "3", "--epochs", "40", "--out", str(tmp_path / "out"))  # fmt: skip

    verdict = result["verdict"]
    assert verdict["metric"] == "mae"
    assert verdict["best"] == ["mean_absolute_error"] and verdict["equivalent"] == []
    assert verdict["p_values"]["mean_squared_error"] < 0.05
    mae, mse = summary_of(result, "mean_absolute_error")["mae"], summary_of(result, "mean_squared_error")["mae"]
    assert mae["ci"][1] < mse["mean"]  # the MSE model is pulled up by the outliers on every row
    history = json.loads((tmp_path / "out" / "history.json").read_text(encoding="utf-8"))
    assert history["verdict"] == verdict  # --json prints what history.json holds
    assert result["summary"]["mean_absolute_error"]["mae"] == history["runs"][1]["summary"]["mae"]


def test_two_losses_that_train_the_same_model_are_equivalent(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(240, 3))
    y = X @ np.array([1.0, 0.5, -2.0]) + 0.5 * rng.normal(size=240)
    data = write_csv(tmp_path / "clean.csv", X, y)
    out = tmp_path / "out"
    result = run_json(capsys, "--csv", str(data), "--target", "y", "--losses", "mse,huber(delta=1e6)", "--metric", "rmse",
                      "--model", "linear", "--repeats", "2", "--folds", "2", "--epochs", "40", "--out", str(out))  # fmt: skip

    verdict = result["verdict"]
    assert verdict["best"] == []
    assert sorted(verdict["equivalent"]) == ["huber(delta=1000000.0)", "mean_squared_error"]
    rmse = [summary_of(result, name)["rmse"]["mean"] for name in ("mean_squared_error", "huber")]
    assert rmse[0] == pytest.approx(rmse[1], rel=1e-3)  # Huber is MSE / 2 inside its delta: the same fit
    assert "no detectable difference" in (out / "report.html").read_text(encoding="utf-8")


def test_poisson_counts_make_poisson_better_than_mse_in_poisson_deviance(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(700, 1))
    y = rng.poisson(np.exp(2.0 + X[:, 0]))  # a log-linear rate: the Poisson GLM's own model; a line misses its curve
    data = write_csv(tmp_path / "counts.csv", X, y, target="n")
    result = run_json(capsys, "--csv", str(data), "--target", "n", "--task", "counts", "--losses", "poisson,mse",
                      "--metric", "poisson_deviance", "--model", "linear", "--repeats", "2", "--folds", "5", "--epochs", "30",
                      "--batch-size", "64", "--learning-rate", "0.03", "--out", str(tmp_path / "out"))  # fmt: skip

    verdict = result["verdict"]
    assert verdict["best"] == ["poisson"] and verdict["excluded"] == {}
    assert verdict["p_values"]["mean_squared_error"] < 0.05
    assert summary_of(result, "poisson")["poisson_deviance"]["mean"] < summary_of(result, "mean_squared_error")["poisson_deviance"]["mean"]


@pytest.mark.parametrize(("model", "dataset", "losses"), [("xgboost", "breast_cancer", "bce,hinge"), ("lightgbm", "diabetes", "mse,mae,huber(delta=20.0)")])
def test_gradient_boosting_end_to_end_on_a_bundled_dataset(model, dataset, losses, tmp_path, capsys):
    pytest.importorskip(model)
    out = tmp_path / "out"
    result = run_json(capsys, "--dataset", dataset, "--model", model, "--losses", losses, "--repeats", "1", "--folds", "3", "--epochs", "20", "--out", str(out))

    history = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert history["settings"]["learner"] == model and ("XGBoost" if model == "xgboost" else "LightGBM") in history["learner"]
    assert len(history["runs"]) == len(losses.split(",")) and len(history["splits"]) == 3
    for run in history["runs"]:
        assert run["status"] == "completed", run["message"]
        assert len(run["fits"]) == 3 and all(1 <= f["best_epoch"] <= f["epochs"] <= 20 for f in run["fits"])
        for entry in run["summary"].values():
            low, high = entry["ci"]
            assert low <= entry["mean"] <= high
    if dataset == "breast_cancer":
        assert summary_of(result, "binary_crossentropy")["roc_auc"]["mean"] > 0.95
    else:
        assert summary_of(result, "mean_squared_error")["r2"]["mean"] > 0.2
    assert result["verdict"]["metric"] == history["metric"]
    assert "<img" in (out / "report.html").read_text(encoding="utf-8")


def test_an_incompatible_last_layer_is_warned_before_training_and_its_consequence_shown(tmp_path, capsys):
    out = tmp_path / "out"
    status = compare_main(["--dataset", "iris", "--losses", "categorical_crossentropy@tanh,categorical_crossentropy",
                           "--repeats", "1", "--folds", "2", "--epochs", "30", "--quiet", "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0
    warning = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "categorical_crossentropy@tanh" in warning[0] and "tanh" in warning[0] and "Fix:" in warning[0]
    history = json.loads((out / "history.json").read_text(encoding="utf-8"))
    tanh, plain = history["runs"]
    assert tanh["activation"] == "tanh" and plain["activation"] == "linear"
    assert any(f["level"] == "error" for f in tanh["findings"]) and not any(f["level"] == "error" for f in plain["findings"])
    html = (out / "report.html").read_text(encoding="utf-8")
    figure = html.index("<figcaption>categorical_crossentropy@tanh ")
    assert html.index("Warned before training", figure) < html.index("<img", figure)  # next to its curves
    # the consequence: tanh outputs are no probabilities, so the model is worse
    acc = {r["label"]: r["summary"]["accuracy"]["mean"] for r in history["runs"] if "accuracy" in r["summary"]}
    assert tanh["status"] != "completed" or acc["categorical_crossentropy@tanh"] < acc["categorical_crossentropy"]


def test_the_report_is_written_while_the_run_goes_on_and_stops_reloading_at_the_end(tmp_path):
    from losskit.platform import compare, load_bundled
    from losskit.platform.report import LiveReport

    out = tmp_path / "out"
    live = LiveReport(out, every=0.0)  # no throttle: a rewrite after every epoch and fit
    seen = []

    def on_fit(comparison):
        live(comparison)
        history = json.loads((out / "history.json").read_text(encoding="utf-8"))
        seen.append((sum(len(r["fits"]) for r in history["runs"]), history["running"], (out / "report.html").read_text(encoding="utf-8")))

    during_first_fit = []

    def on_epoch(comparison):
        live(comparison)
        if not any(r.fits for r in comparison.runs):
            during_first_fit.append((out / "report.html").read_text(encoding="utf-8"))

    comparison = compare(load_bundled("diabetes"), ["mse", "mae"], repeats=1, folds=2, epochs=2, on_fit=on_fit, on_epoch=on_epoch)
    page = live.final(comparison).read_text(encoding="utf-8")

    assert len(during_first_fit) == 2 and all("<img" in html for html in during_first_fit)  # curves after the first epoch
    assert [n for n, _, _ in seen] == [1, 2, 3, 4]  # rewritten after every fit
    assert all(running for _, running, _ in seen)
    assert all('http-equiv="refresh"' in html and "Running: " in html for _, _, html in seen)
    assert 'http-equiv="refresh"' not in page and "Running: " not in page
    assert not json.loads((out / "history.json").read_text(encoding="utf-8"))["running"]
    assert not [p.name for p in out.rglob(".*tmp")]  # no temporary file left behind
    (tmp_path / "plain.txt").write_text("x")
    assert (out / "report.html").stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777  # as open() makes them


def test_a_fit_sent_to_a_worker_process_gives_the_numbers_of_a_serial_fit():
    """What ``--workers`` sends through the process pool (the candidate's recipe) and gets back
    (the fit without its model objects) pickles, and the worker's fit is the serial one."""
    import pickle

    from losskit.platform import load_bundled
    from losskit.platform.fits import Settings, _fit_in_worker, _recipe, fit_unit
    from losskit.platform.comparison import make_candidates
    from losskit.platform.resampling import resamples

    data = load_bundled("iris")
    plan = resamples(data, repeats=1, folds=2, seed=0)[1]
    settings = Settings("mlp", {"epochs": 3}, data.task)
    candidate = make_candidates(["cce"])[0]
    serial = fit_unit(candidate, data, plan, settings)
    sent = pickle.loads(pickle.dumps((_recipe(candidate), data, plan, settings)))
    worker = pickle.loads(pickle.dumps(_fit_in_worker(*sent)))
    assert worker.test == serial.test and worker.history.history == serial.history.history
    np.testing.assert_array_equal(worker.prediction.proba, serial.prediction.proba)


def test_quantile_losses_are_scored_by_pinball_loss_and_coverage(tmp_path, capsys):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2))
    y = X @ np.array([1.5, -1.0]) + rng.normal(size=400)
    data = write_csv(tmp_path / "q.csv", X, y)
    result = run_json(capsys, "--csv", str(data), "--target", "y", "--losses", "quantile(quantile=0.1),quantile(quantile=0.9)",
                      "--metric", "pinball", "--model", "linear", "--repeats", "1", "--folds", "2", "--epochs", "60", "--out", str(tmp_path / "out"))  # fmt: skip

    low, high = (run["summary"] for run in result["runs"])
    assert low["coverage"]["mean"] == pytest.approx(0.1, abs=0.06)  # the share of targets at or below the prediction
    assert high["coverage"]["mean"] == pytest.approx(0.9, abs=0.06)
    assert "pinball" in low and "pinball" in high and result["verdict"]["metric"] == "pinball"
