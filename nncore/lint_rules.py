"""The rules of :mod:`nncore.lint`, in three groups: settings alone, the network (with the
loss), and the data. Each rule is a function returning a list of findings; the thresholds and
their reasons are in :mod:`nncore.lint` and ``docs/understanding.md``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nncore.edits import RemoveNode, SetData, SetNodeParams, SetTraining
from nncore.lint import (
    DEEP_SIGMOID,
    LR_RANGES,
    MIN_VALIDATION,
    OUTPUT_REGULARIZERS,
    PASS_THROUGH,
    REGRESSION_LOSSES,
    WIDE_INPUT,
    Finding,
    effective_learning_rate,
    suggested_validation_fraction,
    widest_feature,
)
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from nncore.edits import Edit
    from nncore.lint import _View
    from nncore.project import Project

CCE, BCE = "categorical_crossentropy", "binary_crossentropy"


def settings_rules(project: Project) -> list[Finding]:
    return _learning_rate(project) + _early_stopping(project)


def network_rules(v: _View) -> list[Finding]:
    return (_output_loss(v) + _softmax_one_unit(v) + _output_regularizer(v)
            + _linear_stack(v) + _deep_sigmoid(v))


def data_rules(v: _View) -> list[Finding]:
    return (_task_loss(v) + _output_size(v) + _input_shapes(v) + _unscaled_inputs(v)
            + _normalized_ids(v) + _batch_size(v) + _small_validation(v))


# -- settings -----------------------------------------------------------------------------

def _learning_rate(p: Project) -> list[Finding]:
    t = p.training
    lo, hi = LR_RANGES[t.optimizer]
    eff = effective_learning_rate(t.optimizer, t.learning_rate, t.optimizer_params)
    if lo * (1 - 1e-9) <= eff <= hi * (1 + 1e-9):  # (0.1 / (1 - 0.9) is 1.0000000000000002)
        return []
    name = OPTIMIZERS[t.optimizer].label
    mu = float(t.optimizer_params.get("momentum", 0.0)) if eff != t.learning_rate else 0.0
    good = float(f"{np.sqrt(lo * hi) * (1.0 - mu):.3g}")
    rate = (f"{t.learning_rate:g} (an effective {eff:g} with momentum {mu:g})"
            if mu else f"{t.learning_rate:g}")
    low = eff < lo
    why = ("each update moves the weights so little that training barely progresses in "
           "any reasonable number of epochs" if low else
           "updates this large overshoot: the loss jumps around or diverges")
    return [Finding("learning-rate", "warning",
                    f"the learning rate {rate} is far {'below' if low else 'above'} {name}'s "
                    f"usual range {lo:g} to {hi:g}", why,
                    f"start from {good:g} and adjust by factors of 3",
                    setting="training.learning_rate",
                    edits=(SetTraining({"learning_rate": good}),))]


def _early_stopping(p: Project) -> list[Finding]:
    if not p.training.early_stopping or p.data.val_fraction > 0:
        return []
    frac = round(min(0.2, 0.9 - p.data.test_fraction), 2)
    return [Finding("early-stopping-without-validation", "warning",
                    "early stopping is on but no data is held out for validation",
                    "it then watches the training loss, which keeps falling while the "
                    "network overfits, so it stops late or never",
                    f"hold out a validation split (val_fraction {frac:g})",
                    setting="training.early_stopping",
                    edits=(SetData({"val_fraction": frac}),))]


# -- the network and the loss ---------------------------------------------------------------

def _units(v: _View, n: str) -> int:
    shape = v.analysis.shapes[n]
    return int(shape[-1]) if shape else 1


def _output_loss(v: _View) -> list[Finding]:
    """The output activation against the loss (the data's task is :func:`_task_loss`)."""
    out, loss = v.out, v.loss
    act, k = v.act(out) or "linear", _units(v, out)
    task = v.data.dataset.task if v.data is not None else None
    if (v.type_of(out) in OUTPUT_REGULARIZERS or (act == "softmax" and k == 1)
            or (task == "regression" and loss in (CCE, BCE))):
        return []  # _output_regularizer, _softmax_one_unit and _task_loss report these
    label = LOSSES[loss].label.lower()
    what = f"{v.owner(out)} uses {act} as the output activation and the loss is {label}"
    if loss == CCE and act != "softmax":
        why = ("categorical cross-entropy reads the outputs as one probability distribution "
               "over the classes, which only softmax makes (training refuses this)")
        if k == 1:
            return [_f("output-loss", "error", what, why, "one output unit is a yes/no "
                       "question: use sigmoid with binary cross-entropy", out,
                       (v.set_act(out, "sigmoid"), SetTraining({"loss": BCE})))]
        return [_f("output-loss", "error", what, why, "use softmax on the output", out,
                   (v.set_act(out, "softmax"),))]
    if loss == BCE and act != "sigmoid":
        why = ("binary cross-entropy reads each output as the probability of a yes, which "
               "only sigmoid makes (training refuses this)")
        if act == "softmax":
            return [_f("output-loss", "error", what, why, "for one-of-k classes with "
                       "softmax use categorical cross-entropy", out,
                       (SetTraining({"loss": CCE}),), "training.loss")]
        return [_f("output-loss", "error", what, why, "use sigmoid on the output", out,
                   (v.set_act(out, "sigmoid"),))]
    if loss in REGRESSION_LOSSES and act == "softmax" and task != "classification":
        why = ("softmax outputs are shares that sum to 1; a squared or absolute error on "
               "them learns slowly, since the softmax flattens its gradient once it "
               "saturates")
        if task == "regression":
            return [_f("output-loss", "warning", what, why + ", and numeric targets are "
                       "not shares", "use a linear output for numbers", out,
                       (v.set_act(out, "linear"),))]
        return [_f("output-loss", "warning", what, why, "for classes use categorical "
                   "cross-entropy", out, (SetTraining({"loss": CCE}),),
                   "training.loss")]
    return []


def _softmax_one_unit(v: _View) -> list[Finding]:
    found = []
    for n in v.analysis.order:
        if v.act(n) != "softmax" or _units(v, n) != 1:
            continue
        edits: tuple[Edit, ...] = (v.set_act(n, "sigmoid"),)
        refused = n == v.out and v.loss in (CCE, BCE)
        if n == v.out and v.loss == CCE:
            edits += (SetTraining({"loss": BCE}),)
        found.append(_f("softmax-one-unit", "error" if refused else "warning",
                        f"{v.owner(n)} applies softmax over a single unit",
                        "softmax divides each unit by the sum over the units, so over one "
                        "unit it always outputs 1 and passes no gradient back",
                        "for one yes/no output use sigmoid (with binary cross-entropy), "
                        "or give the layer one unit per class", n, edits))
    return found


def _output_regularizer(v: _View) -> list[Finding]:
    n = v.out
    while v.type_of(n) in ("Activation", "Flatten", "Reshape"):
        n = v.analysis.inputs[n][0]
    kind = v.type_of(n)
    if kind not in OUTPUT_REGULARIZERS:
        return []
    if kind == "BatchNormalization":
        why = ("it rescales the predictions to the batch's mean and spread, so each "
               "prediction depends on the rest of the batch and differs between training "
               "and inference")
    else:
        why = ("it zeroes random predictions in training, so the loss punishes outputs the "
               "network never made, and at inference it does nothing: the two disagree")
    return [_f("output-regularizer", "warning", f"{v.owner(n)} is right at the output", why,
               f"remove it (put {kind} between hidden layers instead)", n,
               (RemoveNode(n),))]


def _linear_stack(v: _View) -> list[Finding]:
    found = []
    for n in v.analysis.order:
        if v.type_of(n) != "Dense" or v.act(n) != "linear":
            continue
        todo, dense = v.consumers(n), []
        while todo:
            m = todo.pop()
            if v.type_of(m) == "Dense":
                dense.append(m)
            elif v.type_of(m) in PASS_THROUGH or (v.type_of(m) == "Activation"
                                                  and v.act(m) == "linear"):
                todo += v.consumers(m)
        if dense:
            found.append(_f("linear-stack", "warning",
                            f"{v.owner(n)} has no activation and feeds "
                            f"{v.owner(dense[0])} with no non-linearity between them",
                            "two linear layers in a row compute a single linear map "
                            "(W2 (W1 x + b1) + b2 = W x + b): the first adds weights but no "
                            "power to fit curved boundaries", f"give '{n}' an activation "
                            "such as relu", n, (SetNodeParams(n, {"activation": "relu"}),)))
    return found


def _deep_sigmoid(v: _View) -> list[Finding]:
    """The longest path of sigmoid layers (not counting the output, whose sigmoid the loss
    takes) with no BatchNormalization between them."""
    chains: dict[str, tuple[str, ...]] = {}
    for n in v.analysis.order:
        if v.type_of(n) == "BatchNormalization":
            chains[n] = ()
            continue
        chain = max((chains[i] for i in v.analysis.inputs[n]), key=len, default=())
        chains[n] = chain + (n,) if v.act(n) == "sigmoid" and n != v.out else chain
    longest = max(chains.values(), key=len, default=())
    if len(longest) < DEEP_SIGMOID:
        return []
    names = ", ".join(f"'{n}'" for n in longest)
    return [_f("deep-sigmoid", "warning",
               f"{len(longest)} sigmoid layers ({names}) follow one another with no "
               "normalization between them",
               "the sigmoid's slope is at most 1/4, so the gradient shrinks about 4-fold "
               "at each of them: the first layers barely learn (vanishing gradients)",
               "use relu in the hidden layers, or put a BatchNormalization after each",
               longest[0], tuple(SetNodeParams(n, {"activation": "relu"}) for n in longest))]


# -- the data ---------------------------------------------------------------------------------

def _task_loss(v: _View) -> list[Finding]:
    ds, loss, out = v.data.dataset, v.loss, v.out
    if ds.task == "classification" and loss in REGRESSION_LOSSES:
        k = ds.n_classes or 0
        label = LOSSES[loss].label.lower()
        why = (f"{label} treats class numbers as amounts (class 2 as twice class 1) and "
               "training refuses it for class labels")
        if k == 2 and _units(v, out) == 1:
            return [_f("task-loss", "error", f"the data holds 2 classes and the loss is "
                       f"{label}", why, "use sigmoid with binary cross-entropy", out,
                       (v.set_act(out, "sigmoid"), SetTraining({"loss": BCE})),
                       "training.loss")]
        return [_f("task-loss", "error", f"the data holds {k} classes and the loss is "
                   f"{label}", why, "use softmax with categorical cross-entropy", out,
                   (v.set_act(out, "softmax"), SetTraining({"loss": CCE})),
                   "training.loss")]
    if ds.task == "regression" and loss in (CCE, BCE):
        edits: tuple[Edit, ...] = (SetTraining({"loss": "mse"}),)
        if v.act(out) == "softmax":
            edits += (v.set_act(out, "linear"),)
        return [_f("task-loss", "error", f"the data holds numeric targets and the loss is "
                   f"{LOSSES[loss].label.lower()}", "cross-entropy needs class labels "
                   "(training refuses numbers)", "use mean squared error", out, edits,
                   "training.loss")]
    return []


def _output_size(v: _View) -> list[Finding]:
    ds, loss, out = v.data.dataset, v.loss, v.out
    shape = tuple(v.analysis.shapes[out])
    if ds.task == "classification" and loss in (CCE, BCE):
        k = ds.n_classes or 0
        if loss == BCE and k > 2:
            return [_f("output-size", "error", f"the data holds {k} classes and the loss "
                       "is binary cross-entropy", "binary cross-entropy answers one yes/no "
                       "question per output unit, not one of several classes",
                       f"use softmax with {k} units and categorical cross-entropy", out,
                       _resize(v, k) + (v.set_act(out, "softmax"),
                                        SetTraining({"loss": CCE})))]
        want = (k,) if loss == CCE else (1,)
        what = (f"the data holds {k} classes" if loss == CCE else
                "binary cross-entropy over 2 classes needs 1 unit")
    elif ds.task == "regression" and loss in REGRESSION_LOSSES:
        m = int(np.prod(ds.y.shape[1:])) if ds.y.ndim > 1 else 1
        if int(np.prod(shape)) == m:
            return []
        want, what = (m,), f"the data has {m} target value{'s' * (m != 1)} per sample"
    else:
        return []
    if shape == want:
        return []
    units = f"{want[0]} unit{'s' * (want[0] != 1)}"
    return [_f("output-size", "error", f"{v.owner(out)} outputs {shape} but {what}",
               "each output unit must match one class (or target value); training refuses "
               "a mismatch", f"give it {units}", out, _resize(v, want[0]))]


def _resize(v: _View, units: int) -> tuple[Edit, ...]:
    out = v.out
    if v.takes(out, "units") and len(v.analysis.shapes[out]) == 1:
        return (SetNodeParams(out, {"units": units}),)
    return ()


def _input_shapes(v: _View) -> list[Finding]:
    ds = v.data.dataset
    ids = v.analysis.input_ids
    if ds.inputs is None and len(ids) > 1:
        return [_f("input-shape", "error", f"the network has {len(ids)} Inputs "
                   f"({', '.join(ids)}) but the data has one input", "each Input needs its "
                   "own data (a data set with named inputs)", "use one Input, or data with "
                   "one named input per Input", ids[0], ())]
    found = []
    shapes = (ds.input_shapes if ds.inputs is not None
              else {i: ds.input_shape for i in v.analysis.input_ids})
    for n in v.analysis.input_ids:
        if n not in shapes:
            found.append(_f("input-shape", "error", f"the data has no input named '{n}'",
                            "each Input of a multi-input network is fed by the data input "
                            "of the same name", "rename the Input after one of the data's "
                            f"inputs: {', '.join(shapes)}", n, ()))
            continue
        have, want = tuple(v.analysis.shapes[n]), tuple(shapes[n]) or (1,)
        if have != want:
            found.append(_f("input-shape", "error", f"{v.owner(n)} expects samples of "
                            f"shape {have}, the data's are {want}", "the network cannot "
                            "take the data (training refuses it)", f"set the Input's shape "
                            f"to {list(want)}", n, (SetNodeParams(n, {"shape": list(want)}),)))
    return found


def _unscaled_inputs(v: _View) -> list[Finding]:
    ds, train = v.data.dataset, v.data.train
    if ds.inputs is None:
        if v.project.data.normalization != "none":
            return []
        arrays = {i: train.X for i in v.analysis.input_ids}
    else:  # named inputs are never normalized
        arrays = {i: train.inputs[i] for i in v.analysis.input_ids if i in train.inputs}
    arrays = {i: a for i, a in arrays.items() if not _takes_ids(v, i)}  # ids are no values
    found = []
    for n, a in arrays.items():
        if a.dtype.kind not in "fiu" or a.size == 0:
            continue
        big, j = widest_feature(a)
        if big <= WIDE_INPUT:
            continue
        names = ds.feature_names if ds.inputs is None else None
        feature = f"feature '{names[j]}'" if names and j < len(names) else f"feature {j}"
        edits = (SetData({"normalization": "standardize"}),) if ds.inputs is None else ()
        found.append(_f("unscaled-inputs", "warning",
                        f"the inputs are not scaled and {feature} reaches {big:g}",
                        "weights start sized for inputs of about unit scale; inputs this "
                        "large saturate the first layer and need a much smaller learning "
                        "rate than the other features", "standardize the inputs" if edits
                        else "scale these values in the data file", n, edits,
                        "data.normalization"))
    return found


def _normalized_ids(v: _View) -> list[Finding]:
    """One-input data is normalized as a whole, ids included (named inputs never are)."""
    mode = v.project.data.normalization
    if v.data.dataset.inputs is not None or mode == "none":
        return []
    return [_f("normalized-ids", "error", f"the inputs are normalized ({mode}) but "
               f"{v.owner(n)} feeds layers that take integer ids", "normalizing turns the "
               "ids into fractions, which no embedding row matches (training refuses them)",
               "turn normalization off", n, (SetData({"normalization": "none"}),),
               "data.normalization")
            for n in v.analysis.input_ids if _takes_ids(v, n)]


def _takes_ids(v: _View, input_id: str) -> bool:
    return any(v.analysis.layers[m].input_dtype == "int" for m in v.consumers(input_id))


def _batch_size(v: _View) -> list[Finding]:
    n, b = len(v.data.train), v.project.training.batch_size
    if b <= n:
        return []
    good = min(32, n)
    return [Finding("batch-size", "warning", f"the batch size {b} is larger than the "
                    f"training split ({n} samples)", "every epoch is then a single update on "
                    "all samples, so the run makes far fewer updates than the setting "
                    "suggests", f"use a batch size of at most {n} ({good} is usual)",
                    setting="training.batch_size",
                    edits=(SetTraining({"batch_size": good}),))]


def _small_validation(v: _View) -> list[Finding]:
    data, spec = v.data, v.project.data
    val = data.val
    if val is None or len(val) == 0:
        return []
    n_val, n = len(val), len(data.dataset)
    missing: list[str] = []
    if data.dataset.task == "classification":
        names = data.class_names or []
        have = set(np.unique(val.y).tolist())
        missing = [names[c] if c < len(names) else str(c)
                   for c in np.unique(data.train.y).tolist() if c not in have]
    if n_val >= MIN_VALIDATION and not missing:
        return []
    what = (f"the validation split holds {n_val} samples" if n_val < MIN_VALIDATION else
            f"the validation split has no sample of class {', '.join(missing[:3])}")
    frac = suggested_validation_fraction(n, spec.test_fraction)
    edits = (SetData({"val_fraction": frac}),) if frac and frac > spec.val_fraction \
        else ()
    fix = (f"hold out more (val_fraction {frac:g})" if edits else
           f"use more data: {n} samples cannot spare {MIN_VALIDATION} for validation")
    why = (f"one sample moves the accuracy by {100 / n_val:.1f} points, and below "
           f"{MIN_VALIDATION} samples the 95% interval of an accuracy of 80% is wider than "
           "+-14 points: real changes drown in the noise" if n_val < MIN_VALIDATION else
           "the validation metrics never see that class, so mistakes on it go unmeasured")
    return [Finding("small-validation", "warning", what, why, fix,
                    setting="data.val_fraction", edits=edits)]


def _f(rule: str, severity: str, what: str, why: str, fix: str, node_id: str,
       edits: tuple[Edit, ...], setting: str | None = None) -> Finding:
    return Finding(rule, severity, what, why, fix, node_id=node_id, setting=setting,
                   edits=edits)

