"""The ``losskit`` command.

``losskit list``                              the losses, with their task and aliases
``losskit info NAME``                         formula, domains, activations, options, references
``losskit check --activation A --loss L``     exit status 1 when the pair is incompatible
``losskit recommend --task T``                ranked losses (or ``--csv FILE --target COL``)
``losskit plot NAME... -o FILE``              the loss profiles, PNG or SVG
``losskit compare ...``                       train and compare losses (see ``losskit compare --help``)

A loss may carry options: ``NAME:key=value,key=value`` or ``NAME(key=value,...)``
(``bce:from_logits=true``, ``"huber(delta=2)"``). Usage errors (unknown names, bad flags, unreadable files) print one line on
stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from . import __version__
from .guidance.compatibility import assess, logits_option, y_pred_text
from .guidance.findings import worst
from .guidance.options import describe
from .guidance.profiles import KINDS
from .guidance.recommendation import TASKS, recommend
from .registry import available, get, spec_for


class UsageError(Exception):
    """A mistake in the command line or its inputs: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints the usage and exits; we want one line
        raise UsageError(message)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] == "compare":
            return _compare(argv[1:])
        args = _parser().parse_args(argv)
        return args.run(args)
    except BrokenPipeError:  # the reader left (``losskit list | head``): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the flush at exit does not fail again
        return 1
    except (UsageError, ValueError, ImportError, OSError) as error:
        message = " ".join(str(error).split())
        print(f"losskit: error: {message}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="losskit", description="Every common loss function, and the guidance to choose one.")
    parser.add_argument("--version", action="version", version=f"losskit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="the losses, with their task and aliases")
    listing.add_argument("--task", help="only losses for this task")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)

    info = commands.add_parser("info", help="what a loss computes and accepts")
    info.add_argument("name", help="a loss name or alias, optionally NAME:key=value,... or NAME(key=value,...)")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_info)

    check = commands.add_parser("check", help="whether a final activation fits a loss (exit 1 when not)")
    check.add_argument("--activation", required=True, help="e.g. sigmoid, softmax, tanh, relu, linear, linear+softplus")
    check.add_argument("--loss", required=True, help="a loss name, optionally NAME:key=value,...")
    check.add_argument("--from-logits", action="store_true", help="the loss takes logits (from_logits=True or log_input=True)")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=_check)

    rec = commands.add_parser("recommend", help="losses for a task or a target column, best first")
    rec.add_argument("--task", help=", ".join(TASKS))
    rec.add_argument("--csv", type=Path, help="a CSV file with a header row")
    rec.add_argument("--target", help="the target column of --csv")
    rec.add_argument("--outliers", action="store_true", help="the regression targets have outliers")
    rec.add_argument("--imbalanced", action="store_true", help="the classes are imbalanced")
    rec.add_argument("--json", action="store_true", help="print JSON")
    rec.set_defaults(run=_recommend)

    plot = commands.add_parser("plot", help="loss profiles (loss and gradient) to a PNG or SVG file")
    plot.add_argument("names", nargs="+", metavar="NAME", help="losses, optionally NAME:key=value,...")
    plot.add_argument("-o", "--output", required=True, type=Path, help="the figure file, .png or .svg")
    plot.add_argument("--kind", choices=KINDS, help="the x axis (default: the loss's own)")
    plot.add_argument("--num", type=int, default=201, help="points per curve (default 201)")
    plot.set_defaults(run=_plot)

    commands.add_parser("compare", help="train one model per loss and compare them (losskit compare --help)", add_help=False)
    return parser


# ----------------------------------------------------------------------------- commands
def _list(args) -> int:
    specs = [spec_for(name) for name in available()]
    if args.task:
        specs = [s for s in specs if args.task in s.tasks]
        if not specs:
            known = sorted({t for name in available() for t in spec_for(name).tasks})
            raise UsageError(f"no loss has the task {args.task!r}; tasks: {', '.join(known)}")
    rows = [(s.name, ", ".join(s.aliases), ", ".join(s.tasks), ", ".join(s.activations)) for s in specs]
    if args.json:
        print(json.dumps([dict(zip(("name", "aliases", "tasks", "activations"), r)) for r in rows], indent=2))
        return 0
    _print_table(("loss", "aliases", "task", "final activation"), rows)
    return 0


def _info(args) -> int:
    loss = _loss(args.name)
    info = loss.info
    spec = loss.spec
    option = logits_option(spec) if spec is not None else None
    other = spec.info({**loss.options, option: not loss.options.get(option)}) if option else None
    if args.json:
        data = info.to_dict()
        if other is not None:
            data["with_" + option] = {"value": other.options[option], "y_pred_domain": str(other.y_pred_domain), "activations": list(other.activations)}
        print(json.dumps(data, indent=2))
        return 0
    print(f"{info.name}: {info.summary}" if info.summary else info.name)
    lines = [("aliases", ", ".join(info.aliases)), ("tasks", ", ".join(info.tasks)), ("formula", info.formula), ("latex", info.latex),
             ("y_true", _text(info.y_true_domain)), ("y_pred", _text(info.y_pred_domain)), ("activations", ", ".join(info.activations))]  # fmt: skip
    if spec is not None and spec.y_pred is not None:
        lines[5] = ("y_pred", y_pred_text(spec, loss.options))
    if other is not None:
        lines[5] = ("y_pred", f"{lines[5][1]}   ({option}={other.options[option]}: {y_pred_text(spec, other.options)})")
        lines[6] = ("activations", f"{', '.join(info.activations)}   ({option}={other.options[option]}: {', '.join(other.activations)})")
    lines.append(("properties", ", ".join(info.properties)))
    for index, (name, value) in enumerate(info.options.items()):
        lines.append(("options" if index == 0 else "", f"{name}={value!r}" + (f"   {describe(name)}" if describe(name) else "")))
    lines += [("references" if i == 0 else "", ref) for i, ref in enumerate(info.references)]
    for label, value in lines:
        if value:
            print(f"  {label:<12} {value}")
    return 0


def _check(args) -> int:
    loss = _loss(args.loss)
    if args.from_logits:
        option = logits_option(loss.spec) if loss.spec is not None else None
        if option is None:
            raise UsageError(f"{loss.name} has no from_logits or log_input option")
        loss = get(loss, **{option: True})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        findings = assess(args.activation, loss)
    compatible = worst(findings) != "error"
    if args.json:
        print(json.dumps({"compatible": compatible, "findings": [f.to_dict() for f in findings]}, indent=2))
    else:
        for finding in findings:
            print(f"{finding.level}: {finding.message}")
            if finding.fix:
                print(f"  fix: {finding.fix}")
        print(f"{args.activation} -> {loss!r}: {'compatible' if compatible else 'incompatible'}")
    return 0 if compatible else 1


def _recommend(args) -> int:
    if args.csv is None and args.task is None:
        raise UsageError("recommend needs --task TASK or --csv FILE --target COL")
    if (args.csv is None) != (args.target is None):
        raise UsageError("--csv and --target go together")
    y = _read_column(args.csv, args.target) if args.csv is not None else None
    recommendations = recommend(args.task, y=y, outliers=args.outliers, imbalanced=args.imbalanced)
    if args.json:
        print(json.dumps([r.__dict__ for r in recommendations], indent=2))
        return 0
    for rank, r in enumerate(recommendations, 1):
        options = ", ".join(f"{k}={v!r}" for k, v in r.options.items())
        print(f"{rank}. {r.loss}({options})   final activation: {r.activation}")
        print(f"   {r.reason}")
    return 0


def _plot(args) -> int:
    if args.output.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"-o must name a .png or .svg file; got {str(args.output)!r}")
    if args.num < 3:
        raise UsageError(f"--num must be at least 3; got {args.num}")
    from .guidance.profiles import plot_profiles

    plot_profiles([_loss(name) for name in args.names], args.output, kind=args.kind, num=args.num)
    print(f"wrote {args.output}")
    return 0


def _compare(argv: list[str]) -> int:
    try:
        from .platform.cli import compare_main
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("losskit"):
            raise UsageError("compare needs losskit.platform, which this installation does not have") from error
        raise UsageError(f"compare needs {error.name}: pip install 'losskit[platform]'") from error
    return compare_main(argv)


# ----------------------------------------------------------------------------- helpers
def _loss(text: str):
    """``NAME``, ``NAME:key=value,key=value`` or ``NAME(key=value, ...)`` as a Loss: the platform's
    one grammar of a loss on the command line (:mod:`losskit.platform.options`)."""
    from .platform.options import parse_candidate

    try:
        name, options, activation = parse_candidate(text)
    except ValueError as error:
        raise UsageError(f"loss options are key=value pairs, as in huber:delta=2 or huber(delta=2): {error}") from None
    if activation is not None:
        raise UsageError(f"{text!r}: `@{activation}` chooses a last layer for `losskit compare`; name the loss alone here")
    return get(name, **options)


def _read_column(path: Path, column: str):
    """The cells of ``column`` in the CSV file ``path``, by the platform's one CSV reader."""
    from .platform.data import read_column

    return read_column(path, column)


def _text(domain) -> str:
    return "unknown" if domain is None else str(domain)


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())



if __name__ == "__main__":
    sys.exit(main())
