"""How close an exact BCE from logits can come to torch's fused one at small batches, in eager PyTorch.

    python benchmarks/torch_bce_floor.py          # writes benchmarks/torch_bce_floor.json
    python benchmarks/torch_bce_floor.py --rounds 3 --calls 100   # a quicker run
    python benchmarks/torch_bce_floor.py --compiled   # also a compiled C++ operator (needs g++ and ninja)

Forward and backward per call (``loss(y, x).backward()``), CPU float32, batch 32 and 256, hard
labels, 2 threads, against ``F.binary_cross_entropy_with_logits``: losskit's ``Loss`` (default
settings), and losskit's small-batch form written inline with no losskit layer around it (the
same five torch ops: the pair weights ``addcmul``, ``x * (1, -1)``, ``softplus``, the weighting,
the sum; with and without the same value check, the targets' ``aminmax`` and one read of the
objective). The inline form is the floor of that exact form: what is left between it and
losskit is losskit's per-call Python. Turns and ratios as in ``torch_step.py`` (every 20 calls;
the median over rounds of the per-round ratio).

``--compiled`` adds what a compiled operator would give (a prototype, not part of losskit: it
needs a C++ compiler and ninja, and builds in about a minute with
``torch.utils.cpp_extension.load_inline``): one C++ ``autograd::Function``, exact as losskit's
form (``relu(x) - x y + log1p(exp(-|x|))``, its gradient ``(1 - y) - sigmoid(-x)`` for ``x >= 0``
and ``sigmoid(x) - y`` below, saved in the forward's single pass), called directly and with the
same value check, and its exactness beside losskit's (``max_relative_error`` in the JSON). First
order only (a shipped operator would also need a differentiable backward for double backward).
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


EXACT_BCE_CPP = r"""
#include <torch/extension.h>
#include <cmath>

struct ExactBce : public torch::autograd::Function<ExactBce> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& y) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat && y.scalar_type() == torch::kFloat && x.sizes() == y.sizes() && x.is_cpu());
    auto xc = x.contiguous(), yc = y.contiguous();
    auto g = torch::empty_like(xc);
    const int64_t n = xc.numel();
    const float *xp = xc.data_ptr<float>(), *yp = yc.data_ptr<float>();
    float* gp = g.data_ptr<float>();
    const float inv = 1.0f / static_cast<float>(n);
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float xi = xp[i], yi = yp[i], e = std::exp(-std::fabs(xi)), s = e / (1.0f + e);
      total += static_cast<double>(std::fmax(xi, 0.0f) - xi * yi + std::log1p(e));
      gp[i] = (xi >= 0.0f ? (1.0f - yi) - s : s - yi) * inv;
    }
    ctx->save_for_backward({g});
    return torch::scalar_tensor(total / static_cast<double>(n), x.options());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    return {ctx->get_saved_variables()[0] * grads[0], torch::Tensor()};
  }
};

torch::Tensor exact_bce(const torch::Tensor& x, const torch::Tensor& y) { return ExactBce::apply(x, y); }
"""


def compiled_operator():
    from torch.utils.cpp_extension import load_inline

    return load_inline("losskit_exact_bce_prototype", cpp_sources=EXACT_BCE_CPP, functions=["exact_bce"], extra_cflags=["-O3"]).exact_bce


def checked(value, y):
    """The value check losskit runs on the fused path: the targets' range and a finite objective."""
    low, high = torch.aminmax(y)
    if not (low.item() >= 0.0 and high.item() <= 1.0 and math.isfinite(value.item())):
        raise ValueError("binary_crossentropy: targets outside [0, 1] or a non-finite objective")
    return value


def exactness(operator) -> dict:
    """The largest relative error against float64 of the operator's and losskit's value and
    gradient, one logit at a time over [-100, 100] (2,001 float32 logits) with labels 0, 1 and
    0.3, wherever the exact term is a normal float32 number (below, float32 keeps few digits)."""
    loss, worst = lk.get("binary_crossentropy", from_logits=True), {}
    zero = torch.zeros((), dtype=torch.float64)
    for logit in torch.linspace(-100.0, 100.0, 2001):
        x64 = logit.double()
        for label in (0.0, 1.0, 0.3):
            if label in (0.0, 1.0):  # the exact terms: softplus(x) or softplus(-x), and their slopes
                exact = torch.logaddexp(zero, x64 if label == 0.0 else -x64)
                slope = torch.sigmoid(x64) if label == 0.0 else -torch.sigmoid(-x64)
            else:
                exact, slope = torch.logaddexp(zero, x64) - 0.3 * x64, torch.sigmoid(x64) - 0.3
            if exact.item() < torch.finfo(torch.float32).tiny:
                continue
            for name, fn in (("compiled", operator), ("losskit", lambda x, y: loss(y, x))):
                x = logit.reshape(1, 1).clone().requires_grad_()
                value = fn(x, torch.tensor([[label]]))
                value.backward()
                errors = (abs(value.item() - exact.item()) / exact.item(), abs(x.grad.item() - slope.item()) / abs(slope.item()))
                for part, error in zip(("value", "gradient"), errors):
                    worst[f"{name}_{part}"] = max(worst.get(f"{name}_{part}", 0.0), error)
    return worst


def contenders(batch: int, operator=None) -> dict:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 1, generator=g).requires_grad_()
    y = (torch.rand(batch, 1, generator=g) < 0.5).float()
    loss = lk.get("binary_crossentropy", from_logits=True)
    c = 1.0 / batch
    base, slope, signs = torch.tensor([c, 0.0]), torch.tensor([-c, c]), torch.tensor([1.0, -1.0])
    softplus = torch._C._nn.softplus

    def inline():
        return (softplus(x * signs, 1.0, 20.0) * torch.addcmul(base, y, slope)).sum()

    found = {
        "torch": lambda: F.binary_cross_entropy_with_logits(x, y).backward(),
        "losskit": lambda: loss(y, x).backward(),
        "inline_checked": lambda: checked(inline(), y).backward(),
        "inline": lambda: inline().backward(),
    }
    if operator is not None:
        found["compiled_checked"] = lambda: checked(operator(x, y), y).backward()
        found["compiled"] = lambda: operator(x, y).backward()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=400, help="calls of each contender per round")
    parser.add_argument("--compiled", action="store_true", help="also a compiled C++ operator (a prototype; needs g++ and ninja)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    operator = compiled_operator() if args.compiled else None
    rows = []
    for batch in (32, 256):
        t = compare(contenders(batch, operator), args.calls, args.rounds)
        names = [name for name in t if not name.startswith("ratio/")]
        row = {"batch": batch, **{f"{k}_us": round(1e6 * t[k], 2) for k in names}}
        row.update({f"ratio_{k}": round(t[f"ratio/{k}"], 3) for k in names[1:]})
        rows.append(row)
        print(f"batch {batch:>4}: torch {row['torch_us']:7.1f} us; " + ", ".join(f"{k} {row['ratio_' + k]:.2f}x" for k in names[1:]), flush=True)
    meta = {"torch": torch.__version__, "python": platform.python_version(), "threads": 2, "rounds": args.rounds, "calls": args.calls, "compiled": args.compiled}
    results = {"meta": meta, "rows": rows}
    if operator is not None:
        results["max_relative_error"] = {k: float(f"{v:.3g}") for k, v in exactness(operator).items()}
        print("largest relative error against float64:", results["max_relative_error"])
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
