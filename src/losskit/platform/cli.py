"""``losskit compare``: train one model per candidate loss and write the report.

Exit status: 0 when the report is written; 2 for a usage or data error (one line on stderr,
never a traceback); 130 when interrupted with Ctrl-C (the report of the losses already
finished is written all the same).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys

from .data import BUNDLED, TASKS

DEFAULT_DATASET = "diabetes"
DEFAULT_OUT = "losskit-report"
INTERRUPTED = 130


class UsageError(Exception):
    """A bad command line or bad data: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from .comparison import DEFAULTS

    parser = _Parser(
        prog="losskit compare",
        description="Train one model per candidate loss on the same data, split and seed; write an HTML report "
        "with the training and validation curves, the loss profiles and the held-out metrics.",
    )
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--dataset", choices=sorted(BUNDLED), help=f"a dataset bundled with scikit-learn (default: {DEFAULT_DATASET})")
    data.add_argument("--csv", metavar="FILE", help="a CSV file with a header row (needs --target)")
    parser.add_argument("--target", metavar="COL", help="the column of --csv to predict")
    parser.add_argument("--task", choices=TASKS, help="the task, when the guess from the target is wrong")
    parser.add_argument(
        "--losses", metavar="A,B,C",
        help='losses to compare, by name, with options in parentheses: "mse,huber(delta=2.0),mae" '
        "(default: the losses losskit recommends for the task)",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"], help="(default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=DEFAULTS["learning_rate"], help="Adam's step size (default: %(default)s)")
    parser.add_argument("--hidden", default=",".join(map(str, DEFAULTS["hidden"])), help="hidden layer widths (default: %(default)s)")
    parser.add_argument("--patience", type=int, help="early stopping: epochs without a better validation loss (default: off)")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="seed of the split, the weights and the batches (default: %(default)s)")
    parser.add_argument("--test-size", type=float, default=0.2, help="fraction of rows held out for the final metrics (default: %(default)s)")
    parser.add_argument("--val-size", type=float, default=0.2, help="fraction of the rest used for validation (default: %(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help="report directory (default: %(default)s/)")
    parser.add_argument("--force", action="store_true", help="overwrite the report in an existing --out directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def compare_main(argv: list[str]) -> int:
    """Run ``losskit compare`` with the arguments after ``compare``; return the exit status."""
    try:
        return _main(argv)
    except UsageError as error:
        print(f"losskit compare: error: {error}", file=sys.stderr)
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
    losses = parse_losses(args.losses) if args.losses else None
    try:
        if args.csv:
            if not args.target:
                raise UsageError("--csv needs --target COL, the column to predict")
            dataset = read_csv(args.csv, args.target, task=args.task)
        else:
            if args.target:
                raise UsageError("--target goes with --csv")
            dataset = load_bundled(args.dataset or DEFAULT_DATASET)
            if args.task and args.task != dataset.task:
                raise UsageError(f"the dataset {dataset.name} is a {dataset.task} task; --task {args.task} does not apply")
    except DataError as error:
        raise UsageError(str(error)) from None
    return _compare(dataset, losses, args, out)


def _compare(dataset, losses, args, out) -> int:
    import torch

    from .comparison import compare
    from .report import write_report

    torch.set_num_threads(1)  # small models: one thread is fastest, and keeps runs reproducible
    comparison = compare(
        dataset, losses, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        hidden=args.hidden, patience=args.patience, seed=args.seed, test_size=args.test_size,
        val_size=args.val_size, progress=not args.quiet,
    )  # fmt: skip
    if not any(run.history is not None and run.history.epochs > 0 for run in comparison.runs) and comparison.interrupted:
        print("losskit compare: interrupted before any loss finished an epoch; no report written", file=sys.stderr)
        return INTERRUPTED
    page = write_report(comparison, out, force=True)
    _print_table(comparison)
    print(f"Report: {page}")
    return INTERRUPTED if comparison.interrupted else 0


def parse_losses(text: str) -> list:
    """``"mse,huber(delta=2.0)"`` -> the losses to compare (names get their stable raw-output
    form; options in parentheses are Python literals). Unknown names and options are usage errors."""
    from .heads import stable_loss

    losses = []
    for item in _split_top_level(text):
        match = re.fullmatch(r"\s*([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?\s*", item)
        if not match:
            raise UsageError(f"--losses: cannot read {item.strip()!r}; write NAME or NAME(option=value, ...)")
        name, options = match.group(1), _options(match.group(2) or "", item)
        try:
            losses.append(stable_loss(name, options))
        except ValueError as error:
            raise UsageError(f"--losses: {error}") from None
    if not losses:
        raise UsageError("--losses: name at least one loss")
    return losses


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and brackets."""
    items, depth, current = [], 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [i for i in items if i.strip()]


def _options(text: str, item: str) -> dict:
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if call.args:
            raise ValueError("positional value")
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError):
        raise UsageError(f"--losses: cannot read the options of {item.strip()!r}; write NAME(option=value, ...) with Python literals") from None


def _check_numbers(args) -> None:
    try:
        args.hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden must be comma-separated integers; got {args.hidden!r}") from None
    checks = [
        ("--epochs", args.epochs, args.epochs >= 1),
        ("--batch-size", args.batch_size, args.batch_size >= 1),
        ("--learning-rate", args.learning_rate, args.learning_rate > 0),
        ("--patience", args.patience, args.patience is None or args.patience >= 1),
        ("--test-size", args.test_size, 0 < args.test_size < 1),
        ("--val-size", args.val_size, 0 < args.val_size < 1),
        ("--hidden", args.hidden, all(h >= 1 for h in args.hidden)),
    ]
    for flag, value, ok in checks:
        if not ok:
            raise UsageError(f"{flag} is out of range; got {value}")


def _print_table(comparison) -> None:
    """The held-out metrics in the terminal, the best loss marked."""
    from rich.console import Console
    from rich.table import Table

    from .metrics import LABELS

    best = set(comparison.best())
    table = Table(title=f"{comparison.dataset['name']} ({comparison.task}): held-out metrics, {comparison.dataset['n_test']} rows")
    table.add_column("loss")
    table.add_column("status")
    table.add_column("epochs", justify="right")
    for m in comparison.metrics:
        table.add_column(LABELS[m], justify="right")
    for run in comparison.runs:
        values = [("n/a" if not run.test or run.test.get(m) is None else f"{run.test[m]:.4g}") for m in comparison.metrics]
        label = f"★ {run.label}" if run.label in best else f"  {run.label}"
        table.add_row(label, run.status.replace("_", " "), str(run.history.epochs if run.history else 0), *values, style="bold" if run.label in best else None)
    console = Console(width=max(100, Console().width))
    console.print(table)
    if comparison.not_run:
        console.print(f"Not run (interrupted): {', '.join(comparison.not_run)}")
