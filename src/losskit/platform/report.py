"""The report of a comparison: a directory with ``report.html``, ``history.json`` and ``figures/``.

``report.html`` is self-contained: styles inline, figures embedded as base64 PNG (drawn with
matplotlib's Agg renderer), no script and no link to the network, so it opens anywhere,
offline. It shows, in order: the held-out metrics with the best loss marked, the validation and
training metric of every loss by epoch, each loss's training and validation curves (loss and
main metric: the evaluation view), the loss profiles, the compatibility findings, and the data
and settings. ``history.json`` holds every number the report shows.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import math
import re
from pathlib import Path

import numpy as np

from .comparison import Comparison, Run
from .metrics import HIGHER_IS_BETTER, LABELS

DPI = 110
TRAIN, VALIDATION = "#2f6fde", "#e8590c"
#: Colours of the losses, in run order, the same in every figure.
PALETTE = ("#2f6fde", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#a5673f", "#5c940d", "#868e96", "#d6336c")
FILES = ("report.html", "history.json")


def check_output_dir(out, *, force: bool = False) -> Path:
    """``out`` as a Path, after making sure writing the report there overwrites nothing unless
    ``force``; raises FileExistsError with a one-line reason otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"the output directory {out} exists and is not empty; pass --force to overwrite it")
    return out


def write_report(comparison: Comparison, out, *, force: bool = False) -> Path:
    """Write ``report.html``, ``history.json`` and ``figures/*.png`` into ``out``; return the
    path of ``report.html``. An existing, non-empty ``out`` needs ``force=True``."""
    out = check_output_dir(out, force=force)
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    for old in figures_dir.glob("*.png"):  # figures of an earlier report
        old.unlink()
    figures = _figures(comparison)
    for name, png in figures.items():
        (figures_dir / name).write_bytes(png)
    (out / "history.json").write_text(json.dumps(comparison.to_dict(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    page = out / "report.html"
    page.write_text(render_html(comparison, figures), encoding="utf-8")
    return page


# ----------------------------------------------------------------------------- figures
def _figures(comparison: Comparison) -> dict[str, bytes]:
    """File name -> PNG bytes of every figure of the report."""
    figures = {}
    colours = {run.label: PALETTE[i % len(PALETTE)] for i, run in enumerate(comparison.runs)}
    trained = [r for r in comparison.runs if r.history is not None and r.history.epochs > 0]
    if trained:
        figures["overview.png"] = _png(_overview(comparison, trained, colours))
    for i, run in enumerate(trained, start=1):
        figures[f"curves-{i:02d}-{_slug(run.label)}.png"] = _png(_curves(comparison, run))
    profiles = _profiles(comparison, colours)
    if profiles is not None:
        figures["profiles.png"] = _png(profiles)
    return figures


def _new_figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    fig.patch.set_facecolor("white")
    return fig


def _style(ax, *, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color="#e3e6ec", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _epochs(run: Run) -> np.ndarray:
    return np.arange(1, run.history.epochs + 1)


def _series(run: Run, key: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in run.history.history.get(key, [])], dtype=float)


def _overview(comparison: Comparison, runs: list[Run], colours: dict[str, str]):
    """The primary metric of every loss by epoch, on training and on validation data."""
    metric = comparison.primary
    fig = _new_figure(10.0, 3.6)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, prefix, title in ((axes[0], "", "training data"), (axes[1], "val_", "validation data")):
        for run in runs:
            ax.plot(_epochs(run), _series(run, prefix + metric), color=colours[run.label], linewidth=1.8, label=run.label)
        ax.set_title(f"{LABELS[metric]} on {title}", fontsize=11)
        _style(ax, xlabel="epoch", ylabel=LABELS[metric] if prefix == "" else "")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[1].legend(fontsize=8, frameon=False, loc="best")
    return fig


def _curves(comparison: Comparison, run: Run):
    """The evaluation view of one loss: training and validation loss, and the primary metric."""
    metric = comparison.primary
    fig = _new_figure(6.2, 2.7)
    axes = fig.subplots(1, 2)
    epochs = _epochs(run)
    panels = ((axes[0], "loss", "loss"), (axes[1], metric, LABELS[metric]))
    for ax, key, title in panels:
        train, val = _series(run, key), _series(run, "val_" + key)
        ax.plot(epochs, train, color=TRAIN, linewidth=1.8, label="training")
        ax.plot(epochs, val, color=VALIDATION, linewidth=1.8, label="validation")
        best = run.history.best_epoch
        if best is not None and best <= len(val):
            ax.axvline(best, color="#868e96", linewidth=0.9, linestyle=":")
        if len(epochs) == 1:
            ax.plot(epochs, train, "o", color=TRAIN)
            ax.plot(epochs, val, "o", color=VALIDATION)
        if key == "loss" and _wide_positive(np.concatenate([train, val])):
            from matplotlib.ticker import NullFormatter

            ax.set_yscale("log")
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(title, fontsize=10)
        _style(ax, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].legend(fontsize=8, frameon=False, loc="best")
    if run.status != "completed":
        fig.suptitle(f"{run.status.replace('_', ' ')}: {run.message}", fontsize=8.5, color="#b42318" if run.status != "early_stopped" else "#5b6475")
    return fig


def _wide_positive(values: np.ndarray) -> bool:
    """Positive values spanning more than a factor 30: drawn on a log scale."""
    values = values[np.isfinite(values)]
    return values.size > 1 and values.min() > 0 and values.max() / values.min() > 30


def _profiles(comparison: Comparison, colours: dict[str, str]):
    """The built-in losses compared, drawn by :func:`losskit.guidance.profiles.profile`: the loss
    of one prediction and its gradient against prediction - target (regression and counts) or
    the margin (classification). One row per kind of x axis; a kind that every loss can be drawn
    as is used for all of them. Custom callables have no profile."""
    from ..guidance.profiles import kinds, profile

    runs = [r for r in comparison.runs if r.loss.spec is not None and r.loss.spec.native]
    if not runs:
        return None
    allowed = [kinds(r.loss) for r in runs]
    shared = [k for k in allowed[0] if all(k in a for a in allowed)]
    chosen = [shared[0] if shared else a[0] for a in allowed]
    rows = list(dict.fromkeys(chosen))
    fig = _new_figure(10.0, 3.3 * len(rows))
    axes = fig.subplots(len(rows), 2, squeeze=False)
    for run, kind in zip(runs, chosen):
        curve = profile(run.loss, kind)
        value_axis, gradient_axis = axes[rows.index(kind)]
        value_axis.plot(curve["x"], curve["loss"], color=colours[run.label], linewidth=1.8, label=run.label)
        gradient_axis.plot(curve["x"], curve["gradient"], color=colours[run.label], linewidth=1.8, label=run.label)
        for axis, title in ((value_axis, "loss"), (gradient_axis, "gradient")):
            axis.set_title(title, fontsize=11)
            axis.axhline(0.0, color="#adb5bd", linewidth=0.8, zorder=0)
            _style(axis, xlabel=curve["xlabel"])
    for value_axis, _ in axes:
        value_axis.legend(fontsize=8, frameon=False)
    return fig


# ----------------------------------------------------------------------------- HTML
def render_html(comparison: Comparison, figures: dict[str, bytes]) -> str:
    """The report page, with ``figures`` (file name -> PNG) embedded."""
    data = comparison.dataset
    title = f"losskit compare: {data['name']} ({data['task']})"
    sections = [
        _results_section(comparison),
        _overview_section(comparison, figures),
        _curves_section(comparison, figures),
        _profiles_section(figures),
        _findings_section(comparison),
        _setup_section(comparison),
    ]
    body = "\n".join(s for s in sections if s)
    return _PAGE.format(title=_e(title), css=_CSS, heading=_heading(comparison), body=body)


def _heading(comparison: Comparison) -> str:
    data = comparison.dataset
    best = comparison.best()
    verdict = (
        f"Best on held-out data by {_e(LABELS[comparison.primary])}: <strong>{_e(', '.join(best))}</strong>."
        if best
        else "No loss finished training, so there is no held-out ranking."
    )
    interrupted = ""
    if comparison.interrupted:
        skipped = f" Not run: {_e(', '.join(comparison.not_run))}." if comparison.not_run else ""
        interrupted = f'<p class="alert">The run was interrupted (Ctrl-C): the report shows the losses that finished.{skipped}</p>'
    return (
        f"<h1>Comparing losses on <em>{_e(data['name'])}</em></h1>"
        f'<p class="lead">{len(comparison.runs)} losses, one model each: same data, split, architecture and seed. '
        f"Task: <strong>{_e(data['task'])}</strong>, {data['n_samples']} rows, {data['n_features']} features. {verdict}</p>"
        f"{interrupted}"
    )


def _results_section(comparison: Comparison) -> str:
    metrics = comparison.metrics
    best = set(comparison.best())
    column_best = {m: set(comparison.best(m)) for m in metrics}
    head = "".join(f"<th>{_e(LABELS[m])} {'↑' if m in HIGHER_IS_BETTER else '↓'}</th>" for m in metrics)
    rows = []
    for i, run in enumerate(comparison.runs):
        cells = []
        for m in metrics:
            value = run.test.get(m) if run.test else None
            bold = ' class="top"' if run.label in column_best[m] else ""
            cells.append(f"<td{bold}>{_number(value)}</td>")
        star = '<span class="star" title="best by the primary metric">★</span> ' if run.label in best else ""
        rows.append(
            f'<tr{" class=best" if run.label in best else ""}><td>{star}<span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
            f"{_e(run.label)}</td><td>{_e(_activation(run))}</td><td>{_status(run)}</td>"
            f"<td>{run.history.epochs if run.history else 0}</td>{''.join(cells)}</tr>"
        )
    n_test = comparison.dataset["n_test"]
    return (
        '<section class="card"><h2>Held-out metrics</h2>'
        f'<table class="results"><thead><tr><th>loss</th><th>last layer</th><th>status</th><th>epochs</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note">Measured on {n_test} test rows that no model saw in training or validation. '
        f"★ marks the best loss by {_e(LABELS[comparison.primary])}; bold, the best value of each column "
        "(↑ higher is better, ↓ lower is better). Each metric tends to favour the loss that optimises it "
        "(MSE and RMSE, MAE and MAE, crossentropy and log loss): read the columns together.</p></section>"
    )


def _overview_section(comparison: Comparison, figures: dict[str, bytes]) -> str:
    if "overview.png" not in figures:
        return ""
    metric = LABELS[comparison.primary]
    return (
        f'<section class="card"><h2>{_e(metric)} by epoch</h2>'
        f"{_img(figures['overview.png'], f'{metric} of every loss by epoch on training and validation data')}"
        '<p class="note">The same metric for every loss, so the curves compare directly. A validation curve '
        "that turns while the training curve keeps improving is overfitting.</p></section>"
    )


def _curves_section(comparison: Comparison, figures: dict[str, bytes]) -> str:
    names = [n for n in figures if n.startswith("curves-")]
    if not names:
        return ""
    trained = [r for r in comparison.runs if r.history is not None and r.history.epochs > 0]
    cards = []
    for name, run in zip(names, trained):
        alt = f"training and validation loss and {LABELS[comparison.primary]} of {run.label} by epoch"
        cards.append(f'<figure><figcaption>{_e(run.label)}</figcaption>{_img(figures[name], alt)}</figure>')
    return (
        '<section class="card"><h2>Training and validation curves</h2>'
        '<p class="note">Per loss: the average loss over all training rows and over the validation rows at the end '
        "of every epoch (left; each loss on its own scale), and the main metric (right). The dotted line marks the "
        f'epoch with the lowest validation loss.</p><div class="grid">{"".join(cards)}</div></section>'
    )


def _profiles_section(figures: dict[str, bytes]) -> str:
    if "profiles.png" not in figures:
        return ""
    return (
        '<section class="card"><h2>Loss profiles</h2>'
        f"{_img(figures['profiles.png'], 'each compared loss against prediction minus target')}"
        '<p class="note">How each loss penalises an error: the loss of one prediction (left) and its gradient, the push '
        "it gives the model (right), against prediction − target for regression and counts, or against the margin (the "
        "true class's score minus the other's) for classification. A steeper tail weighs large errors and outliers more; a "
        "bounded gradient is robust to them.</p></section>"
    )


def _findings_section(comparison: Comparison) -> str:
    rows = []
    for run in comparison.runs:
        findings = run.history.findings if run.history else []
        if run.status == "failed":
            findings = [{"level": "error", "code": "failed", "message": run.message, "fix": None}]
        for f in findings or [{"level": "info", "code": "", "message": "no findings", "fix": None}]:
            fix = f"<div class='fix'>Fix: {_e(f['fix'])}</div>" if f.get("fix") else ""
            rows.append(
                f"<tr><td>{_e(run.label)}</td><td>{_e(_activation(run))}</td>"
                f'<td><span class="level {_e(f["level"])}">{_e(f["level"])}</span></td>'
                f"<td class='text'>{_e(f['message'])}{fix}</td></tr>"
            )
    return (
        '<section class="card"><h2>Compatibility findings</h2>'
        '<p class="note">What <code>losskit.check_compatibility</code> says about each loss and the activation of '
        "the model's last layer.</p>"
        f'<table class="findings"><thead><tr><th>loss</th><th>last layer</th><th>level</th><th class="text">finding</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _setup_section(comparison: Comparison) -> str:
    data, s = comparison.dataset, comparison.settings
    classes = f"<dt>classes</dt><dd>{_e(', '.join(data['classes']))}</dd>" if data.get("classes") else ""
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.get("notes", []))
    hidden = " → ".join(str(h) for h in s["hidden"])
    patience = f"early stopping after {s['patience']} epochs without improvement" if s["patience"] else "no early stopping"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<section class="card"><h2>Data and settings</h2><dl class="facts">'
        f"<dt>dataset</dt><dd>{_e(data['name'])}, target <code>{_e(data['target'])}</code>, task {_e(data['task'])}</dd>{classes}"
        f"<dt>rows</dt><dd>{data['n_train']} training, {data['n_val']} validation, {data['n_test']} test "
        f"(seed {s['seed']}{', stratified' if data['task'] in ('binary', 'multiclass') else ''})</dd>"
        f"<dt>features</dt><dd>{data['n_features']}, missing values imputed with the training median, standardised with training statistics</dd>"
        f"<dt>model</dt><dd>multilayer perceptron {data['n_features']} → {hidden} → last layer (ReLU hidden layers)</dd>"
        f"<dt>training</dt><dd>Adam, learning rate {s['learning_rate']:g}, batch size {s['batch_size']}, "
        f"{s['epochs']} epochs, {patience}</dd>"
        f"<dt>run</dt><dd>{when}, {comparison.seconds:.1f} s, losskit {_e(comparison.to_dict()['losskit_version'])}</dd>"
        f"</dl>{f'<ul class=notes>{notes}</ul>' if notes else ''}"
        '<p class="note">Every number in this report is in <code>history.json</code> beside it.</p></section>'
    )


def _activation(run: Run) -> str:
    if run.history is None:
        return "–"
    raw = [k for k in ("from_logits", "log_input") if run.history.options.get(k) is True]
    return f"{run.history.activation} ({raw[0]})" if raw else run.history.activation


def _status(run: Run) -> str:
    text = run.status.replace("_", " ")
    title = f' title="{_e(run.message)}"' if run.message else ""
    return f'<span class="status {run.status}"{title}>{_e(text)}</span>'


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return '<span class="na">n/a</span>'
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "loss"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
<header>{heading}</header>
{body}
<footer>Made by <code>losskit compare</code>. Self-contained: open it anywhere, no network needed.</footer>
</main>
</body>
</html>
"""

_CSS = """
:root { --fg: #1d2433; --muted: #5b6475; --line: #e3e6ec; --accent: #2f6fde; --bg: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 0 0 12px; }
.lead { color: var(--muted); margin: 0 0 8px; max-width: 900px; }
.lead strong { color: var(--fg); }
.alert { background: #fff4e6; border: 1px solid #ffd8a8; color: #8a4b08; padding: 8px 12px; border-radius: 8px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px; margin: 18px 0;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.note { color: var(--muted); font-size: 13.5px; margin: 10px 0 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 8px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { font-size: 12.5px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2), th:nth-child(3), td:nth-child(3) { text-align: left; }
.findings th, .findings td { text-align: left; }
td.text, th.text { width: 60%; }
tr.best td { background: #eef4ff; }
td.top { font-weight: 700; }
.star { color: #e8a100; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; }
.status, .level { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.status.completed, .level.ok { background: #e6f4ea; color: #137a3a; }
.status.early_stopped, .level.info { background: #eef2f7; color: #475467; }
.status.diverged, .status.failed, .status.interrupted, .level.error { background: #fdecec; color: #b42318; }
.level.warning { background: #fff4e6; color: #b54708; }
.fix { color: var(--muted); font-size: 13px; margin-top: 2px; }
.na { color: #98a2b3; }
img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 18px; margin-top: 14px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 10px; padding: 10px; }
figcaption { font-weight: 600; font-size: 14px; margin: 0 0 4px 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
ul.notes { color: var(--muted); font-size: 13.5px; margin: 12px 0 0; padding-left: 20px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; background: #f1f3f5; padding: 0 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; margin-top: 24px; }
"""
