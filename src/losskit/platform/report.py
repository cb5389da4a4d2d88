"""The report of a comparison: a directory with ``report.html``, ``history.json`` and ``figures/``.

``report.html`` is self-contained: styles inline, figures embedded as base64 PNG (drawn by
:mod:`.figures`), no script and no link to the network, so it opens anywhere, offline. It
shows, in order: the verdict in one sentence, the ranking metric's intervals, the held-out
metrics (mean and 95% interval), the curves of every loss by epoch with their spread, the
evaluation plots (predicted against actual and residuals; ROC, precision-recall, calibration,
confusion matrices), the loss profiles, the compatibility findings, and the data and settings.
``history.json`` holds every number the report shows.

While ``losskit compare`` runs, :class:`LiveReport` rewrites the page as epochs and fits finish
(at most every :data:`LIVE_SECONDS`, the first time after the first epoch), with a ``<meta http-equiv="refresh">`` so an open browser tab
follows the run; the final page has no refresh. Every file is written to a temporary file and
moved into place (``os.replace``), so a reader never sees half a file, and only files this
module wrote (listed in ``history.json``) are ever replaced or removed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import html
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path

from .. import __version__
from . import _record
from .comparison import Comparison, Run
from .figures import colours, figures
from .metrics import HIGHER_IS_BETTER, LABELS
from .statistics import ALPHA

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: the permissions a plain open() would give

#: Seconds between two rewrites of the page while the comparison runs.
LIVE_SECONDS = 10.0
REFRESH_SECONDS = 3


def check_output_dir(out, *, force: bool = False) -> Path:
    """``out`` as a Path, after making sure writing the report there overwrites nothing unless
    ``force``; raises FileExistsError with a one-line reason otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    if out.is_dir() and any(p.name != LOCK for p in out.iterdir()) and not force:
        raise FileExistsError(f"the output directory {out} exists and is not empty; pass --force to overwrite it")
    return out


LOCK = ".losskit-compare.lock"


@contextlib.contextmanager
def output_lock(out):
    """Hold ``out`` for one ``losskit compare``: ``out/.losskit-compare.lock`` is created exclusively
    (which also proves the directory writable before any training) and removed at the end. Another
    live run's lock raises FileExistsError; a lock whose process is gone is taken over. A directory
    this run created and left empty is removed again; nothing else is."""
    out = Path(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = out / LOCK
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                break
            except FileExistsError:
                if _alive(_lock_owner(lock)):
                    raise FileExistsError(f"another losskit compare (pid {_lock_owner(lock)}) is writing to {out}; wait for it or choose another --out") from None
                lock.unlink(missing_ok=True)  # its process is gone
        else:
            raise FileExistsError(f"could not lock {out}")
    except PermissionError as error:
        raise FileExistsError(f"cannot write to {out}: {error.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    try:
        yield out
    finally:
        lock.unlink(missing_ok=True)
        if created and not any(out.iterdir()):
            out.rmdir()


def _lock_owner(lock: Path) -> int:
    try:
        return int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LiveReport:
    """``on_fit`` and ``on_epoch`` callback of :func:`~.comparison.compare`: the report of what
    has finished so far and the curves of the fit in progress, rewritten at most every
    :data:`LIVE_SECONDS` (the first time after the first epoch); :meth:`final` writes the
    finished report."""

    def __init__(self, out, *, every: float = LIVE_SECONDS):
        self.out = Path(out)
        self.every = every  # 0: after every epoch and fit, however long the rewrite takes
        self.last = -math.inf
        self.cost = 0.0

    def __call__(self, comparison: Comparison) -> None:
        now = time.monotonic()
        wait = max(self.every, 9.0 * self.cost) if self.every else 0.0  # the rewrites take at most a tenth of the run
        if now - self.last >= wait:
            write_report(comparison, self.out, force=True, live=True)
            self.last = time.monotonic()
            self.cost = self.last - now

    def final(self, comparison: Comparison) -> Path:
        return write_report(comparison, self.out, force=True)


def write_report(comparison: Comparison, out, *, force: bool = False, live: bool = False) -> Path:
    """Write ``report.html``, ``history.json`` and ``figures/*.png`` into ``out``; return the
    path of ``report.html``. An existing, non-empty ``out`` needs ``force=True``. ``live=True``
    writes the page of a comparison in progress (fewer figures, reloading itself)."""
    out = check_output_dir(out, force=force)
    out.mkdir(parents=True, exist_ok=True)
    drawn = figures(comparison, live=live)
    files = _figure_files(drawn)
    previous = _previous_figures(out)
    figures_dir = out / "figures"
    figures_dir.mkdir(exist_ok=True)
    for name, png in files.items():
        _write_atomic(figures_dir / name, png)
    for stale in previous - set(files):
        (figures_dir / stale).unlink(missing_ok=True)  # a figure of our own earlier report
    record = comparison.to_dict()
    record["figures"] = sorted(files)
    _write_atomic(out / "history.json", (json.dumps(record, indent=1, allow_nan=False) + "\n").encode("utf-8"))
    page = out / "report.html"
    _write_atomic(page, render_html(comparison, drawn, live=live).encode("utf-8"))
    return page


def _figure_files(drawn: dict) -> dict[str, bytes]:
    """File name -> PNG: ``overview.png``, ``curves-01-mse.png`` (numbered in run order), ..."""
    files = {}
    for key, value in drawn.items():
        if isinstance(value, dict):
            for i, (label, png) in enumerate(value.items(), start=1):
                files[f"{key}-{i:02d}-{_slug(label)}.png"] = png
        else:
            files[f"{key.replace('_', '-')}.png"] = value
    return files


def _previous_figures(out: Path) -> set[str]:
    """The figures an earlier report written here listed as its own."""
    try:
        listed = json.loads((out / "history.json").read_text(encoding="utf-8")).get("figures", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in listed if isinstance(name, str) and "/" not in name and name.endswith(".png")}


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place: a reader sees
    the old file or the new one, never half of one. The file gets the usual permissions (the
    temporary file's are private)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- HTML
def render_html(comparison: Comparison, drawn: dict, *, live: bool = False) -> str:
    """The report page, with the ``drawn`` figures (from :func:`.figures.figures`) embedded."""
    data = comparison.dataset
    title = f"losskit compare: {data['name']} ({data['task']})"
    sections = [
        _results_section(comparison, drawn),
        _curves_section(comparison, drawn),
        _evaluation_section(comparison, drawn),
        _profiles_section(comparison, drawn),
        _findings_section(comparison),
        _setup_section(comparison),
    ]
    body = "\n".join(s for s in sections if s)
    refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if live else ""
    return _PAGE.format(title=_e(title), refresh=refresh, css=_CSS, heading=_heading(comparison, live), body=body)


def _heading(comparison: Comparison, live: bool) -> str:
    data = comparison.dataset
    verdict = comparison.verdict()
    n_fits = sum(len(r.fits) for r in comparison.runs)
    total = len(comparison.plans) * (len(comparison.runs) + len(comparison.not_run))
    status = ""
    if live:
        status = f'<p class="alert running">Running: {n_fits} of {total} fits finished. This page reloads itself until the run ends.</p>'
    elif comparison.interrupted:
        skipped = f" Not run: {_e(', '.join(comparison.not_run))}." if comparison.not_run else ""
        status = f'<p class="alert">The run was interrupted (Ctrl-C): the report shows the fits that finished.{skipped}</p>'
    kind = "verdict best" if verdict.best and verdict.differences else "verdict"
    return (
        f"<h1>Comparing losses on <em>{_e(data['name'])}</em></h1>"
        f'<p class="{kind}">{_e(verdict.sentence(LABELS[comparison.metric]))}</p>'
        f'<p class="lead">{len(comparison.runs)} losses, each trained on the same {len(comparison.plans)} paired splits '
        f"({comparison.settings['repeats']} × {comparison.settings['folds']}-fold). Task <strong>{_e(data['task'])}</strong>, "
        f"{data['n_samples']:,} rows, {data['n_features']:,} features. Ranked by <strong>{_e(LABELS[comparison.metric])}</strong>: "
        f"{_e(comparison.why_metric)}.</p>{status}"
    )


def _results_section(comparison: Comparison, drawn: dict) -> str:
    metrics = [comparison.metric, *[m for m in comparison.metrics if m != comparison.metric]]  # the ranking metric first
    verdict = comparison.verdict()
    marked = set(verdict.best or verdict.equivalent)
    palette = colours(comparison)
    ratio = comparison.ratio
    head = "".join(f"<th{' class=ranked' if m == comparison.metric else ''}>{_e(LABELS[m])} {'↑' if m in HIGHER_IS_BETTER else '↓'}</th>" for m in metrics)
    rows = []
    for run in comparison.runs:
        summary = run.summary(ratio)
        cells = "".join(_summary_cell(summary.get(m), m == comparison.metric) for m in metrics)
        mark = ""
        if run.label in verdict.best:
            mark = '<span class="star" title="the best loss: better than every other">★</span> '
        elif run.label in marked:
            mark = '<span class="tie" title="cannot be told apart from the best">=</span> '
        p = (verdict.p_values or {}).get(run.label)
        p_text = "–" if p is None or not math.isfinite(p) else f"{p:.3g}"
        rows.append(
            f'<tr{" class=best" if run.label in marked else ""}><td>{mark}<span class="swatch" style="background:{palette[run.label]}"></span>'
            f"{_e(run.label)}{_warning_badge(run)}</td><td>{_e(_activation(run))}</td><td>{_status(run)}</td><td>{p_text}</td>{cells}</tr>"
        )
    excluded = "".join(f"<li>{_e(label)}: {_e(reason)}</li>" for label, reason in (verdict.excluded or {}).items())
    figure = _img(drawn["intervals"], f"{LABELS[comparison.metric]} of every loss: splits, mean and 95% interval") if "intervals" in drawn else ""
    n_test = comparison.dataset["n_test"]
    return (
        f'<section class="card"><h2>The evidence</h2>{figure}'
        f'<table class="results"><thead><tr><th>loss</th><th>last layer</th><th>status</th><th>p vs best</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"{f'<ul class=notes>Left out of the verdict: {excluded}</ul>' if excluded else ''}"
        f'<p class="note">Each cell is the mean over the splits of the metric on the held-out rows (about {n_test:,} rows a split, '
        "never seen in training or validation) and its 95% interval. The intervals and the p-values use the Nadeau-Bengio "
        "correction for the overlap of the training sets (the plain standard error would be too narrow); p is the "
        f"Holm-adjusted p-value of the paired test against the best loss ({ALPHA:g} is the threshold). ★ marks a best loss, = the losses "
        "that cannot be told apart from the best. Each metric tends to favour the loss that optimises it (MSE and RMSE, MAE and "
        "MAE, crossentropy and log loss): read the columns together.</p></section>"
    )


def _summary_cell(entry, ranked: bool) -> str:
    css = ' class="ranked"' if ranked else ""
    if not entry:
        return f'<td{css}><span class="na">n/a</span></td>'
    low, high = entry["ci"]
    interval = f'<div class="ci">[{_number(low)}, {_number(high)}]</div>' if low is not None and high is not None else ""
    return f"<td{css}>{_number(entry['mean'])}{interval}</td>"


def _warning_badge(run: Run) -> str:
    errors = [f for f in run.findings if f["level"] == "error"]
    if not errors:
        return ""
    return f' <span class="level error" title="{_e(errors[0]["message"])}">incompatible</span>'


def _curves_section(comparison: Comparison, drawn: dict) -> str:
    curves = drawn.get("curves", {})
    if not curves and "overview" not in drawn:
        return ""
    metric = LABELS[comparison.metric]
    overview = _img(drawn["overview"], f"validation loss and {metric} of every loss by epoch") if "overview" in drawn else ""
    cards = []
    for run in comparison.runs:
        if run.label in curves:
            warning = _incompatibility_note(run)
            cards.append(
                f"<figure><figcaption>{_e(run.label)} <span class='status {run.status}'>{_e(run.status.replace('_', ' '))}</span></figcaption>"
                f"{warning}{_img(curves[run.label], f'training and validation loss and metrics of {run.label} by epoch')}</figure>"
            )
    return (
        '<section class="card"><h2>Training and validation, epoch by epoch</h2>'
        f"{overview}"
        '<p class="note">Top: every loss\'s validation loss (divided by its first epoch, since losses differ in scale) and '
        f"validation {_e(metric)}. Below, per loss: the loss and every metric on the training rows (blue) and the validation rows "
        "(orange) at the end of every epoch, the line the mean over the splits and the band the range from the lowest to the "
        "highest split. The dotted line marks the median best epoch, whose weights each fit keeps for its test metrics.</p>"
        f'<div class="stack">{"".join(cards)}</div></section>'
    )


def _incompatibility_note(run: Run) -> str:
    errors = [f for f in run.findings if f["level"] == "error"]
    if not errors:
        return ""
    f = errors[0]
    fix = f" Fix: {_e(f['fix'])}" if f.get("fix") else ""
    consequence = f" Consequence: {_e(run.status.replace('_', ' '))}{(': ' + _e(run.message)) if run.message else ''}."
    return f'<p class="alert">Warned before training: {_e(f["message"])}{fix} Trained anyway.{consequence}</p>'


def _evaluation_section(comparison: Comparison, drawn: dict) -> str:
    parts = []
    if "predictions" in drawn:
        parts.append(_img(drawn["predictions"], "predicted against actual and residuals of every loss"))
        note = (
            "Held-out predictions of every split pooled. Top: predicted against actual (the line is a perfect fit). Bottom: "
            "residuals against the prediction; a funnel is heteroscedastic noise, a curve a missed trend, lone far points outliers."
        )
    else:
        for key, alt in (("curves_roc_pr", "ROC and precision-recall curves"), ("calibration", "calibration"), ("confusion", "confusion matrices")):
            if key in drawn:
                parts.append(_img(drawn[key], alt))
        note = (
            "Held-out predictions of every split pooled. ROC and precision-recall curves rank the scores (precision-recall is the "
            "one to read on an imbalanced set); calibration compares predicted probabilities with observed frequencies (on the "
            "diagonal is calibrated); the confusion matrices show each class's recall in the diagonal."
        )
    if not parts:
        return ""
    return f'<section class="card"><h2>Evaluation on held-out rows</h2><div class="row">{"".join(parts)}</div><p class="note">{note}</p></section>'


def _profiles_section(comparison: Comparison, drawn: dict) -> str:
    if "profiles" not in drawn:
        return ""
    where = (
        "against prediction − target over the range of residuals the held-out predictions actually have, at the median target"
        if comparison.task in ("regression", "counts")
        else "against the margin (the true class's score minus the other's)"
    )
    return (
        '<section class="card"><h2>Loss profiles</h2>'
        f"{_img(drawn['profiles'], 'each compared loss against prediction minus target')}"
        f'<p class="note">How each loss penalises an error: the loss of one prediction (left) and its gradient, the push it gives '
        f"the model (right), {where}. A steeper tail weighs large errors and outliers more; a bounded gradient is robust to them.</p></section>"
    )


def _findings_section(comparison: Comparison) -> str:
    rows = []
    for run in comparison.runs:
        findings = list(run.findings)
        if run.status == "failed":
            findings = [{"level": "error", "code": "failed", "message": run.message, "fix": None}, *findings]
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
        "the model's last layer, checked before training.</p>"
        f'<table class="findings"><thead><tr><th>loss</th><th>last layer</th><th>level</th><th class="text">finding</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _setup_section(comparison: Comparison) -> str:
    data, s = comparison.dataset, comparison.settings
    classes = f"<dt>classes</dt><dd>{_e(', '.join(data['classes']))}</dd>" if data.get("classes") else ""
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.get("notes", []))
    split = (
        f"{s['repeats']} repeats of {s['folds']}-fold cross-validation" if s["folds"] > 1 else f"{s['repeats']} random hold-out splits of {s['test_size']:g}"
    )
    stratified = ", stratified" if data["task"] in ("binary", "multiclass") else ""
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<section class="card"><h2>Data and settings</h2><dl class="facts">'
        f"<dt>dataset</dt><dd>{_e(data['name'])}, target <code>{_e(data['target'])}</code>, task {_e(data['task'])}</dd>{classes}"
        f"<dt>splits</dt><dd>{split}{stratified}, seed {s['seed']}: {data['n_train']:,} training, {data['n_val']:,} validation "
        f"({s['val_size']:g} of the rest, to choose the best epoch), {data['n_test']:,} test rows in the first; every loss sees the same "
        "splits and, per split, the same initialisation seed</dd>"
        f"<dt>features</dt><dd>{data['n_features']:,}, missing values imputed with the training median, standardised with training statistics</dd>"
        f"<dt>model</dt><dd>{_e(comparison.learner)}</dd>"
        f"<dt>run</dt><dd>{when}, {comparison.seconds:.1f} s, {_e(_where(s))}, losskit {_e(__version__)}</dd>"
        f"</dl>{f'<ul class=notes>{notes}</ul>' if notes else ''}"
        '<p class="note">Every number in this report is in <code>history.json</code> beside it.</p></section>'
    )


def _where(settings: dict) -> str:
    """Where the fits ran: ``serial``, ``4 processes``, ``Dask cluster tcp://…, 8 workers``; the device and threads."""
    scheduler, workers = settings.get("scheduler"), settings.get("workers", 1)
    if scheduler in (None, "processes"):
        where = f"{workers} parallel processes" if workers and workers > 1 else "serial"
    else:
        where = f"Dask cluster {'on this machine' if scheduler == 'local' else scheduler}, {workers} workers"
    device = f" on {settings['device']}" if settings.get("device") else ""
    threads = f", {settings['threads']} torch threads each" if settings.get("threads") else ""
    return where + device + threads


def _activation(run: Run) -> str:
    history = run.history
    if history is None:
        return run.activation or "–"
    raw = _record.link_option(run.loss)
    return f"{history.activation} ({raw})" if raw and history.options.get(raw) is True else history.activation


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
{refresh}
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
.verdict { font-size: 18px; font-weight: 600; margin: 6px 0 10px; padding: 12px 16px; border-radius: 10px;
  background: #eef2f7; border-left: 5px solid #868e96; max-width: 1000px; }
.verdict.best { background: #e6f4ea; border-left-color: #2b9348; }
.lead { color: var(--muted); margin: 0 0 8px; max-width: 1000px; }
.lead strong { color: var(--fg); }
.alert { background: #fff4e6; border: 1px solid #ffd8a8; color: #8a4b08; padding: 8px 12px; border-radius: 8px; font-size: 13.5px; }
.alert.running { background: #e7f0ff; border-color: #b6ccfb; color: #1c4fb8; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px; margin: 18px 0;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); overflow-x: auto; }
.note { color: var(--muted); font-size: 13.5px; margin: 10px 0 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin-top: 12px; }
th, td { padding: 7px 7px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
table.results { font-size: 13.5px; }
th { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2), th:nth-child(3), td:nth-child(3) { text-align: left; }
.findings th, .findings td { text-align: left; }
td.text, th.text { width: 60%; }
tr.best td { background: #eef4ff; }
th.ranked, td.ranked { background: #fffbe6; }
tr.best td.ranked { background: #e6efff; }
.ci { color: var(--muted); font-size: 11.5px; white-space: nowrap; }
.star { color: #e8a100; }
.tie { color: #2f6fde; font-weight: 700; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; }
.status, .level { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.status.completed, .level.ok { background: #e6f4ea; color: #137a3a; }
.status.early_stopped, .level.info { background: #eef2f7; color: #475467; }
.status.diverged, .status.failed, .status.interrupted, .level.error { background: #fdecec; color: #b42318; }
.level.warning { background: #fff4e6; color: #b54708; }
.fix { color: var(--muted); font-size: 13px; margin-top: 2px; }
.na { color: #98a2b3; }
img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.stack { display: grid; grid-template-columns: 1fr; gap: 14px; margin-top: 14px; }
.row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; justify-content: center; }
.row img { margin: 0; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 10px; padding: 10px; }
figcaption { font-weight: 600; font-size: 14px; margin: 0 0 4px 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
ul.notes { color: var(--muted); font-size: 13.5px; margin: 12px 0 0; padding-left: 20px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; background: #f1f3f5; padding: 0 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; margin-top: 24px; }
"""
