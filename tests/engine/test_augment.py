"""Data augmentation: shifts and flips checked on small known images, noise statistics,
reproducibility from the seed, the training settings and their validation, and the trainer
augmenting training batches only (validation inputs reach the network untouched)."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.augment import Augmentation, augmentation_for
from nncore.config import TRAINING_SCHEMA, TrainingConfig
from nncore.errors import ParameterError, SpecError
from nncore.network import Network
from nncore.project import project_from_dict
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer


def image(h=3, w=4, c=1, start=1.0):
    return (np.arange(c * h * w, dtype=np.float32) + start).reshape(1, c, h, w)


class FixedShifts:
    """A stand-in generator returning chosen shifts (and nothing else is asked of it)."""

    def __init__(self, dy, dx):
        self.d = np.array([dy, dx])

    def integers(self, low, high, size):
        assert size == self.d.shape and (self.d >= low).all() and (self.d < high).all()
        return self.d


def shifted(img, dy, dx):
    """Reference: out[y, x] = img[y - dy, x - dx], zero where that falls outside."""
    n, c, h, w = img.shape
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            if 0 <= y - dy < h and 0 <= x - dx < w:
                out[:, :, y, x] = img[:, :, y - dy, x - dx]
    return out


@pytest.mark.parametrize("dy,dx", [(0, 0), (1, 0), (0, -1), (-2, 1), (2, 2), (-1, -2)])
def test_shift_moves_the_image_and_fills_with_zeros(dy, dx):
    img = image(3, 4, c=2)
    got = Augmentation(shift=2).apply(img, FixedShifts([dy], [dx]))
    np.testing.assert_array_equal(got, shifted(img, dy, dx))


def test_shift_one_pixel_down_and_right_on_a_known_image():
    img = image(3, 3)  # 1..9
    got = Augmentation(shift=1).apply(img, FixedShifts([1], [1]))
    np.testing.assert_array_equal(got[0, 0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])


def test_shifts_are_per_image_and_cover_the_range():
    imgs = np.repeat(image(5, 5), 400, axis=0)
    rng = np.random.default_rng(0)
    got = Augmentation(shift=2).apply(imgs, rng)
    rng = np.random.default_rng(0)
    dy, dx = rng.integers(-2, 3, size=(2, 400))
    for k in range(400):
        np.testing.assert_array_equal(got[k:k + 1], shifted(imgs[k:k + 1], dy[k], dx[k]))
    assert set(dy) == set(dx) == {-2, -1, 0, 1, 2}


def test_flips_mirror_about_half_of_the_images():
    imgs = np.repeat(image(2, 3), 1000, axis=0)
    h = Augmentation(flip_horizontal=True).apply(imgs, np.random.default_rng(1))
    v = Augmentation(flip_vertical=True).apply(imgs, np.random.default_rng(1))
    mirrored_lr = imgs[0, :, :, ::-1]
    mirrored_ud = imgs[0, :, ::-1, :]
    is_lr = (h == mirrored_lr).all(axis=(1, 2, 3))
    is_ud = (v == mirrored_ud).all(axis=(1, 2, 3))
    assert ((h == imgs[0]).all(axis=(1, 2, 3)) | is_lr).all()
    assert ((v == imgs[0]).all(axis=(1, 2, 3)) | is_ud).all()
    assert 400 < is_lr.sum() < 600 and 400 < is_ud.sum() < 600
    np.testing.assert_array_equal(mirrored_lr[0], [[3, 2, 1], [6, 5, 4]])
    np.testing.assert_array_equal(mirrored_ud[0], [[4, 5, 6], [1, 2, 3]])
    # Both flips: each image is one of the four mirror images.
    both = Augmentation(flip_horizontal=True, flip_vertical=True).apply(
        imgs, np.random.default_rng(2))
    variants = [imgs[0], mirrored_lr, mirrored_ud, imgs[0, :, ::-1, ::-1]]
    which = np.array([[np.array_equal(b, v) for v in variants] for b in both])
    assert which.sum(axis=1).tolist() == [1] * 1000
    assert (which.sum(axis=0) > 180).all()


def test_noise_has_the_requested_standard_deviation_and_keeps_the_dtype():
    x = np.zeros((200, 1, 10, 10), np.float32)
    got = Augmentation(noise=0.3).apply(x, np.random.default_rng(3))
    assert got.dtype == np.float32
    assert abs(got.mean()) < 0.01 and abs(got.std() - 0.3) < 0.01


def test_the_input_batch_is_never_modified_and_the_result_is_a_new_array():
    x = image(4, 4, c=2)
    keep = x.copy()
    for aug in (Augmentation(shift=1), Augmentation(flip_horizontal=True),
                Augmentation(flip_vertical=True), Augmentation(noise=0.1)):
        out = aug.apply(x, np.random.default_rng(4))
        assert out is not x and not np.shares_memory(out, x)
        np.testing.assert_array_equal(x, keep)


def test_same_generator_state_gives_the_same_augmentation():
    x = np.random.default_rng(5).normal(size=(16, 3, 6, 6)).astype(np.float32)
    aug = Augmentation(shift=2, flip_horizontal=True, flip_vertical=True, noise=0.1)
    a = aug.apply(x, np.random.default_rng(7))
    b = aug.apply(x, np.random.default_rng(7))
    c = aug.apply(x, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ---------------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------------
def test_settings_are_in_the_training_schema_with_off_defaults():
    by_name = {p.name: p for p in TRAINING_SCHEMA}
    assert by_name["augment_shift"].kind == "int" and by_name["augment_shift"].default == 0
    assert by_name["augment_flip_horizontal"].default is False
    assert by_name["augment_flip_vertical"].default is False
    assert by_name["augment_noise"].kind == "float" and by_name["augment_noise"].default == 0.0
    assert not Augmentation.from_config(TrainingConfig()).active


@pytest.mark.parametrize("setting,value,match", [
    ("augment_shift", -1, "augment_shift must be"),
    ("augment_shift", 1.5, "augment_shift must be"),
    ("augment_noise", -0.1, "augment_noise must be"),
    ("augment_flip_horizontal", "yes", "augment_flip_horizontal must be true or false"),
])
def test_bad_settings_are_rejected(setting, value, match):
    with pytest.raises(ParameterError, match=match):
        TrainingConfig(**{setting: value})


def test_settings_round_trip_through_a_project_file():
    from nncore.project import Project

    p = Project(training=TrainingConfig(augment_shift=2, augment_flip_vertical=True,
                                        augment_noise=0.05))
    again = project_from_dict(p.to_dict())
    aug = Augmentation.from_config(again.training)
    assert aug == Augmentation(shift=2, flip_vertical=True, noise=0.05)


def _net(shape, seed=0):
    nodes = [NodeSpec("x", "Input", {"shape": list(shape)}),
             NodeSpec("flat", "Flatten", {}),
             NodeSpec("out", "Dense", {"units": 3, "activation": "softmax"})]
    return Network(GraphSpec(nodes, [EdgeSpec("x", "flat"), EdgeSpec("flat", "out")]),
                   seed=seed)


@pytest.mark.parametrize("setting", [{"augment_shift": 1}, {"augment_flip_horizontal": True},
                                     {"augment_flip_vertical": True}, {"augment_noise": 0.1}])
def test_non_image_input_with_augmentation_is_a_clear_error(setting):
    cfg = TrainingConfig(**setting)
    with pytest.raises(SpecError, match=r"Input 'x': data augmentation .* works on image "
                                        r"inputs \(C, H, W\), this Input takes samples of "
                                        r"shape \(5,\)") as e:
        Trainer(_net((5,)), cfg)
    assert e.value.node_id == "x"
    assert augmentation_for(_net((5,)), TrainingConfig()) is None  # off: no check at all


def test_shift_as_large_as_the_image_is_refused():
    with pytest.raises(SpecError, match=r"augment_shift 4 is not smaller than its 4x6 images"):
        Trainer(_net((1, 4, 6)), TrainingConfig(augment_shift=4))


# ---------------------------------------------------------------------------------------------
# in the trainer
# ---------------------------------------------------------------------------------------------
class Recorder:
    """Wraps Network.forward to record (training flag, input batch) of every call."""

    def __init__(self, net):
        self.calls = []
        self._forward = net.forward
        net.forward = self

    def __call__(self, x, training=False):
        batch = ({k: v.copy() for k, v in x.items()} if isinstance(x, dict)
                 else np.array(x, copy=True))
        self.calls.append((training, batch))
        return self._forward(x, training)


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1, 6, 6)).astype(np.float32)
    return x, rng.integers(0, 3, n)


def test_trainer_augments_training_batches_only():
    net = _net((1, 6, 6))
    x, y = _data(40, 0)
    xv, yv = _data(24, 1)
    cfg = TrainingConfig(batch_size=8, epochs=2, shuffle=False, augment_shift=2,
                         augment_flip_horizontal=True, augment_noise=0.05)
    rec = Recorder(net)
    Trainer(net, cfg).fit(x, y, xv, yv)
    train = [b for t, b in rec.calls if t]
    evals = [b for t, b in rec.calls if not t]
    assert len(train) == 10
    for k, b in enumerate(train):  # no shuffling: batch k holds rows k*8 % 40 ...
        rows = x[(k % 5) * 8:(k % 5 + 1) * 8]
        assert b.shape == rows.shape and not np.allclose(b, rows, atol=0.2)
    assert len(evals) == 2  # one validation pass per epoch, with the data untouched
    for b in evals:
        np.testing.assert_array_equal(b, xv)
    np.testing.assert_array_equal(x, _data(40, 0)[0])  # the training data itself unchanged


def test_training_without_augmentation_sees_the_raw_batches():
    net = _net((1, 6, 6))
    x, y = _data(16, 2)
    rec = Recorder(net)
    Trainer(net, TrainingConfig(batch_size=8, epochs=1, shuffle=False)).fit(x, y)
    np.testing.assert_array_equal(np.concatenate([b for t, b in rec.calls if t]), x)


def test_augmented_training_is_reproducible_from_the_seed():
    x, y = _data(48, 3)

    def run(seed):
        net = _net((1, 6, 6), seed)
        cfg = TrainingConfig(batch_size=8, epochs=3, seed=seed, augment_shift=1,
                             augment_flip_vertical=True, augment_noise=0.1)
        Trainer(net, cfg).fit(x, y)
        return net.get_weights()["out/W"]

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_multi_input_image_networks_augment_each_input():
    nodes = [NodeSpec("a", "Input", {"shape": [1, 4, 4]}),
             NodeSpec("b", "Input", {"shape": [2, 4, 4]}),
             NodeSpec("cat", "Concatenate", {"axis": 0}),
             NodeSpec("flat", "Flatten", {}),
             NodeSpec("out", "Dense", {"units": 2, "activation": "softmax"})]
    edges = [EdgeSpec("a", "cat"), EdgeSpec("b", "cat"), EdgeSpec("cat", "flat"),
             EdgeSpec("flat", "out")]
    net = Network(GraphSpec(nodes, edges), seed=0)
    rng = np.random.default_rng(4)
    xa = rng.normal(size=(8, 1, 4, 4)).astype(np.float32)
    xb = rng.normal(size=(8, 2, 4, 4)).astype(np.float32)
    rec = Recorder(net)
    cfg = TrainingConfig(batch_size=8, epochs=1, shuffle=False, augment_noise=0.5)
    Trainer(net, cfg).fit({"a": xa, "b": xb}, rng.integers(0, 2, 8))
    (training, batch), = [c for c in rec.calls if c[0]]
    assert not np.allclose(batch["a"], xa, atol=0.1) and not np.allclose(batch["b"], xb,
                                                                         atol=0.1)
