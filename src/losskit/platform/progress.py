"""Progress on stderr while a comparison runs: one rich progress bar per loss (fits done, the
current fit's split, epoch and losses), or silent bars."""

from __future__ import annotations

from collections.abc import Callable


class ProgressBars:
    """Context manager: one rich progress bar per loss (fits done, the current fit's epoch and
    validation loss) on stderr, or silent ones (``enabled=False``)."""

    def __init__(self, enabled: bool, labels: list[str], n_fits: int):
        self.progress, self.tasks = None, {}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            width = max(map(len, labels))
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("fits"),
                TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=Console(stderr=True),
            )  # fmt: skip
            self.tasks = {label: self.progress.add_task(label.ljust(width), total=n_fits, info="") for label in labels}

    def __enter__(self):
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def epoch(self, label: str, split: int) -> Callable | None:
        if self.progress is None:
            return None

        def show(epoch: int, logs: dict) -> None:
            self.progress.update(self.tasks[label], info=f"split {split + 1}, epoch {epoch}: loss {logs['loss']:.4g}  val {logs['val_loss']:.4g}")

        return show

    def done(self, label: str, status: str) -> None:
        if self.progress is not None:
            colour = {"completed": "", "early_stopped": ""}.get(status, "[red]")
            self.progress.update(self.tasks[label], advance=1, info=f"{colour}{status.replace('_', ' ')}[/]" if colour else "")
