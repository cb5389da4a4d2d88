"""The one grammar of a loss on the command line (``losskit.platform.options``)."""

from __future__ import annotations

import pytest

from losskit.platform.options import parse_candidate, split_top_level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mse", ("mse", {}, None)),
        ("huber(delta=2.0)", ("huber", {"delta": 2.0}, None)),
        ("bce(from_logits=true, label_smoothing=0.1)", ("bce", {"from_logits": True, "label_smoothing": 0.1}, None)),
        ("categorical_crossentropy@tanh", ("categorical_crossentropy", {}, "tanh")),
        ("quantile(quantile=0.9)@linear", ("quantile", {"quantile": 0.9}, "linear")),
        ("huber:delta=2,reduction=sum", ("huber", {"delta": 2, "reduction": "sum"}, None)),
        ("focal(class_weight=[1, 2], gamma=None)", ("focal", {"class_weight": [1, 2], "gamma": None}, None)),
    ],
)
def test_a_loss_is_read_with_its_options_and_activation(text, expected):
    assert parse_candidate(text) == expected


def test_a_list_splits_on_the_commas_outside_parentheses():
    assert split_top_level("mse, huber(delta=2.0, reduction='sum'),focal(class_weight=[1, 2])@sigmoid,") == [
        "mse", " huber(delta=2.0, reduction='sum')", "focal(class_weight=[1, 2])@sigmoid",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["huber(2.0)", "huber(delta=)", "9lives", "mse@"])
def test_what_cannot_be_read_is_a_value_error_that_says_how_to_write_it(text):
    with pytest.raises(ValueError, match="NAME"):
        parse_candidate(text)
