"""One line on what each loss option does, for ``losskit info`` and the docs."""

from __future__ import annotations

OPTION_HELP = {
    "from_logits": "y_pred holds logits (raw scores): the loss applies the sigmoid or softmax itself, stably",
    "log_input": "y_pred is on the log scale (log-rate, log-mean, log-probability or log-variance)",
    "label_smoothing": "mix the targets with the uniform distribution by this fraction",
    "axis": "the class (or feature) axis of y_pred",
    "class_weight": "one weight per class, multiplying that class's terms",
    "apply_class_balancing": "weigh positives by alpha and negatives by 1 - alpha",
    "alpha": "the class-balancing weight of the focal term; Tversky: the weight of the missed target",
    "gamma": "the focusing exponent of (1 - p_t)^gamma; 0 gives the plain crossentropy",
    "ignore_class": "a label whose samples count neither in the loss nor in the mean",
    "delta": "the error at which the loss turns from squared to linear",
    "quantile": "the quantile the loss estimates, in (0, 1)",
    "power": "the Tweedie variance power p (<= 0 or >= 1; 0 normal, 1 Poisson, 2 gamma, 3 inverse Gaussian): variance ~ mean^p",
    "beta": "the error below which the loss is quadratic (0 gives the absolute error); Tversky: the weight of false alarms",
    "temperature": "divides the cosine similarities: small values sharpen the contrast between pairs",
    "mining": "which triplets of the batch count: 'batch_all' (every one) or 'semi_hard' (FaceNet's negatives)",
    "classes": "which classes the Lovász-Softmax averages over: 'present' (those in the sample's target) or 'all'",
    "blank": "the class index of the CTC blank",
    "zero_infinity": "give 0 (and a zero gradient) to a sequence no alignment can produce, instead of inf",
    "smooth": "added to the overlap and to its normaliser: keeps empty masks smooth (0: Keras' exact ratio)",
    "q": "the power of p_y in (1 - p_y^q) / q: near 0 crossentropy, 1 robust to noisy labels",
    "p": "the power of each margin shortfall: 1 (hinge) or 2 (squared hinge)",
    "margin": "the score gap the true class must keep over the others (or dissimilar pairs apart)",
    "full": "add the constant 0.5 log(2 pi), giving the exact negative log-likelihood",
    "epsilon": "the smallest variance: smaller ones are clamped to it",
}


def describe(option: str) -> str:
    """What ``option`` does ("" for an option of a user loss losskit knows nothing about)."""
    return OPTION_HELP.get(option, "")
