"""``losskit compare``: train every candidate loss on the same resampled splits, judge them and
write the report.

Exit status: 0 when the report is written; 2 for a usage or data error (one line on stderr,
never a traceback); 130 when interrupted with Ctrl-C (the report of the fits already finished is
written all the same). While it runs, the report is already there and reloads itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import warnings

from .data import BUNDLED, TASKS
from .learners import NAMES as MODELS

DEFAULT_DATASET = "diabetes"
DEFAULT_OUT = "losskit-report"
INTERRUPTED = 130


class UsageError(Exception):
    """A bad command line or bad data: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from .comparison import DEFAULT_FOLDS, DEFAULT_REPEATS
    from .learners import DEFAULT_PATIENCE
    from .metrics import ALL_METRICS

    parser = _Parser(
        prog="losskit compare",
        description="Train one model per candidate loss on the same resampled splits; write an HTML report with the "
        "verdict, every metric's mean and 95% interval, the training curves and the evaluation plots.",
    )
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--dataset", choices=sorted(BUNDLED), help=f"a dataset bundled with scikit-learn (default: {DEFAULT_DATASET})")
    data.add_argument("--csv", metavar="FILE", help="a CSV file with a header row, or a Parquet file (.parquet, .pq) (needs --target)")
    parser.add_argument("--target", metavar="COL", help="the column of --csv to predict")
    parser.add_argument("--task", choices=TASKS, help="the task, when the guess from the target is wrong")
    parser.add_argument(
        "--losses", metavar="A,B,C",
        help='losses to compare, with options in parentheses and the last layer after @: '
        '"mse,huber(delta=2.0),categorical_crossentropy@tanh" (default: the losses losskit recommends for the task)',
    )  # fmt: skip
    parser.add_argument("--model", choices=MODELS, default="mlp", help="the learner (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="repeats of the cross-validation (default: %(default)s)")
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help="folds per repeat; 1: a hold-out split of --test-size (default: %(default)s)")
    parser.add_argument("--metric", choices=ALL_METRICS, help="the metric that ranks the losses (default: one that favours no loss, per task)")
    parser.add_argument("--epochs", type=int, help="epochs (boosting rounds) per fit (default: enough optimizer steps for the data; 300 rounds)")
    parser.add_argument("--batch-size", type=int, help="mini-batch size (default: 32, doubling with every doubling of the training rows past 16,384, up to 1,024)")
    parser.add_argument("--learning-rate", type=float, help="step size (default: 0.001 mlp, 0.01 linear, 0.1 trees)")
    parser.add_argument("--hidden", default="32,16", help="hidden layer widths of the mlp (default: %(default)s)")
    parser.add_argument("--patience", type=int, default=DEFAULT_PATIENCE, help="early stopping: epochs without a better validation loss; 0: off (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits, the weights and the batches (default: %(default)s)")
    parser.add_argument("--test-size", type=float, default=0.2, help="held-out fraction when --folds 1 (default: %(default)s)")
    parser.add_argument("--val-size", type=float, default=0.2, help="fraction of the training rows used for validation (default: %(default)s)")
    parser.add_argument("--workers", type=int, help="fits in parallel processes (with --scheduler local: its worker processes, default one per CPU); the same numbers as one (default: 1)")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS|local",
        help="run the fits on a Dask cluster: 'local' starts one on this machine, tcp://host:8786 connects to a running scheduler",
    )  # fmt: skip
    parser.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu", help="where the mlp and linear models train (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in each process that trains (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the summary and the verdict as JSON on stdout")
    parser.add_argument("--mlflow", metavar="URI", help="log every fit (parameters, per-epoch and held-out metrics) to this MLflow tracking URI")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help="report directory (default: %(default)s/)")
    parser.add_argument("--force", action="store_true", help="overwrite the report in an existing --out directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def compare_main(argv: list[str]) -> int:
    """Run ``losskit compare`` with the arguments after ``compare``; return the exit status."""
    try:
        return _main(argv)
    except UsageError as error:
        print(f"losskit compare: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("losskit compare: interrupted", file=sys.stderr)
        return INTERRUPTED
    except SystemExit as done:  # --help
        return int(done.code or 0)


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    _check_numbers(args)
    from .data import DataError, load_bundled, read_csv
    from .report import check_output_dir

    try:
        out = check_output_dir(args.out, force=args.force)
    except FileExistsError as error:
        raise UsageError(str(error)) from None
    _check_requirements(args)
    losses = parse_losses(args.losses, args.model) if args.losses else None
    try:
        if args.csv:
            if not args.target:
                raise UsageError("--csv needs --target COL, the column to predict")
            dataset = read_csv(args.csv, args.target, task=args.task)
            for hint in dataset.hints:
                print(f"losskit compare: {hint}", file=sys.stderr)
        else:
            if args.target:
                raise UsageError("--target goes with --csv")
            dataset = load_bundled(args.dataset or DEFAULT_DATASET)
            if args.task and args.task != dataset.task:
                raise UsageError(f"the dataset {dataset.name} is a {dataset.task} task; --task {args.task} does not apply")
    except (DataError, ImportError) as error:
        raise UsageError(str(error)) from None
    return _compare(dataset, losses, args, out)


def _check_requirements(args) -> None:
    """The optional modules and the device the options need, before any data is read."""
    from .tables import require_pyarrow

    checks = []
    if args.mlflow:
        from .tracking import require_mlflow

        checks.append(require_mlflow)
    if args.scheduler:
        from .pools import require_dask

        checks.append(require_dask)
    if args.csv:
        checks.append(require_pyarrow)
    try:
        for check in checks:
            check()
    except ImportError as error:
        raise UsageError(str(error)) from None
    if args.device != "cpu":
        if args.model not in ("mlp", "linear"):
            raise UsageError(f"--device {args.device} applies to --model mlp or linear; the trees train on the CPU")
        from .learners.mlp import check_device

        try:
            check_device(args.device)
        except ValueError as error:
            raise UsageError(str(error)) from None


def _compare(dataset, losses, args, out) -> int:
    from .report import output_lock

    try:
        with output_lock(out), _terminate_as_interrupt():
            return _run_and_report(dataset, losses, args, out)
    except (FileExistsError, ConnectionError) as error:
        raise UsageError(str(error)) from None


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM stops the run as Ctrl-C does: the finished fits are kept and reported."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM wait while the final report is written (a second Ctrl-C cannot cut it short)."""
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _run_and_report(dataset, losses, args, out) -> int:
    import torch

    from ..guidance import LossCompatibilityWarning
    from .comparison import compare
    from .report import LiveReport

    torch.set_num_threads(args.threads)  # small models: one thread is fastest, and keeps runs reproducible
    live = LiveReport(out)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LossCompatibilityWarning)
            comparison = compare(
                dataset, losses, learner=args.model, repeats=args.repeats, folds=args.folds, metric=args.metric,
                epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, hidden=args.hidden,
                patience=args.patience, seed=args.seed, test_size=args.test_size, val_size=args.val_size,
                progress=not args.quiet and not args.json, on_fit=live, on_epoch=live, on_start=_warn_incompatible, workers=args.workers,
                scheduler=args.scheduler, device=args.device, threads=args.threads,
            )  # fmt: skip
    except ValueError as error:  # a bad --metric for the task, too few rows for the folds
        raise UsageError(str(error)) from None
    del caught  # printed by _warn_incompatible, with the fix
    if not any(run.fits for run in comparison.runs) and comparison.interrupted:
        print("losskit compare: interrupted before any fit finished; no report written", file=sys.stderr)
        return INTERRUPTED
    with _signals_held():
        page = live.final(comparison)
    if args.mlflow:
        from .tracking import log_comparison

        run_id = log_comparison(comparison.to_dict(), args.mlflow)
        print(f"MLflow: every fit logged under run {run_id} at {args.mlflow}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary_json(comparison), indent=1, allow_nan=False))
        print(f"Report: {page}", file=sys.stderr)
    else:
        _print_table(comparison)
        print(f"Report: {page}")
    return INTERRUPTED if comparison.interrupted else 0


def summary_json(comparison) -> dict:
    """What ``--json`` prints: the summary of every loss by label (``{metric: {"mean", "ci", "n"}}``),
    the runs with their status, and the verdict."""
    ratio = comparison.ratio
    summaries = {r.label: r.summary(ratio) for r in comparison.runs}
    return {
        "dataset": comparison.dataset["name"],
        "task": comparison.task,
        "learner": comparison.settings["learner"],
        "metric": comparison.metric,
        "summary": summaries,
        "runs": [{"label": r.label, "loss": r.loss.name, "status": r.status, "summary": summaries[r.label]} for r in comparison.runs],
        "verdict": comparison.verdict().to_dict(),
    }


def _warn_incompatible(comparison) -> None:
    """Before training: one line on stderr per candidate whose last layer cannot feed its loss."""
    for run in comparison.runs:
        for finding in run.findings:
            if finding["level"] == "error":
                fix = f" Fix: {finding['fix']}" if finding.get("fix") else ""
                print(f"losskit compare: warning: {run.label}: {finding['message']}{fix} (trained anyway)", file=sys.stderr)


def parse_losses(text: str, model: str = "mlp") -> list:
    """``"mse,huber(delta=2.0),cce@tanh"`` -> the candidates to compare, ``(loss, activation)``
    pairs (see :mod:`.options`). Unknown names, options or activations are usage errors."""
    from ..registry import get
    from .models import ACTIVATIONS
    from .options import parse_candidate, split_top_level
    from .output import stable_loss

    candidates = []
    for item in split_top_level(text):
        try:
            name, options, activation = parse_candidate(item)
        except ValueError as error:
            raise UsageError(f"--losses: {error}") from None
        if activation is not None and activation not in ACTIVATIONS:
            raise UsageError(f"--losses: the activation of {item.strip()!r} must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
        if activation not in (None, "linear") and model not in ("mlp", "linear"):
            raise UsageError(f"--losses: {item.strip()!r}: a last-layer activation applies to --model mlp or linear; trees output raw margins")
        try:
            loss = stable_loss(name, options) if activation in (None, "linear") else get(name, **options)
        except ValueError as error:
            raise UsageError(f"--losses: {error}") from None
        candidates.append((loss, activation))
    if not candidates:
        raise UsageError("--losses: name at least one loss")
    return candidates


def _check_numbers(args) -> None:
    try:
        args.hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden must be comma-separated integers; got {args.hidden!r}") from None
    checks = [
        ("--epochs", args.epochs, args.epochs is None or args.epochs >= 1),
        ("--repeats", args.repeats, args.repeats >= 1),
        ("--folds", args.folds, args.folds >= 1),
        ("--workers", args.workers, args.workers is None or args.workers >= 1),
        ("--threads", args.threads, args.threads >= 1),
        ("--batch-size", args.batch_size, args.batch_size is None or args.batch_size >= 1),
        ("--learning-rate", args.learning_rate, args.learning_rate is None or args.learning_rate > 0),
        ("--patience", args.patience, args.patience >= 0),
        ("--test-size", args.test_size, 0 < args.test_size < 1),
        ("--val-size", args.val_size, 0 < args.val_size < 1),
        ("--hidden", args.hidden, all(h >= 1 for h in args.hidden)),
    ]
    for flag, value, ok in checks:
        if not ok:
            raise UsageError(f"{flag} is out of range; got {value}")
    if args.scheduler is not None:
        if args.scheduler != "local" and not re.fullmatch(r"[a-z]+://\S+|[^:/\s]+:\d+", args.scheduler):
            raise UsageError(f"--scheduler must be 'local' or a scheduler's address such as tcp://host:8786; got {args.scheduler!r}")
        if args.scheduler != "local" and args.workers is not None:
            raise UsageError("--workers sizes a local pool (or --scheduler local); the cluster at an address has its own workers")


def _print_table(comparison) -> None:
    """The held-out metrics (mean and 95% interval) in the terminal, and the verdict."""
    from rich.console import Console
    from rich.table import Table

    from .metrics import LABELS

    verdict = comparison.verdict()
    marked = set(verdict.best or verdict.equivalent)
    ratio = comparison.ratio
    n = len(comparison.plans)
    table = Table(title=f"{comparison.dataset['name']} ({comparison.task}): held-out metrics over {n} splits, mean [95% interval]")
    table.add_column("loss")
    table.add_column("status")
    metrics = comparison.metrics
    for m in metrics:
        table.add_column(LABELS[m] + (" *" if m == comparison.metric else ""), justify="right")
    for run in comparison.runs:
        summary = run.summary(ratio)
        cells = [_cell(summary.get(m)) for m in metrics]
        label = f"★ {run.label}" if run.label in verdict.best else (f"= {run.label}" if run.label in marked else f"  {run.label}")
        table.add_row(label, run.status.replace("_", " "), *cells, style="bold" if run.label in marked else None)
    console = Console(width=max(120, Console().width))
    console.print(table)
    console.print(verdict.sentence(LABELS[comparison.metric]))
    if comparison.not_run:
        console.print(f"Not run (interrupted): {', '.join(comparison.not_run)}")


def _cell(entry) -> str:
    if not entry:
        return "n/a"
    low, high = entry["ci"]
    interval = f" [{low:.3g}, {high:.3g}]" if low is not None and high is not None else ""
    return f"{entry['mean']:.4g}{interval}"
