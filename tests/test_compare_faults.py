"""``losskit compare`` under faults: nothing a user made is lost. A crashing loss leaves the
others' results; SIGTERM mid-run leaves a valid report of the finished fits; a second run into
the same directory refuses; ``--force`` keeps a user's own files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
SRC = str(Path(__file__).resolve().parent.parent / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
QUICK = ["--dataset", "diabetes", "--repeats", "1", "--folds", "2", "--epochs", "2", "--quiet"]


def compare(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "losskit.cli", "compare", *args], capture_output=True, text=True, env=ENV, timeout=600, **kwargs)


def test_a_crashing_loss_is_reported_failed_and_the_others_complete(tmp_path):
    result = compare(*QUICK, "--losses", "mse,mae,sparse_categorical_crossentropy", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-2000:]
    runs = {r["loss"]: r for r in json.loads((tmp_path / "r" / "history.json").read_text())["runs"]}
    assert runs["sparse_categorical_crossentropy"]["status"] == "failed" and runs["sparse_categorical_crossentropy"]["message"]
    assert runs["mean_squared_error"]["status"] == runs["mean_absolute_error"]["status"] == "completed"
    assert "Traceback" not in result.stderr


def test_sigterm_mid_run_leaves_a_valid_report_of_the_finished_fits(tmp_path):
    out = tmp_path / "r"
    args = ["--dataset", "diabetes", "--losses", "mse,mae,huber,log_cosh", "--repeats", "3", "--folds", "3", "--epochs", "30", "--quiet", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "losskit.cli", "compare", *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (out / "history.json").exists():  # the first fits have finished
        time.sleep(0.2)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-2000:]
    history = json.loads((out / "history.json").read_text())  # valid JSON
    assert history["interrupted"] and not history["running"]
    assert sum(len(r["fits"]) for r in history["runs"]) >= 1
    page = (out / "report.html").read_text()
    assert "</html>" in page and 'http-equiv="refresh"' not in page
    assert not (out / ".losskit-compare.lock").exists()


def test_a_second_run_into_the_same_directory_refuses(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / ".losskit-compare.lock").write_text(str(os.getpid()))  # a live run holds it (this process)
    result = compare(*QUICK, "--out", str(out), "--force")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "another losskit compare" in result.stderr
    (out / ".losskit-compare.lock").write_text("999999999")  # a run that died: its lock is taken over
    assert compare(*QUICK, "--losses", "mse", "--out", str(out), "--force").returncode == 0


def test_force_keeps_a_users_own_files(tmp_path):
    out = tmp_path / "r"
    assert compare(*QUICK, "--losses", "mse,mae", "--out", str(out)).returncode == 0
    mine = out / "figures" / "my-own-figure.png"
    mine.write_bytes(b"not losskit's")
    (out / "notes.txt").write_text("keep me")
    assert compare(*QUICK, "--losses", "mse", "--out", str(out), "--force").returncode == 0
    assert mine.read_bytes() == b"not losskit's" and (out / "notes.txt").read_text() == "keep me"
