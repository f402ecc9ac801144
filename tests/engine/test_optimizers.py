"""Optimizers against independent textbook implementations of their update rules.

Each reference below is written from the published formula, one step at a time, on plain
float64 arrays (no chunking, no folded constants), and the engine's in-place, chunked
update must agree with it to rounding error.
"""

from __future__ import annotations

import numpy as np
import pytest

from nncore import optimizers
from nncore.errors import ParameterError
from nncore.optimizers import CHUNK, OPTIMIZERS, get_optimizer


# -- textbook references ------------------------------------------------------------------
def ref_sgd(p, grads, lr):
    p = p.copy()
    for g in grads:
        p = p - lr * g
    return p


def ref_momentum(p, grads, lr, momentum):
    p, v = p.copy(), np.zeros_like(p)
    for g in grads:
        v = momentum * v + g
        p = p - lr * v
    return p


def ref_nesterov(p, grads, lr, momentum):
    # Sutskever et al. in the reformulation PyTorch uses: look-ahead gradient g + mu v_t.
    p, v = p.copy(), np.zeros_like(p)
    for g in grads:
        v = momentum * v + g
        p = p - lr * (g + momentum * v)
    return p


def ref_rmsprop(p, grads, lr, rho, epsilon):
    p, s = p.copy(), np.zeros_like(p)
    for g in grads:
        s = rho * s + (1 - rho) * g * g
        p = p - lr * g / (np.sqrt(s) + epsilon)
    return p


def ref_adagrad(p, grads, lr, initial_accumulator, epsilon):
    p, s = p.copy(), np.full_like(p, initial_accumulator)
    for g in grads:
        s = s + g * g
        p = p - lr * g / (np.sqrt(s) + epsilon)
    return p


def ref_adam(p, grads, lr, beta1, beta2, epsilon, weight_decay=0.0):
    """Kingma & Ba, Algorithm 1 (bias-corrected m_hat, v_hat); with ``weight_decay`` the
    decoupled decay of Loshchilov & Hutter (AdamW): p <- p - lr wd p."""
    grads = list(grads)
    return ref_adam_changing(p, grads, lr, [(beta1, beta2)] * len(grads), epsilon,
                             weight_decay)[0]


def ref_adam_changing(p, grads, lr, settings, epsilon, weight_decay=0.0):
    """``ref_adam`` with (beta1, beta2) read anew at each step from ``settings``, as a run
    whose betas are edited while paused does; returns p and the moments m, v."""
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, (g, (beta1, beta2)) in enumerate(zip(grads, settings), start=1):
        p = p - lr * weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return p, m, v


CASES = {
    "sgd": ({}, ref_sgd),
    "momentum": ({"momentum": 0.8}, ref_momentum),
    "nesterov": ({"momentum": 0.7}, ref_nesterov),
    "rmsprop": ({"rho": 0.85, "epsilon": 1e-6}, ref_rmsprop),
    "adagrad": ({"initial_accumulator": 0.05, "epsilon": 1e-6}, ref_adagrad),
    "adam": ({"beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6}, ref_adam),
    "adamw": ({"beta1": 0.85, "beta2": 0.99, "epsilon": 1e-7, "weight_decay": 0.1},
              ref_adam),
}


def test_every_optimizer_has_a_reference():
    assert set(CASES) == set(OPTIMIZERS)


def _run(name, params, p0, grads, lr):
    p = p0.copy()
    g = np.empty_like(p)
    opt = get_optimizer(name, **params)
    opt.bind(p, g)
    for gi in grads:
        g[...] = gi
        opt.step(lr)
    return p


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_closed_form_on_a_small_vector(name):
    params, ref = CASES[name]
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=7)
    grads = [rng.normal(size=7) * s for s in (1.0, 0.3, 2.0, 0.01, 1.5)]
    lr = 0.05
    got = _run(name, params, p0, grads, lr)
    want = ref(p0, grads, lr, **params)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert not np.allclose(got, p0)  # the steps did move the parameters


def test_adam_first_step_has_size_lr():
    # Closed form: after one step m_hat = g and v_hat = g^2, so the step is lr * sign(g)
    # (up to epsilon) whatever the gradient's magnitude.
    p0 = np.array([1.0, -2.0, 3.0, 0.5])
    g = np.array([1e-3, -5.0, 40.0, -0.2])
    got = _run("adam", {"epsilon": 1e-12}, p0, [g], 0.1)
    np.testing.assert_allclose(got, p0 - 0.1 * np.sign(g), rtol=0, atol=1e-9)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With zero gradients Adam does nothing, and AdamW only shrinks: p (1 - lr wd)^t.
    p0 = np.array([1.0, -3.0, 0.25])
    zeros = [np.zeros(3)] * 4
    np.testing.assert_array_equal(_run("adam", {}, p0, zeros, 0.1), p0)
    got = _run("adamw", {"weight_decay": 0.2}, p0, zeros, 0.1)
    np.testing.assert_allclose(got, p0 * (1 - 0.1 * 0.2) ** 4, rtol=1e-14)


@pytest.mark.parametrize("threaded", [False, True], ids=["one-thread", "two-threads"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_arrays_larger_than_one_chunk(name, threaded, monkeypatch):
    # Large networks update on two threads; lower the threshold to cover that path too.
    monkeypatch.setattr(optimizers, "PARALLEL_MIN", 2 * CHUNK if threaded else 1 << 60)
    monkeypatch.setattr(optimizers, "_WORKERS", 2)
    params, ref = CASES[name]
    n = 2 * CHUNK + 1234  # two full chunks and a partial one
    rng = np.random.default_rng(2)
    p0 = rng.normal(size=n)
    grads = [rng.normal(size=n) for _ in range(3)]
    got = _run(name, params, p0, grads, 0.01)
    np.testing.assert_allclose(got, ref(p0, grads, 0.01, **params), rtol=1e-12, atol=1e-14)


def test_float32_parameters_stay_float32_and_views_are_updated_in_place():
    flat = np.ones(10, np.float32)
    view = flat[2:5].reshape(3)
    g = np.full(10, 0.5, np.float32)
    opt = get_optimizer("momentum")
    opt.bind(flat, g)
    opt.step(0.1)
    assert flat.dtype == np.float32
    np.testing.assert_allclose(view, 1 - 0.1 * 0.5, rtol=1e-6)


def test_update_config_changes_hyperparameters_between_steps():
    p0 = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    p = p0.copy()
    opt = get_optimizer("momentum", momentum=0.5)
    opt.bind(p, g.copy())
    opt.step(0.1)
    opt.update_config(momentum=0.0)  # v = 0 * v + g: plain SGD from now on
    opt.step(0.1)
    v1 = g
    np.testing.assert_allclose(p, p0 - 0.1 * v1 - 0.1 * g, rtol=1e-14)
    with pytest.raises(ParameterError, match="momentum"):
        opt.update_config(momentum=2.0)


# (beta1, beta2) per step: both change, then one at a time, then an edit that changes neither.
BETAS = [(0.9, 0.999), (0.9, 0.999), (0.5, 0.9), (0.5, 0.9), (0.95, 0.9), (0.95, 0.99999),
         (0.0, 0.0), (0.8, 0.99), (0.8, 0.99)]


@pytest.mark.parametrize("dtype, n", [(np.float64, 7), (np.float32, 2 * CHUNK + 1234)],
                         ids=["float64-small", "float32-two-threads"])
@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_betas_changed_mid_run_match_the_textbook_algorithm(name, dtype, n,
                                                                 monkeypatch):
    # Adam keeps its moments scaled by 1/(1-beta); a change of beta must rescale them so
    # the run continues exactly as the textbook update with the new betas would.
    monkeypatch.setattr(optimizers, "PARALLEL_MIN", 2 * CHUNK)
    monkeypatch.setattr(optimizers, "_WORKERS", 2)
    extra = {"weight_decay": 0.05} if name == "adamw" else {}
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=n)
    grads = [rng.normal(size=n) * s for s in (1.0, 0.3, 2.0, 0.01, 1.5, 0.7, 1.0, 0.2, 3.0)]
    lr, eps = 0.01, 1e-6
    opt = get_optimizer(name, epsilon=eps, **extra)
    opt.update_config(beta1=BETAS[0][0], beta2=BETAS[0][1])  # before bind: nothing to rescale
    p, g = p0.astype(dtype), np.empty(n, dtype)
    opt.bind(p, g)
    for gi, (b1, b2) in zip(grads, BETAS):
        opt.update_config(beta1=b1, beta2=b2)
        g[...] = gi
        opt.step(lr)
    want_p, want_m, want_v = ref_adam_changing(p0, grads, lr, BETAS, eps, **extra)
    got = opt.moments()
    assert p.dtype == got["m"].dtype == got["v"].dtype == dtype
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(p, want_p, **tol)
    np.testing.assert_allclose(got["m"], want_m, **tol)
    np.testing.assert_allclose(got["v"], want_v, **tol)


@pytest.mark.parametrize("name, params, bad", [
    ("adam", {"beta1": 1.5}, "1.5"),
    ("adamw", {"weight_decay": -0.1}, "-0.1"),
    ("momentum", {"momentum": 1.0}, "1.0"),
    ("rmsprop", {"rho": "high"}, "'high'"),
    ("adagrad", {"epsilon": 0.0}, "0.0"),
])
def test_bad_hyperparameter_is_quoted(name, params, bad):
    with pytest.raises(ParameterError) as info:
        get_optimizer(name, **params)
    msg = str(info.value)
    (key,) = params
    assert name in msg and key in msg and bad in msg


def test_unknown_optimizer_and_parameter():
    with pytest.raises(ParameterError, match="unknown optimizer 'adamax'"):
        get_optimizer("adamax")
    with pytest.raises(ParameterError, match="unknown parameter 'beta3'"):
        get_optimizer("adam", beta3=0.5)


def test_mismatched_buffers_are_rejected():
    opt = get_optimizer("sgd")
    with pytest.raises(ValueError):
        opt.bind(np.zeros(3), np.zeros(4))


def test_empty_parameter_buffer_is_a_no_op():
    opt = get_optimizer("adam")
    opt.bind(np.zeros(0), np.zeros(0))
    opt.step(0.1)
    assert opt.iterations == 1
