"""What the health of a layer means and what to try, in words: the tooltips of the canvas
badges and the notice after a run that ended (or paused) with layers that no longer learn.
The rules themselves are in :mod:`app.training.health`. Nothing here imports Qt."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.models.runs import STATUS_TEXT, RunRecord, format_metric
from app.training.health import (
    ACTIVITY_WARN,
    EXPLODING_NORM,
    EXPLODING_RATIO,
    SATURATED_SAMPLES,
    SATURATION_SLOPE,
    VANISHING_RATIO,
    WEAK_RATIO,
    Activity,
    gradient_health,
)

#: Remedies, in the order they are offered: (short, long) texts.
REMEDIES = {
    "lr": ("a smaller learning rate", "a smaller learning rate"),
    "relu": ("ReLU", "ReLU instead of sigmoid or tanh"),
    "leaky": ("leaky_relu or elu", "leaky_relu or elu instead of relu"),
    "bn": ("batch normalization", "batch normalization"),
    "init": ("another initializer", "another initializer (Glorot, or He for ReLU)"),
    "clip": ("gradient clipping", "gradient clipping (clip norm 1)"),
    "shallow": ("a shallower network", "a shallower network"),
}
#: What to try, by problem.
TRY = {
    "vanishing": ("relu", "bn", "init", "shallow"),
    "saturated": ("lr", "relu", "bn", "init"),
    "dead": ("lr", "leaky", "bn", "init"),
    "exploding": ("lr", "clip"),
}


def try_text(problems: list[str], learning_rate: float | None = None,
             short: bool = False, most: int | None = None) -> str:
    """"Try a, b or c" for ``problems``: each remedy once, in ``REMEDIES`` order, at most
    ``most`` of them, ``short`` or long."""
    wanted = {r for p in problems for r in TRY[p]}
    tries = [texts[0 if short else 1] for key, texts in REMEDIES.items() if key in wanted]
    tries = tries[:most]
    if learning_rate is not None and "lr" in wanted:
        tries[0] = f"{tries[0]} (now {learning_rate:g})"
    return "Try " + (", ".join(tries[:-1]) + " or " + tries[-1] if len(tries) > 1
                     else tries[0])


def _try(problem: str) -> str:
    return try_text([problem]) + "."


def gradient_tip(level: str, g: float, g_max: float) -> str:
    """The badge's tooltip for a layer's gradient norm ``g`` at ``level`` (largest layer's
    ``g_max``): what it means and, for a problem, what to try."""
    head = f"<b>Gradient norm</b> {g:.3g} ({level}); largest layer {g_max:.3g}."
    if level == "ok":
        return f"{head} This layer learns at a healthy pace."
    if level == "weak":
        return (f"{head} Below {WEAK_RATIO:g} of the largest layer's: this layer learns "
                "slowly. If it stays so: " + _try("vanishing"))
    if level == "vanishing":
        what = ("0: no gradient reaches this layer, it does not learn at all (its units "
                "are saturated or dead)" if g <= 0 else
                f"below {VANISHING_RATIO:g} of the largest layer's: vanishing gradients, "
                "this layer barely learns")
        return f"{head} {what[:1].upper()}{what[1:]}. " + _try("vanishing")
    return (f"{head} Above {EXPLODING_NORM:g} or {EXPLODING_RATIO:g}× the layer's weight "
            "norm: exploding gradients, each step throws the weights far. "
            + _try("exploding"))


def activity_tip(act: Activity) -> str:
    """The badge's tooltip for a layer's dead or saturated units."""
    if act.kind == "dead":
        head = (f"<b>{act.fraction:.0%}</b> of its units are dead: their output is 0 for "
                "every validation sample of the probe batch, so they pass no gradient and "
                "no longer learn.")
        calm = "A few dead units are normal."
        problem = "dead"
    else:
        head = (f"<b>{act.fraction:.0%}</b> of its units are saturated: for at least "
                f"{SATURATED_SAMPLES:.0%} of the validation samples their slope is below "
                f"{SATURATION_SLOPE:.0%} of its maximum, so they pass almost no gradient.")
        calm = ("Units at ±1 for some inputs are normal in a trained classifier; a unit "
                "stuck there for nearly every input is not.")
        problem = "saturated"
    if act.level == "ok":
        return f"{head} {calm}"
    return f"{head} From {ACTIVITY_WARN:.0%} of a layer this is a problem. " + _try(problem)


@dataclass(frozen=True)
class Finding:
    """One problem of a run's layers: ``kind`` ("vanishing", "exploding", "saturated",
    "dead") and the layers with it (node id, value: a gradient norm or a share of units)."""

    kind: str
    layers: tuple[tuple[str, float], ...]


def findings(grad_now: dict[str, float], weight_now: dict[str, float],
             activity: dict[str, Activity]) -> list[Finding]:
    """The problems a run's layers have now: vanishing or exploding gradients, and
    layers whose units are mostly saturated or dead (level "warn" or "bad")."""
    levels = gradient_health(grad_now, weight_now) if grad_now else {}
    out = []
    for kind in ("vanishing", "exploding"):
        layers = tuple((k, grad_now[k]) for k, lv in levels.items() if lv == kind)
        if layers:
            out.append(Finding(kind, layers))
    for kind in ("saturated", "dead"):
        layers = tuple((k, a.fraction) for k, a in activity.items()
                       if a.kind == kind and a.level != "ok")
        if layers:
            out.append(Finding(kind, layers))
    return out


def _names(layers: tuple[tuple[str, float], ...], fmt) -> str:
    parts = [f"{k} ({fmt(v)})" for k, v in layers[:4]]
    if len(layers) > 4:
        parts.append(f"{len(layers) - 4} more")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _norm(g: float) -> str:
    return "0" if g <= 0 else f"{g:.1e}" if math.isfinite(g) else "not finite"


_WHAT = {"vanishing": "vanishing gradients", "exploding": "exploding gradients",
         "saturated": "saturated units", "dead": "dead units"}


def _phrase(f: Finding) -> str:
    """"saturated units in dense1 (100%) and dense2 (97%)"."""
    fmt = _norm if f.kind in ("vanishing", "exploding") else (lambda v: f"{v:.0%}")
    return f"{_WHAT[f.kind]} in {_names(f.layers, fmt)}"


def _result(run: RunRecord) -> str:
    """" at 68.0% validation accuracy", " with validation RMSE 0.12" or ""."""
    m = run.final_metrics()
    for split, name in (("val", "validation"), ("train", "training")):
        value = m.get(f"{split}_{run.metric}")
        if value is not None:
            text = format_metric(run.metric, value)
            return f" at {text} {name} accuracy" if run.metric == "accuracy" else \
                f" with {name} RMSE {text}"
    return ""


def review_text(run: RunRecord, found: list[Finding], learning_rate: float | None) -> str:
    """The notice after ``run`` ended or paused with ``found`` problems: what happened,
    what it means and what to try (plain text)."""
    if run.active:
        head = f"{run.name} is paused at epoch {run.start_epoch + run.epochs_done}, with "
    else:
        head = f"{run.name} {STATUS_TEXT.get(run.status, run.status)}{_result(run)}, " \
            "but with "
    phrases = [_phrase(f) for f in found]
    says = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + \
        phrases[-1]
    kinds = [f.kind for f in found]
    meanings = []
    if any(k != "exploding" for k in kinds):
        meanings.append("these layers barely learn, if at all")
    if "exploding" in kinds:
        meanings.append("each step throws the weights far")
    meaning = "; ".join(meanings)
    advice = try_text(kinds, learning_rate, short=True, most=4)
    then = ", then Train from Scratch (Ctrl+F5)." if not run.active else "."
    return f"{head}{says}: {meaning}. {advice}{then}"
