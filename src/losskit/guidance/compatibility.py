"""Can this final activation feed this loss? ``check_compatibility`` and ``is_compatible``.

The answer comes from metadata only: the activation's output range (see
:mod:`losskit.guidance.activations`) against the loss's ``y_pred`` domain and the activations it
declares, both under the loss's options (``from_logits=True`` changes them). The rules, in order:

1. ``logits-expected`` (error): the loss takes logits and the activation outputs probabilities,
   which the loss would squash a second time (sigmoid into BCE with ``from_logits=True``).
2. ``activation-range`` (error): the output range leaves the ``y_pred`` domain (tanh into
   categorical crossentropy: its log needs positive inputs). When the loss has a logits mode that
   the activation fits, the finding says the pair is compatible only with ``from_logits=True``
   (or ``log_input=True``).
3. ``margin-sign`` (error): a hinge loss reads the sign of ``y_pred`` as the class, and the
   activation cannot output both signs (sigmoid or relu into hinge).
4. ``fits`` (ok): the activation is one the loss declares.
5. ``rows-not-normalised``, ``softmax-coupled``, ``range-restricts`` (warnings): it runs, but
   the rows are not distributions, softmax ties independent outputs together, or the range
   covers only part of the domain (sigmoid into MSE cannot predict a target of 3).
6. ``unusual-activation`` (info): the range fits; the loss is usually paired with another one.

The pair is incompatible when any finding is an error.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..losses._domain import NON_NEGATIVE, REAL, UNIT, Interval, Layout, Target
from ..losses._spec import LossSpec
from ..registry import get
from . import activations as _activations
from .activations import Activation
from .findings import Finding, LossCompatibilityWarning, worst


def check_compatibility(activation: Any, loss: Any) -> list[Finding]:
    """Findings, each with its reason, on feeding the output of ``activation`` to ``loss``.

    ``activation`` is a name (``"sigmoid"``, ``"ReLU"``, ``"identity"``), an activation function,
    a PyTorch ``nn.Module`` or a Keras model (its final activation is read from its last layer).
    ``loss`` is anything :func:`losskit.get` accepts (``"bce"``, ``lk.get("bce", from_logits=True)``).
    Emits :class:`LossCompatibilityWarning` when the pair is incompatible (a finding of level
    ``"error"``).

    Examples
    --------
    >>> import losskit as lk
    >>> [f.code for f in lk.check_compatibility("sigmoid", "binary_crossentropy")]
    ['fits']
    """
    findings = assess(activation, loss)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        warnings.warn(errors[0].message, LossCompatibilityWarning, stacklevel=2)
    return findings


def is_compatible(activation: Any, loss: Any) -> bool:
    """True unless :func:`check_compatibility` finds an error; emits no warning."""
    return worst(assess(activation, loss)) != "error"


def assess(activation: Any, loss: Any) -> list[Finding]:
    """:func:`check_compatibility` without the warning."""
    acts, source = _activations.resolve(activation)
    loss = get(loss)
    findings = []
    if source is not None:
        names = "+".join(a.name for a in acts)
        findings.append(Finding("info", f"read the final activation {names!r} from {source}.", None, "activation-read"))
    if loss.spec is None or loss.spec.y_pred is None:
        message = f"{loss.name} declares no y_pred domain, so nothing can be checked (register it with y_pred=... to enable checks)."
        return [*findings, Finding("info", message, None, "unknown-domain")]
    return findings + pair_findings(acts, loss.spec, loss.options)


def pair_findings(acts: list[Activation], spec: LossSpec, options: dict[str, Any]) -> list[Finding]:
    """The findings for activations ``acts`` (one per head of ``y_pred``) and a loss record."""
    heads = y_pred_heads(spec, options)
    declared = spec.final_activations(options)
    names = "+".join(a.name for a in acts)
    if len(acts) == 1:
        acts = acts * len(heads)
    elif len(acts) != len(heads):
        raise ValueError(
            f"check_compatibility: {names!r} names {len(acts)} heads, but {spec.name}'s y_pred has {len(heads)}; "
            "two-part activations ('linear+softplus') are for mean-and-variance losses such as gaussian_nll"
        )
    if names in declared:
        return [Finding("ok", f"{names} fits {spec.name}: it is the final activation the loss expects.", None, "fits")]
    findings = []
    for index, ((head, domain), act) in enumerate(zip(heads, acts)):
        head_declared = tuple(d.split("+")[index] if "+" in d else d for d in declared)
        findings.append(_head_finding(act, spec, options, head, domain, head_declared))
    return findings


def y_pred_heads(spec: LossSpec, options: dict[str, Any]) -> list[tuple[str, Any]]:
    """(what, domain) for each part of ``y_pred``: one part, or the means and the variances."""
    if spec.layout is Layout.MEAN_VARIANCE:
        if spec.takes_raw(options):
            return [("means (first half of y_pred)", REAL), ("log-variances (second half of y_pred)", REAL)]
        return [("means (first half of y_pred)", REAL), ("variances (second half of y_pred)", NON_NEGATIVE)]
    return [(_what(spec, options), spec.y_pred_domain(options))]


def y_pred_text(spec: LossSpec, options: dict[str, Any]) -> str:
    """The domain of ``y_pred`` under ``options`` as text; per head for mean-and-variance losses."""
    heads = y_pred_heads(spec, options)
    if len(heads) == 1:
        return str(heads[0][1])
    return ", ".join(f"{what.split(' (')[0]} {domain}" for what, domain in heads)


def _what(spec: LossSpec, options: dict[str, Any]) -> str:
    if spec.takes_raw(options):
        if spec.raw_option == "from_logits":
            return "y_pred (logits)"
        return "y_pred (log-probabilities)" if spec.link.name == "log_softmax" else "y_pred (on the log scale)"
    if spec.y_pred_domain(options) == UNIT:
        return "y_pred (probabilities)"
    return "y_pred"


def logits_option(spec: LossSpec) -> str | None:
    """The option that switches ``spec`` to its logits (log-scale) input, if it has one: its link's."""
    return spec.raw_option


# ----------------------------------------------------------------------------- the rules
def _head_finding(act: Activation, spec: LossSpec, options, head: str, domain, declared: tuple[str, ...]) -> Finding:
    rng = act.output
    logits = spec.takes_raw(options)
    log_probabilities = logits and "log_softmax" in declared
    # Probabilities into a logits loss first: its reason is sharper than the range's.
    if logits and (spec.raw_option == "from_logits" or log_probabilities) and act.kind == "probability":
        expected = "log-probabilities" if log_probabilities else "raw logits"
        return Finding(
            "error",
            f"{spec.name} with {_on(spec, options)} expects {expected}, but {act.name} outputs probabilities, which the "
            "loss would transform a second time: the loss value is wrong and its gradients are too small.",
            f"end the model with {' or '.join(declared)} instead of {act.name}, or use {spec.name} with {_on(spec, options, False)}.",
            "logits-expected",
        )
    if not _fits(domain, rng):
        return _range_error(act, spec, options, head, domain)
    if spec.target is Target.SIGNED and (rng.low >= 0 or rng.high <= 0):
        return Finding(
            "error",
            f"{spec.name} reads the sign of y_pred as the class (labels -1 and 1), but {act.name} outputs only {rng}: "
            "every sample gets the same sign, so one class can never be scored correctly.",
            f"use {' or '.join(declared)} (raw scores), or binary_crossentropy for probabilities.",
            "margin-sign",
        )
    if act.name in declared:
        return Finding("ok", f"{act.name} fits {spec.name}: its outputs {rng} are the {head} the loss expects.", None, "fits")
    if predicts_distribution(spec) and not logits and not act.normalised:
        return Finding(
            "warning",
            f"{spec.name} expects each row of y_pred to be a probability distribution, but {act.name} outputs do not sum "
            "to 1 across classes (the loss rescales or clips them, which hides the mismatch).",
            f"use softmax, or a linear output with {_on(spec, options, True)}.",
            "rows-not-normalised",
        )
    if log_probabilities and act.kind != "log-probability":
        return Finding(
            "warning",
            f"{spec.name} with {_on(spec, options)} expects log-probabilities, but {act.name} outputs are not normalised "
            "(their exponentials do not sum to 1 across classes).",
            "use log_softmax.",
            "rows-not-normalised",
        )
    if act.normalised and spec.link.name == "logit" and not logits:
        return Finding(
            "warning",
            f"softmax ties the outputs together (they sum to 1), but {spec.name} scores each output on its own: "
            "multi-label targets cannot all be 1, and on a single output unit softmax is constantly 1.",
            "use sigmoid (one independent probability per output).",
            "softmax-coupled",
        )
    if logits and predicts_distribution(spec) and act.name == "log_softmax":
        return Finding(
            "info",
            f"log_softmax outputs are valid logits for {spec.name} (softmax(log_softmax(z)) = softmax(z)); the log_softmax is redundant.",
            None,
            "fits",
        )
    if _restricts(spec, options, rng, domain):
        return Finding(
            "warning",
            f"{act.name} limits {head} to {rng}, only part of {domain}: {_consequence(spec, options, rng, head)}.",
            f"use {' or '.join(declared)}" + (" unless that limit is intended." if not logits else "."),
            "range-restricts",
        )
    usual = " or ".join(declared) or "no activation in particular"
    return Finding(
        "info",
        f"{act.name} outputs {rng}, which fits the {head} of {spec.name} ({domain}); the loss is usually paired with {usual}.",
        None,
        "unusual-activation",
    )


def predicts_distribution(spec: LossSpec) -> bool:
    """Whether ``y_pred`` is a distribution over classes (probabilities from a softmax)."""
    return spec.y_pred == UNIT and (spec.link.activation == "softmax" or "softmax" in spec.activations)


def _fits(domain, rng: Interval) -> bool:
    if isinstance(domain, Interval):
        return domain.contains_interval(rng.low, rng.high, rng.low_closed, rng.high_closed)
    return False  # a finite set of values: no continuous activation fits it


def _compares_classes(spec: LossSpec, options) -> bool:
    """Whether only differences between the classes' ``y_pred`` matter (softmax logits, multi-class margins)."""
    softmax_logits = spec.takes_raw(options) and predicts_distribution(spec)
    return softmax_logits or (spec.margin_based and spec.target is Target.ONE_HOT)


def _restricts(spec: LossSpec, options, rng: Interval, domain: Interval) -> bool:
    """Whether the range misses part of the domain that matters. When only differences between
    classes matter, only a range bounded on both sides limits what the loss can express."""
    if _compares_classes(spec, options):
        return math.isfinite(rng.low) and math.isfinite(rng.high)
    return rng.low > domain.low or rng.high < domain.high


def _consequence(spec: LossSpec, options, rng: Interval, head: str) -> str:
    if spec.layout is Layout.MEAN_VARIANCE:
        return f"the predicted {head.split(' (')[0]} cannot leave {rng}"
    if spec.takes_raw(options) and spec.link.name == "logit":
        lo, hi = (1.0 / (1.0 + math.exp(-v)) if math.isfinite(v) else float(v > 0) for v in (rng.low, rng.high))
        return f"the predicted probabilities stay within [{lo:.3g}, {hi:.3g}]"
    if _compares_classes(spec, options):
        return "bounded values cap the differences between classes, so the predicted distribution or margin cannot get large"
    if spec.takes_raw(options):
        return "the predicted means (exp of y_pred) cannot cover every value the targets take"
    if set(spec.tasks) & {"regression", "counts", "reinforcement"} and spec.y_pred != UNIT:
        return f"predictions cannot reach targets outside {rng}, so this only fits targets scaled into it"
    return "the loss cannot reach its minimum for targets outside that range"


def _range_error(act: Activation, spec: LossSpec, options, head: str, domain) -> Finding:
    rng = act.output
    if not isinstance(domain, Interval):
        reason = f"{spec.name} takes {head} in {domain}, a finite set of values"
    else:
        outside = []
        below = rng.low < domain.low or (rng.low == domain.low and rng.low_closed and not domain.low_closed)
        if below:
            outside.append(f"values below {domain.low:g}" if rng.low < domain.low else f"the value {domain.low:g}")
        if rng.high > domain.high:
            outside.append(f"values above {domain.high:g}")
        reason = f"{act.name} outputs {rng}, which includes {' and '.join(outside)}, but {spec.name} takes {head} in {domain}"
        if spec.native and domain.low >= 0 and below:
            reason += ": the loss takes the log of these values, which needs strictly positive inputs"
        elif domain.high == 1.0 and rng.high > 1.0:
            reason += ": values above 1 are not probabilities"
    expected = " or ".join(spec.final_activations(options))
    option = logits_option(spec)
    if option and not spec.takes_raw(options) and _fits(spec.link.raw_domain, rng):
        other = spec.final_activations({option: True})
        if act.name in other:
            return Finding(
                "error",
                f"{reason}. {act.name} is compatible only with {option}=True.",
                f"use lk.get({spec.name!r}, {option}=True) with the {act.name} output, or end the model with {expected}.",
                "activation-range",
            )
        return Finding(
            "error",
            f"{reason}.",
            f"end the model with {expected}, or with {' or '.join(other)} and {option}=True.",
            "activation-range",
        )
    return Finding("error", f"{reason}.", f"end the model with {expected}.", "activation-range")


def _on(spec: LossSpec, options, value: bool | None = None) -> str:
    """``from_logits=True`` (or ``log_input=...``) as the loss spells it; ``value`` defaults to the current one."""
    option = logits_option(spec) or "from_logits"
    return f"{option}={bool(options.get(option)) if value is None else value}"
