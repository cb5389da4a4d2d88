"""The package ships ``py.typed`` and its public API types as documented: mypy on a user snippet
sees ``lk.get(name)`` as a ``Loss`` (not ``Loss | None``) and finds no error in the README's use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import losskit as lk

SNIPPET = '''
import numpy as np
import losskit as lk

loss = lk.get("binary_crossentropy", from_logits=True)
value = loss(np.array([1.0, 0.0]), np.array([2.0, -1.0]))
grad = loss.gradient(np.array([[1.0]]), np.array([[0.5]]))
probabilities = loss.link.inverse(np.array([0.0]))
name: str = loss.name
nothing = lk.get(None)
reveal_type(loss)
reveal_type(nothing)
'''


def test_py_typed_ships_with_the_package():
    assert (Path(lk.__file__).parent / "py.typed").is_file()


def test_mypy_sees_get_as_a_loss(tmp_path):
    pytest.importorskip("mypy")
    snippet = tmp_path / "user.py"
    snippet.write_text(SNIPPET)
    cmd = [sys.executable, "-m", "mypy", "--follow-imports=silent", "--ignore-missing-imports", "--no-incremental", str(snippet)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    notes = [line for line in out.stdout.splitlines() if "Revealed type" in line]
    assert 'Revealed type is "losskit.core.Loss"' in notes[0], out.stdout
    assert 'Revealed type is "None"' in notes[1], out.stdout
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert not errors, out.stdout
