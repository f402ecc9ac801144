"""Losses: values against naive reference formulas, gradients against finite differences
(float64), and stability for extreme logits."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.losses import LOSSES, get_loss


def _case(name):
    # A generator per loss: the case does not depend on which tests ran before.
    rng = np.random.default_rng(sorted(LOSSES).index(name))
    if name == "categorical_crossentropy":
        z = rng.normal(0, 2, (6, 4))
        return z, [rng.integers(0, 4, 6), np.eye(4)[rng.integers(0, 4, 6)]]
    if name == "binary_crossentropy":
        z = rng.normal(0, 2, (6, 1))
        return z, [rng.integers(0, 2, (6, 1)).astype(float), rng.uniform(0, 1, (6, 1))]
    z = rng.normal(0, 2, (6, 3))
    return z, [rng.normal(0, 2, (6, 3))]


def _reference(name, z, t):
    if name == "mse":
        return np.mean((z - t) ** 2)
    if name == "mae":
        return np.mean(np.abs(z - t))
    if name == "huber":
        d = np.abs(z - t)
        return np.mean(np.where(d <= 1, 0.5 * d ** 2, d - 0.5))
    if name == "binary_crossentropy":
        # -log(sigmoid(z)) = log(1 + e^-z), -log(1 - sigmoid(z)) = log(1 + e^z), exactly
        # (log(1 - p) of a naive sigmoid loses digits for large z), all in float64.
        t = t.astype(np.float64)
        return np.mean(t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(z.shape[1])[t] if t.ndim == 1 else t
    return np.mean(-(onehot * np.log(p)).sum(axis=1))


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_value_matches_reference(name):
    z, targets = _case(name)
    loss = get_loss(name)
    for t in targets:
        t2 = loss.check_targets(t, z.shape[1:])
        assert loss.forward(z, t2) == pytest.approx(_reference(name, z, t2), rel=1e-10)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradient_matches_finite_differences(name):
    z, targets = _case(name)
    loss = get_loss(name)
    eps = 1e-6
    for t in targets:
        t2 = loss.check_targets(t, z.shape[1:])
        loss.forward(z, t2)
        g = loss.backward()
        num = np.zeros_like(z)
        for idx in np.ndindex(z.shape):
            old = z[idx]
            z[idx] = old + eps
            fp = loss.forward(z, t2)
            z[idx] = old - eps
            fm = loss.forward(z, t2)
            z[idx] = old
            num[idx] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_cross_entropies_are_stable_for_huge_logits():
    cce = get_loss("categorical_crossentropy")
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], np.float32)
    assert cce.forward(z, np.array([0, 1])) == 0.0
    wrong = cce.forward(z, np.array([2, 0]))
    # -log p = logsumexp(z) - z_label = 1e4 - (-1e4) for both rows
    assert np.isfinite(wrong) and wrong == pytest.approx(2e4, rel=1e-6)
    assert np.isfinite(cce.backward()).all()
    bce = get_loss("binary_crossentropy")
    zb = np.array([[1e4], [-1e4]], np.float32)
    assert bce.forward(zb, np.array([[1.0], [0.0]])) == 0.0
    assert bce.forward(zb, np.array([[0.0], [1.0]])) == pytest.approx(1e4, rel=1e-6)
    assert np.isfinite(bce.backward()).all()


def test_bad_targets_are_named():
    from nncore.errors import DataError
    cce = get_loss("categorical_crossentropy")
    with pytest.raises(DataError, match="0..2"):
        cce.check_targets(np.array([0, 3]), (3,))
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        get_loss("binary_crossentropy").check_targets(np.array([0.0, 2.0]), (1,))
    with pytest.raises(DataError, match="shape"):
        get_loss("mse").check_targets(np.zeros((4, 2)), (3,))
