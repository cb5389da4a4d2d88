"""The documentation site (guides, the catalog pages generated from the loss records, the API
reference from the docstrings) builds without a warning: ``mkdocs build --strict``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_warning_free(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    for family in ("regression", "crossentropy"):
        page = (tmp_path / "site" / "catalog" / family / "index.html").read_text()
        assert "loss profile of" in page and "Hessian" in page
    assert (tmp_path / "site" / "catalog" / "figures" / "huber.png").stat().st_size > 1000
    assert "XGBClassifier" in (tmp_path / "site" / "api" / "integrations" / "index.html").read_text()
