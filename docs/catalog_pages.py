"""MkDocs hook: one page per family of losses, generated from the loss records when the site is
built (``mkdocs build``): each loss's summary, formula, domains, link, target, activations, Hessian
kind and its loss profile (drawn with ``losskit.guidance.profiles``). Nothing is written into the
source tree: the pages and figures are files MkDocs generates in memory."""

from __future__ import annotations

import inspect
import io
import sys
from collections import defaultdict
from pathlib import Path

from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import losskit as lk  # noqa: E402
from losskit.losses import CATALOG  # noqa: E402


def _family(spec) -> str:
    return inspect.getmodule(spec.kernel).__name__.rsplit(".", 1)[-1]


def _profile_png(name: str) -> bytes:
    from losskit.guidance.profiles import plot_profiles

    figure = plot_profiles([lk.get(name)])
    figure.set_size_inches(8, 2.8 * len(figure.axes) // 2)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def _entry(spec) -> str:
    loss = lk.get(spec.name)
    info = loss.info
    raw = spec.raw_option
    lines = [
        f"## `{spec.name}`",
        "",
        info.summary,
        "",
        "| | |",
        "|---|---|",
        f"| aliases | {', '.join(f'`{a}`' for a in spec.aliases) or '—'} |",
        f"| tasks | {', '.join(spec.tasks)} |",
        f"| formula | `{spec.formula}` |",
        f"| `y_true` | {spec.y_true} (target: `{spec.target.value}`) |",
        f"| `y_pred` | {spec.y_pred}" + (f"; `{raw}=True`: {spec.link.raw_domain}" if raw else "") + " |",
        f"| link | `{spec.link.name}`" + (f" (`{raw}=True` takes raw outputs)" if raw else "") + " |",
        f"| final activation | {', '.join(spec.activations)}" + (f"; `{raw}=True`: {', '.join(spec.link.raw_activations)}" if raw else "") + " |",
        f"| options | {', '.join(f'`{k}={v!r}`' for k, v in spec.defaults.items()) or '—'} |",
        f"| Hessian | {spec.hessian_kind} |",
        f"| references | {'; '.join(spec.references)} |",
        "",
        "```latex",
        spec.latex,
        "```",
        "",
        f"![The loss profile of {spec.name}](figures/{spec.name}.png)",
        "",
    ]
    return "\n".join(lines)


def on_files(files, config):
    families = defaultdict(list)
    for spec in CATALOG:
        families[_family(spec)].append(spec)
    index = ["# Catalog by family", "", "Generated from the loss records at build time.", ""]
    for family, specs in families.items():
        index.append(f"- [{family}]({family}.md): " + ", ".join(f"`{s.name}`" for s in specs))
        page = [f"# {family.replace('_', ' ').capitalize()}", "", inspect.getdoc(sys.modules[f"losskit.losses.{family}"]) or "", ""]
        page += [_entry(spec) for spec in specs]
        files.append(File.generated(config, f"catalog/{family}.md", content="\n".join(page)))
        for spec in specs:
            files.append(File.generated(config, f"catalog/figures/{spec.name}.png", content=_profile_png(spec.name)))
    files.append(File.generated(config, "catalog/index.md", content="\n".join(index) + "\n"))
    return files
