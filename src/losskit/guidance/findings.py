"""What the guidance functions return: findings, each with a level, a reason and a fix."""

from __future__ import annotations

from dataclasses import dataclass

#: Levels from harmless to fatal; a pairing or an input with an "error" finding is wrong.
LEVELS = ("ok", "info", "warning", "error")


class LossCompatibilityWarning(UserWarning):
    """Emitted by :func:`losskit.check_compatibility` when an activation cannot feed a loss."""


@dataclass(frozen=True)
class Finding:
    """One thing the guidance noticed.

    ``level`` is ``"ok"``, ``"info"``, ``"warning"`` or ``"error"``; ``message`` says what was
    found and why it matters; ``fix`` suggests what to change (None when nothing needs to);
    ``code`` is a short machine-readable id such as ``"activation-range"`` or ``"heavy-tails"``.
    """

    level: str
    message: str
    fix: str | None = None
    code: str = ""

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"Finding: `level` must be one of {', '.join(LEVELS)}; got {self.level!r}")

    def __str__(self) -> str:
        text = f"{self.level} [{self.code}] {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text

    def to_dict(self) -> dict[str, str | None]:
        return {"level": self.level, "code": self.code, "message": self.message, "fix": self.fix}


def worst(findings: list[Finding]) -> str:
    """The most severe level among ``findings`` ("ok" for none)."""
    return max((f.level for f in findings), key=LEVELS.index, default="ok")
