"""The installed ``losskit`` entry point, run in a subprocess: exit codes 0 / 1 / 2, output, and
one-line errors without tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

import losskit as lk
from losskit.losses import CATALOG

LOSSKIT = shutil.which("losskit")
pytestmark = pytest.mark.skipif(LOSSKIT is None, reason="the losskit entry point is not installed (pip install -e .)")


def run(*args, cwd=None):
    return subprocess.run([LOSSKIT, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_usage_error(result, *words, prefix="losskit: error: "):
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_list_shows_every_loss_with_task_and_aliases():
    result = run("list")
    assert result.returncode == 0 and result.stderr == ""
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert set(rows) == {spec.name for spec in CATALOG}  # a fresh process: the built-ins only
    assert "bce" in rows["binary_crossentropy"] and "binary, multilabel" in rows["binary_crossentropy"]
    assert "counts" in rows["poisson"]
    listed = json.loads(run("list", "--task", "counts", "--json").stdout)
    assert {row["name"] for row in listed} == {"poisson", "tweedie", "generalized_kl_divergence"}


def test_info_shows_formula_domains_activations_and_options():
    result = run("info", "bce")
    assert result.returncode == 0
    out = result.stdout
    assert out.startswith("binary_crossentropy: ")
    assert "mean(-(y log p + (1 - y) log(1 - p)))" in out
    assert "y_pred       [0, 1]   (from_logits=True: (-inf, inf))" in out
    assert "activations  sigmoid   (from_logits=True: linear)" in out
    assert "from_logits=False" in out and "label_smoothing=0.0" in out
    data = json.loads(run("info", "huber:delta=2", "--json").stdout)
    assert data["options"] == {"delta": 2} and data["y_pred_domain"] == "(-inf, inf)"
    assert json.loads(run("info", "poisson(log_input=true)", "--json").stdout)["activations"] == ["linear"]


@pytest.mark.parametrize(
    "activation, loss, flags, status",
    [("sigmoid", "binary_crossentropy", [], 0), ("tanh", "categorical_crossentropy", [], 1), ("linear", "bce", [], 1),
     ("linear", "bce", ["--from-logits"], 0), ("linear", "bce:from_logits=true", [], 0), ("relu", "hinge", [], 1),
     ("sigmoid", "mse", [], 0)],
)  # fmt: skip
def test_check_exits_1_exactly_when_incompatible(activation, loss, flags, status):
    result = run("check", "--activation", activation, "--loss", loss, *flags)
    assert result.returncode == status, result
    assert result.stdout.strip().splitlines()[-1].endswith("incompatible" if status else "compatible")
    assert result.stderr == ""  # the compatibility warning is not printed as a Python warning


def test_check_explains_why():
    out = run("check", "--activation", "linear", "--loss", "bce").stdout
    assert "compatible only with from_logits=True" in out and "fix:" in out
    data = json.loads(run("check", "--activation", "tanh", "--loss", "cce", "--json").stdout)
    assert data["compatible"] is False and data["findings"][0]["code"] == "activation-range"


def test_recommend_from_flags():
    result = run("recommend", "--task", "regression", "--outliers")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith("1. huber(delta=1.0)")
    data = json.loads(run("recommend", "--task", "binary", "--imbalanced", "--json").stdout)
    assert data[0]["loss"] == "binary_focal_crossentropy" and data[0]["activation"] == "linear"


def test_recommend_from_a_csv_column(tmp_path):
    rng = np.random.default_rng(0)
    rows = ["x,label,amount"] + [f"{rng.normal():.3f},{'yes' if i % 25 == 0 else 'no'},{rng.normal():.3f}" for i in range(200)]
    rows.append("0.5,,1.0")  # a missing label is dropped
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    data = json.loads(run("recommend", "--csv", tmp_path / "data.csv", "--target", "label", "--json").stdout)
    assert data[0]["task"] == "binary" and data[0]["loss"] == "binary_focal_crossentropy"  # 8 yes in 200: imbalanced
    data = json.loads(run("recommend", "--csv", tmp_path / "data.csv", "--target", "amount", "--json").stdout)
    assert data[0]["task"] == "regression" and data[0]["loss"] == "mean_squared_error"
    assert_usage_error(run("recommend", "--csv", tmp_path / "data.csv", "--target", "nope"), "'nope'", "x, label, amount")


def test_plot_writes_png_and_svg_with_the_curves(tmp_path):
    pytest.importorskip("matplotlib")
    result = run("plot", "mse", "huber:delta=2", "hinge", "-o", tmp_path / "p.png")
    assert result.returncode == 0 and (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    result = run("plot", "log_cosh", "bce", "-o", tmp_path / "p.svg", "--num", "51")
    svg = (tmp_path / "p.svg").read_text()
    assert result.returncode == 0 and "<svg" in svg and "log_cosh" in svg and "binary_crossentropy" in svg


@pytest.mark.parametrize(
    "args, words",
    [
        (["info", "binary_crossentropi"], ["unknown loss", "binary_crossentropy"]),
        (["check", "--activation", "sigmod", "--loss", "bce"], ["unknown activation", "sigmoid"]),
        (["check", "--loss", "bce"], ["--activation"]),
        (["check", "--activation", "tanh", "--loss", "mse", "--from-logits"], ["mean_squared_error"]),
        (["frobnicate"], ["invalid choice"]),
        ([], ["COMMAND"]),
        (["list", "--bogus"], ["--bogus"]),
        (["list", "--task", "painting"], ["painting"]),
        (["info", "huber:delta=-1"], ["delta", "positive"]),
        (["info", "huber:delta"], ["key=value"]),
        (["info", "huber:gamma=2"], ["unknown option 'gamma'"]),
        (["recommend"], ["--task"]),
        (["recommend", "--task", "clustering"], ["clustering"]),
        (["recommend", "--csv", "missing.csv"], ["--target"]),
        (["recommend", "--csv", "missing.csv", "--target", "y"], ["missing.csv"]),
        (["plot", "mse", "-o", "out.pdf"], [".png or .svg"]),
        (["plot", "mse"], ["-o"]),
        (["plot", "nope", "-o", "out.png"], ["unknown loss"]),
        (["plot", "mse", "-o", "out.png", "--kind", "margin"], ["residual"]),
        (["plot", "mse", "-o", "out.png", "--num", "x"], ["--num"]),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, words, tmp_path):
    assert_usage_error(run(*args, cwd=tmp_path), *words)
    assert not list(tmp_path.iterdir())  # nothing written


def test_compare_is_delegated_and_its_usage_errors_are_one_line_too():
    assert_usage_error(run("compare", "--no-such-flag"), "--no-such-flag", prefix="losskit compare: error: ")


def test_help_and_version():
    result = run("--help")
    assert result.returncode == 0 and all(c in result.stdout for c in ("list", "info", "check", "recommend", "plot", "compare"))
    assert run("--version").stdout.strip() == f"losskit {lk.__version__}"


def test_compare_without_the_platform_is_a_one_line_error(monkeypatch, capsys):
    from losskit.cli import main

    monkeypatch.setitem(__import__("sys").modules, "losskit.platform.cli", None)  # as if the platform were absent
    assert main(["compare"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("losskit: error: compare needs")


def test_a_reader_that_leaves_early_ends_the_command_quietly(monkeypatch, capsys):
    """``losskit list | head -1``: the closed pipe stops the command with status 1 and no message
    (a broken pipe is no usage error)."""
    import os

    from losskit.cli import main

    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w", buffering=1) as closed:  # line-buffered: the first line hits the closed pipe
        monkeypatch.setattr("sys.stdout", closed)
        assert main(["list"]) == 1
    assert capsys.readouterr().err == ""
