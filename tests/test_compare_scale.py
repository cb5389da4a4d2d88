"""``losskit compare`` at scale and under faults: parallel processes and a Dask cluster give the
serial numbers; a worker that dies fails its fit, not the comparison; a million-row CSV runs end
to end; bad data cells are named by row; a class missing from a training split, Parquet files,
decimal commas, the counts hint, ``--device`` and ``--threads``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

import numpy as np
import pytest

for _module in ("torch", "sklearn", "pyarrow"):
    pytest.importorskip(_module, reason=f"losskit compare needs {_module} (pip install losskit[platform])")

import pyarrow as pa  # noqa: E402
import pyarrow.csv as pv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import torch  # noqa: E402

from losskit.platform import compare, load_bundled, read_csv  # noqa: E402
from losskit.platform.cli import compare_main  # noqa: E402
from losskit.platform.data import Dataset, read_column  # noqa: E402

QUICK = {"learner": "linear", "repeats": 1, "folds": 2, "epochs": 2, "seed": 3}
PARENT = "LOSSKIT_TEST_PARENT_PID"


def numbers(comparison) -> list:
    """Every number a fit produced (held-out metrics, per-epoch curves, best epoch), per loss and split."""
    return [
        (run["label"], fit["split"], fit["status"], fit["test"], fit["history"], fit["best_epoch"])
        for run in comparison.to_dict()["runs"] for fit in run["fits"]
    ]  # fmt: skip


def dies_in_a_worker(y_true, y_pred):
    """Squared error in the test's process; kills any other process that calls it."""
    if str(os.getpid()) != os.environ.get(PARENT):
        os._exit(3)
    return ((y_true - y_pred) ** 2).mean(dim=-1)


# ----------------------------------------------------------------------------- parallel = serial
@pytest.fixture(scope="module")
def diabetes():
    return load_bundled("diabetes")


@pytest.fixture(scope="module")
def serial(diabetes):
    return compare(diabetes, ["mse", "mae", "huber"], **QUICK)


def test_two_worker_processes_give_the_serial_numbers(diabetes, serial):
    parallel = compare(diabetes, ["mse", "mae", "huber"], workers=2, **QUICK)
    assert numbers(parallel) == numbers(serial)
    assert all(status == "completed" for _, _, status, *_ in numbers(serial)) and len(numbers(serial)) == 6
    assert (parallel.settings["scheduler"], parallel.settings["workers"]) == ("processes", 2)
    assert (serial.settings["scheduler"], serial.settings["workers"]) == (None, 1)


def test_a_local_dask_cluster_of_two_processes_gives_the_serial_numbers(diabetes, serial):
    pytest.importorskip("distributed")
    on_dask = compare(diabetes, ["mse", "mae", "huber"], scheduler="local", workers=2, **QUICK)
    assert numbers(on_dask) == numbers(serial)
    assert (on_dask.settings["scheduler"], on_dask.settings["workers"]) == ("local", 2)


@pytest.mark.parametrize("where", [{"workers": 2}, {"scheduler": "local", "workers": 2}], ids=["processes", "dask"])
def test_a_worker_that_dies_fails_its_fit_and_the_others_complete(where, diabetes, monkeypatch):
    monkeypatch.setenv(PARENT, str(os.getpid()))
    context = contextlib.nullcontext()
    if "scheduler" in where:
        dask = pytest.importorskip("dask")
        context = dask.config.set({"distributed.scheduler.allowed-failures": 0})  # no retry on another worker: quicker
    with context:
        comparison = compare(diabetes, ["mse", dies_in_a_worker], **where, **{**QUICK, "folds": 1})
    runs = {run.label: run for run in comparison.runs}
    assert runs["mean_squared_error"].status == "completed" and len(runs["mean_squared_error"].fits) == 1
    dead = runs["dies_in_a_worker"]
    assert dead.status == "failed" and len(dead.fits) == 1
    assert "died" in dead.message or "KilledWorker" in dead.message, dead.message


def test_the_command_records_the_scheduler_workers_device_and_threads(tmp_path):
    out = tmp_path / "r"
    args = ["--dataset", "diabetes", "--model", "linear", "--losses", "mse", "--repeats", "1", "--folds", "2", "--epochs", "1"]
    assert compare_main([*args, "--threads", "2", "--quiet", "--out", str(out)]) == 0
    settings = json.loads((out / "history.json").read_text())["settings"]
    assert (settings["scheduler"], settings["workers"], settings["device"], settings["threads"]) == (None, 1, "cpu", 2)
    assert "serial on cpu, 2 torch threads each" in (out / "report.html").read_text()
    assert torch.get_num_threads() == 2


def test_a_missing_dask_is_one_line_with_the_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    status = compare_main(["--scheduler", "local", "--quiet", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "pip install" in err and "dask" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--scheduler", "nowhere"], "--scheduler must be 'local' or a scheduler's address"),
        (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "the cluster at an address has its own workers"),
        (["--threads", "0"], "--threads is out of range"),
        (["--model", "xgboost", "--device", "cuda"], "--device cuda applies to --model mlp or linear"),
    ],
)
def test_bad_scale_options_exit_2_with_one_line(args, expected, tmp_path, capsys):
    assert compare_main([*args, "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this torch has CUDA")
def test_cuda_is_refused_in_one_line_where_torch_has_none(tmp_path, capsys):
    assert compare_main(["--device", "cuda", "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--device cuda" in err and "no CUDA device" in err


def test_a_scheduler_nobody_answers_at_is_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("losskit.platform.pools.CONNECT_TIMEOUT", 2)
    args = ["--scheduler", "tcp://127.0.0.1:9", "--model", "linear", "--losses", "mse", "--epochs", "1", "--quiet", "--out", str(tmp_path / "r")]
    assert compare_main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Dask scheduler answers" in err


# ----------------------------------------------------------------------------- a million rows
def test_a_million_row_csv_runs_end_to_end_in_under_a_minute(tmp_path):
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 5
    X = rng.normal(size=(n, d))
    y = X @ np.arange(1, d + 1) + rng.normal(size=n)
    columns = {f"x{j}": np.round(X[:, j], 4) for j in range(d)} | {"y": np.round(y, 4)}
    path = tmp_path / "million.csv"
    pv.write_csv(pa.table(columns), path)
    out = tmp_path / "r"
    started = time.perf_counter()
    args = ["--csv", str(path), "--target", "y", "--model", "linear", "--losses", "mse", "--repeats", "1", "--folds", "2", "--epochs", "1"]
    assert compare_main([*args, "--quiet", "--out", str(out)]) == 0
    seconds = time.perf_counter() - started
    history = json.loads((out / "history.json").read_text())
    assert history["dataset"]["n_samples"] == n and history["dataset"]["n_features"] == d
    assert history["settings"]["batch_size"] == 1024  # 400,000 training rows: the batch grew from 32
    run = history["runs"][0]
    assert run["status"] == "completed"
    # one epoch of Adam on 400,000 rows: far below the spread of y (std 7.4), near the noise (1)
    assert run["summary"]["rmse"]["mean"] < 2.0
    assert seconds < 60, f"{seconds:.0f} s"


# ----------------------------------------------------------------------------- data problems
def write(path, header, rows, delimiter=","):
    path.write_text("\n".join([delimiter.join(header), *(delimiter.join(map(str, r)) for r in rows)]) + "\n", encoding="utf-8")
    return path


def test_a_bad_cell_in_a_numeric_target_is_one_line_naming_its_row_and_value(tmp_path, capsys):
    rows = [[i % 7, f"{0.5 * i:.1f}"] for i in range(2000)]
    rows[1233][1] = "high"  # data row 1,234
    path = write(tmp_path / "bad.csv", ["x", "price"], rows)
    assert compare_main(["--csv", str(path), "--target", "price", "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "row 1,234: 'high'" in err and "'price'" in err and "1 of its 2,000 cells is not a number" in err
    assert not (tmp_path / "r").exists()


def test_bad_cells_in_a_numeric_feature_are_read_as_missing_and_noted(tmp_path):
    rng = np.random.default_rng(1)
    rows = [[f"{v:.3f}", f"{2 * v:.3f}"] for v in rng.normal(size=50)]
    rows[9][0] = "n.a."
    data = read_csv(write(tmp_path / "f.csv", ["x", "y"], rows), "y")
    assert data.feature_names == ["x"] and data.task == "regression"
    assert np.isnan(data.X[9, 0]) and np.isfinite(np.delete(data.X[:, 0], 9)).all()
    assert any("1 cells that are not numbers read as missing (row 10: 'n.a.')" in note for note in data.notes)


def test_a_text_target_with_regression_asked_still_says_it_must_be_numeric(tmp_path):
    path = write(tmp_path / "t.csv", ["x", "y"], [[i, ["low", "high"][i % 2]] for i in range(20)])
    with pytest.raises(ValueError, match="the regression target 'y' must be numeric; found the value 'low'"):
        read_csv(path, "y", task="regression")
    assert read_csv(path, "y").classes == ["high", "low"]  # without --task: a binary task


def test_a_class_missing_from_a_training_split_does_not_fail_the_losses():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    y[17] = 2  # one row of a third class: the fold that tests it trains without it
    data = Dataset("rare", X, y, "multiclass", ["a", "b", "c"], "y", classes=["no", "yes", "rare"])
    comparison = compare(data, ["categorical_crossentropy", "sparse_categorical_crossentropy"], **QUICK)
    assert [p for p in comparison.plans if 17 not in p.train], "a split must lack the class in training"
    for run in comparison.runs:
        assert run.status == "completed", run.message
        assert all(f.prediction.scores.shape[1] == 3 for f in run.fits.values())


def test_labels_are_shown_as_the_file_writes_them(tmp_path):
    path = write(tmp_path / "l.csv", ["x", "grade"], [[i, ["1.0", "2.0", "3.5"][i % 3]] for i in range(30)])
    data = read_csv(path, "grade", task="multiclass")
    assert data.classes == ["1.0", "2.0", "3.5"]
    assert list(data.y[:3]) == [0, 1, 2]


def test_integer_targets_that_look_like_counts_get_the_counts_hint(tmp_path, capsys):
    rng = np.random.default_rng(2)
    counts = np.minimum(rng.poisson(0.7, size=200), 6)
    path = write(tmp_path / "c.csv", ["x", "claims"], [[f"{rng.normal():.3f}", c] for c in counts])
    data = read_csv(path, "claims")
    assert data.task == "multiclass" and data.hints and "--task counts" in data.hints[0]
    assert read_csv(path, "claims", task="counts").hints == []
    balanced = write(tmp_path / "b.csv", ["x", "grade"], [[i, i % 4] for i in range(40)])
    assert read_csv(balanced, "grade").hints == []  # four even classes: no hint
    args = ["--csv", str(path), "--target", "claims", "--model", "linear", "--losses", "sparse_categorical_crossentropy", "--repeats", "1", "--folds", "2", "--epochs", "1"]
    assert compare_main([*args, "--quiet", "--out", str(tmp_path / "r")]) == 0
    assert "hint: the target 'claims'" in capsys.readouterr().err
    assert any("--task counts" in note for note in json.loads((tmp_path / "r" / "history.json").read_text())["dataset"]["notes"])


# ----------------------------------------------------------------------------- formats
def test_a_parquet_file_reads_as_its_csv(tmp_path):
    rng = np.random.default_rng(3)
    table = pa.table({"x": rng.normal(size=40), "color": pa.array(["red", "blue", None, "red"] * 10), "y": rng.normal(size=40)})
    pq.write_table(table, tmp_path / "d.parquet")
    pv.write_csv(table, tmp_path / "d.csv")
    from_parquet, from_csv = read_csv(tmp_path / "d.parquet", "y"), read_csv(tmp_path / "d.csv", "y")
    assert from_parquet.feature_names == from_csv.feature_names == ["x", "color=(missing)", "color=blue", "color=red"]
    np.testing.assert_array_equal(from_parquet.X, from_csv.X)
    np.testing.assert_array_equal(from_parquet.y, from_csv.y)
    np.testing.assert_array_equal(read_column(tmp_path / "d.parquet", "y"), table.column("y").to_numpy())


def test_semicolons_with_decimal_commas_and_tabs_are_detected(tmp_path):
    rows = [[f"{i},5", f"{i % 3}", ["a", "b"][i % 2]] for i in range(20)]
    data = read_csv(write(tmp_path / "eu.csv", ["x", "k", "y"], rows, delimiter=";"), "y")
    assert data.X[:3, 0].tolist() == [0.5, 1.5, 2.5] and data.classes == ["a", "b"]
    assert any("decimal comma" in note for note in data.notes)
    tabs = read_csv(write(tmp_path / "t.tsv", ["x", "y"], [[i, 2 * i + 0.5] for i in range(20)], delimiter="\t"), "y")
    assert tabs.X[:, 0].tolist() == list(range(20)) and tabs.y[-1] == 38.5 and tabs.task == "regression"


def test_a_row_with_too_many_fields_and_a_text_feature_with_too_many_values(tmp_path):
    ragged = tmp_path / "r.csv"
    ragged.write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(20)) + "1,2,3\n")
    with pytest.raises(ValueError, match="a row has 3 fields where the header has 2"):
        read_csv(ragged, "y")
    rows = [[f"city{i % 150}", f"{i % 150}", i % 2] for i in range(300)]
    data = read_csv(write(tmp_path / "m.csv", ["city", "x", "y"], rows), "y")
    assert data.feature_names == ["x"] and any("'city' dropped: 150 distinct text values" in n for n in data.notes)


def test_a_bad_cell_far_past_the_first_block_is_found(tmp_path):
    """pyarrow types the columns over the whole file, not its first block: a text cell on row
    150,000 of a numeric feature is a bad cell of that column, not a reading error."""
    n = 150_000
    x = np.arange(n, dtype=float) / 1000
    rows = [[f"{v:.3f}", f"{2 * v + 1:.3f}"] for v in x]
    rows[-1][0] = "oops"
    data = read_csv(write(tmp_path / "late.csv", ["x", "y"], rows), "y")
    assert data.task == "regression" and data.X.shape == (n, 1)
    assert np.isnan(data.X[-1, 0]) and data.X[-2, 0] == x[-2]
    assert any(f"row {n:,}: 'oops'" in note for note in data.notes)
