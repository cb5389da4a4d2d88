"""How close an exact BCE from logits can come to torch's fused one at small batches, in eager PyTorch.

    python benchmarks/torch_bce_floor.py          # writes benchmarks/torch_bce_floor.json
    python benchmarks/torch_bce_floor.py --rounds 3 --calls 100   # a quicker run

Forward and backward per call (``loss(y, x).backward()``), CPU float32, batch 32 and 256, hard
labels, 2 threads, against ``F.binary_cross_entropy_with_logits``: losskit's ``Loss`` (default
settings), and losskit's small-batch form written inline with no losskit layer around it (the
same five torch ops: the pair weights ``addcmul``, ``x * (1, -1)``, ``softplus``, the weighting,
the sum; with and without the same value check, the targets' ``aminmax`` and one read of the
objective). The inline form is the floor of that exact form: what is left between it and
losskit is losskit's per-call Python. Turns and ratios as in ``torch_step.py`` (every 20 calls;
the median over rounds of the per-round ratio).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
from pathlib import Path

import torch
import torch.nn.functional as F

import losskit as lk
from torch_step import compare

RESULTS = Path(__file__).with_name("torch_bce_floor.json")


def contenders(batch: int) -> dict:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 1, generator=g).requires_grad_()
    y = (torch.rand(batch, 1, generator=g) < 0.5).float()
    loss = lk.get("binary_crossentropy", from_logits=True)
    c = 1.0 / batch
    base, slope, signs = torch.tensor([c, 0.0]), torch.tensor([-c, c]), torch.tensor([1.0, -1.0])
    softplus = torch._C._nn.softplus

    def inline():
        return (softplus(x * signs, 1.0, 20.0) * torch.addcmul(base, y, slope)).sum()

    def inline_checked():
        value = inline()
        low, high = torch.aminmax(y)
        if not (low.item() >= 0.0 and high.item() <= 1.0 and math.isfinite(value.item())):
            raise ValueError("binary_crossentropy: targets outside [0, 1] or a non-finite objective")
        return value

    return {
        "torch": lambda: F.binary_cross_entropy_with_logits(x, y).backward(),
        "losskit": lambda: loss(y, x).backward(),
        "inline_checked": lambda: inline_checked().backward(),
        "inline": lambda: inline().backward(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=400, help="calls of each contender per round")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = []
    for batch in (32, 256):
        t = compare(contenders(batch), args.calls, args.rounds)
        row = {"batch": batch, **{f"{k}_us": round(1e6 * t[k], 2) for k in ("torch", "losskit", "inline_checked", "inline")}}
        row.update({f"ratio_{k}": round(t[f"ratio/{k}"], 3) for k in ("losskit", "inline_checked", "inline")})
        rows.append(row)
        print(f"batch {batch:>4}: torch {row['torch_us']:7.1f} us; losskit {row['ratio_losskit']:.2f}x, "
              f"inline with the check {row['ratio_inline_checked']:.2f}x, inline without {row['ratio_inline']:.2f}x", flush=True)  # fmt: skip
    meta = {"torch": torch.__version__, "python": platform.python_version(), "threads": 2, "rounds": args.rounds, "calls": args.calls}
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
