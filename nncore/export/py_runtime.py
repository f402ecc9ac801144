"""Source text of the standalone inference script that does not depend on the network's
layers (see :mod:`nncore.export.python_script`): the activation functions, of which a
script holds those its network uses, and the runtime every script ends with (loading the
weights, checking and normalising inputs, ``predict`` and the command line).
"""

from __future__ import annotations

import math

# ---------------------------------------------------------------------------------------------
# activations: name -> source of a NumPy function of the same name (as nncore.activations)
# ---------------------------------------------------------------------------------------------
PY_ACTIVATIONS: dict[str, str] = {
    "linear": "",
    "sigmoid": '''def sigmoid(x):
    """Logistic function, written as 0.5 * (1 + tanh(x / 2)) so it never overflows."""
    y = np.tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y
''',
    "tanh": '''def tanh(x):
    return np.tanh(x)
''',
    "relu": '''def relu(x):
    return np.maximum(x, 0)
''',
    "leaky_relu": '''def leaky_relu(x):
    return np.where(x > 0, x, x * 0.01)
''',
    "elu": '''def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
''',
    "gelu": f'''def gelu(x):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    inner = {math.sqrt(2.0 / math.pi)!r} * (x + 0.044715 * x * x * x)
    return 0.5 * x * (1.0 + np.tanh(inner))
''',
    "softplus": '''def softplus(x):
    """log(1 + e^x), computed stably."""
    return np.logaddexp(x, 0)
''',
    "silu": '''def silu(x):
    """x * sigmoid(x)."""
    return x * (0.5 * (1.0 + np.tanh(x * 0.5)))
''',
    "softmax": '''def softmax(x):
    """Normalised exponentials over the last axis."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e
''',
}


# ---------------------------------------------------------------------------------------------
# the fixed part of the script: it reads the constants the generator writes before it
# (DTYPE, INPUTS, NORMALIZATION, ...) and calls the generated forward()
# ---------------------------------------------------------------------------------------------
RUNTIME = '''
# -- weights ----------------------------------------------------------------------------------
def load_weights(path=WEIGHTS_FILE):
    """Load the weights .npz (never unpickles) and check every array's name and shape."""
    with np.load(path, allow_pickle=False) as f:
        weights = {key: f[key] for key in f.files}
    for key, shape in WEIGHT_SHAPES.items():
        if key not in weights:
            raise ValueError(f"{path}: weight {key!r} is missing")
        if weights[key].shape != shape:
            raise ValueError(f"{path}: weight {key!r} has shape {weights[key].shape}, "
                             f"expected {shape}")
        weights[key] = weights[key].astype(DTYPE, copy=False)
    return weights


_CACHE = {}


def default_weights():
    """The weights next to this script, loaded once."""
    if "weights" not in _CACHE:
        _CACHE["weights"] = load_weights()
    return _CACHE["weights"]


# -- inputs -----------------------------------------------------------------------------------
def prepare_inputs(x):
    """Check and shape the raw inputs: returns {input id: array of shape (n, *shape)}.

    ``x`` is an array (one Input), or a dict {input id: array} / a list in INPUTS order.
    Rows may also be flat (n, prod(shape)), as read from a CSV file.
    """
    ids = [node_id for node_id, _, _ in INPUTS]
    if isinstance(x, dict):
        data = x
    elif isinstance(x, (list, tuple)) and len(INPUTS) > 1:
        if len(x) != len(INPUTS):
            raise ValueError(f"expected {len(INPUTS)} input arrays ({ids}), got {len(x)}")
        data = dict(zip(ids, x))
    elif len(INPUTS) == 1:
        data = {ids[0]: x}
    else:
        raise ValueError(f"the network has {len(INPUTS)} inputs {ids}: pass a dict or a list")
    out, n = {}, None
    for node_id, shape, kind in INPUTS:
        if node_id not in data:
            raise ValueError(f"no data for input {node_id!r}")
        a = np.asarray(data[node_id])
        if a.dtype.kind not in "biuf":
            raise ValueError(f"input {node_id!r}: expected numbers, got dtype {a.dtype}")
        size = int(np.prod(shape))
        if a.ndim == 1 and size == 1:
            a = a.reshape(-1, 1)
        if a.shape[1:] != shape:
            if a.ndim == 2 and a.shape[1] == size:
                a = a.reshape((a.shape[0],) + shape)
            else:
                raise ValueError(f"input {node_id!r}: expected shape (n, "
                                 f"{', '.join(map(str, shape))}), got {a.shape}")
        if n is not None and len(a) != n:
            raise ValueError(f"input {node_id!r} has {len(a)} samples, the others {n}")
        n = len(a)
        if kind == "int":
            if a.dtype.kind == "f":
                if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
                    raise ValueError(f"input {node_id!r}: expected integer ids")
            a = a.astype(np.int64)
        elif not np.all(np.isfinite(a)):
            raise ValueError(f"input {node_id!r} contains NaN or Inf")
        out[node_id] = a
    return out


def normalize_inputs(inputs):
    """Apply NORMALIZATION to raw inputs (in float64, then float32, as NetCanvas does)
    and give every float input the network's dtype."""
    out = {}
    for node_id, _shape, kind in INPUTS:
        a = inputs[node_id]
        if kind == "float":
            norm = NORMALIZATION.get(node_id)
            if norm is not None:
                bshape = [1] * a.ndim
                bshape[norm["axis"]] = -1
                offset = np.asarray(norm["offset"], np.float64).reshape(bshape)
                scale = np.asarray(norm["scale"], np.float64).reshape(bshape)
                a = ((a.astype(np.float64) - offset) / scale).astype(np.float32)
            a = a.astype(DTYPE, copy=False)
        out[node_id] = a
    return out


def predict(x, weights=None):
    """Network outputs for a batch of RAW inputs ``x`` (see the module docstring).

    ``weights``: a dict from load_weights(); by default the file next to this script.
    """
    w = default_weights() if weights is None else weights
    y = forward(normalize_inputs(prepare_inputs(x)), w)
    if TARGET_SCALING is not None:  # undo the standardisation of regression targets
        flat = y.reshape(len(y), -1) * np.asarray(TARGET_SCALING["std"]) + np.asarray(
            TARGET_SCALING["mean"])
        y = flat.reshape(y.shape).astype(y.dtype)
    return y


# -- command line -----------------------------------------------------------------------------
def read_array(path):
    """A .npy file (allow_pickle=False) or a CSV / text file of numbers, one sample per row
    (a header row is skipped; comma, semicolon, tab or space separated)."""
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [(i + 1, line) for i, line in enumerate(f.read().splitlines()) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: the file is empty")
    delim = next((d for d in (",", ";", "\\t") if d in lines[0][1]), None)
    rows = []
    for k, (lineno, line) in enumerate(lines):
        cells = next(csv.reader([line], delimiter=delim)) if delim else line.split()
        try:
            row = [float(c) for c in cells]
        except ValueError:
            if k == 0:
                continue  # header
            raise ValueError(f"{path}, line {lineno}: not all values are numbers") from None
        if rows and len(row) != len(rows[0]):
            raise ValueError(f"{path}, line {lineno}: {len(row)} values, the first row has "
                             f"{len(rows[0])}")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows of numbers")
    return np.array(rows, dtype=np.float64)


def _columns(width):
    if CLASS_NAMES is not None and width == len(CLASS_NAMES):
        return list(CLASS_NAMES)
    return [f"y{j}" for j in range(width)]


def _classes(rows):
    if CLASS_NAMES is None:
        return None
    if rows.shape[1] == len(CLASS_NAMES) and rows.shape[1] > 1:
        return [CLASS_NAMES[j] for j in rows.argmax(axis=1)]
    if rows.shape[1] == 1 and len(CLASS_NAMES) == 2:
        return [CLASS_NAMES[int(p > 0.5)] for p in rows[:, 0]]
    return None


def format_csv(y):
    """Predictions as CSV text: one row per sample, a 'class' column when classes are known."""
    rows = np.asarray(y).reshape(len(y), -1)
    classes = _classes(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\\n")
    writer.writerow(_columns(rows.shape[1]) + (["class"] if classes is not None else []))
    for i, row in enumerate(rows):
        cells = [NUMBER_FORMAT % v for v in row]
        writer.writerow(cells + ([classes[i]] if classes is not None else []))
    return buf.getvalue()


def write_output(y, path):
    """Write predictions to .npy or CSV through a temporary file (never half-written)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".predictions.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if path.lower().endswith(".npy"):
                np.save(f, np.asarray(y), allow_pickle=False)
            else:
                f.write(format_csv(y).encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the exported network on inputs from CSV or .npy files.")
    names = ", ".join(node_id for node_id, _, _ in INPUTS)
    parser.add_argument("inputs", nargs=len(INPUTS), metavar="INPUT",
                        help=f"CSV or .npy file, one per Input in this order: {names}")
    parser.add_argument("-w", "--weights", default=WEIGHTS_FILE,
                        help="weights .npz (default: %(default)s)")
    parser.add_argument("-o", "--output",
                        help="write predictions to this .npy or .csv file instead of printing")
    args = parser.parse_args(argv)
    try:
        arrays = [read_array(p) for p in args.inputs]
        y = predict(arrays if len(arrays) > 1 else arrays[0], load_weights(args.weights))
        if args.output:
            write_output(y, args.output)
        else:
            sys.stdout.write(format_csv(y))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
