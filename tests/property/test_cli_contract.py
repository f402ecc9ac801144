"""The command line's contract, for any command with any arguments: ``nncore.cli.main``
returns 0, 1 or 2 (never raises), prints no traceback, says something on stderr when it
fails, and leaves the files around it alone: a file it was not asked to write keeps its
bytes, a refused run (exit code 2) changes and creates nothing, and no temporary file or
commit journal remains.

Arguments are drawn per command from its options: paths among valid and mutated project
files, weights, data, ONNX models, garbage, folders, missing files and existing files
given as outputs; numbers in and out of range, non-numbers, unknown flags and missing
required options. The files live in a fresh folder per example, which is the working
directory while the command runs (relative outputs land there). ``lesson --check`` (which
trains whole lessons) is drawn with unknown lesson names only, and epochs stay small, to
keep the default profile fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncore.cli import COMMAND_NAMES, main

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TEMPORARY = re.compile(r"(^\..+\.\d+-[0-9a-f]{8}\.(tmp|old)$)|(^\.netcanvas-commit\.)")
PER_COMMAND = settings(max_examples=max(10, settings.default.max_examples // 3))

# -- the files of each example ------------------------------------------------------------
EXISTING = ["p.json", "s.json", "m.json", "w.npz", "bad.npz", "x.csv", "model.onnx",
            "junk.onnx", "keep.txt", "sub", "sub/inner.txt"]
NEW = ["new.json", "new.npz", "new.csv", "new.onnx", "new.py", "new.png", "newdir",
       "missing/deeper.json", "", "bad\x00name.npz"]


def _small(name: str) -> dict:
    project = json.loads((EXAMPLES / name).read_text())
    project["training"]["epochs"] = 2
    project["data"].setdefault("params", {})["n_samples"] = 60
    return project


@lru_cache(maxsize=1)
def _assets() -> dict[str, bytes]:
    """Bytes of the valid files: small projects, weights for p.json, an ONNX model."""
    import tempfile

    from nncore.export import export_onnx
    from nncore.project import project_from_dict
    from nncore.run import build_network
    from nncore.weights import weights_bytes

    xor, spiral = _small("xor.json"), _small("spiral.json")
    net = build_network(project_from_dict(xor))
    with tempfile.TemporaryDirectory() as d:
        export_onnx(net, Path(d) / "m.onnx")
        onnx_bytes = (Path(d) / "m.onnx").read_bytes()
    return {"p.json": json.dumps(xor).encode(), "s.json": json.dumps(spiral).encode(),
            "w.npz": weights_bytes(net), "model.onnx": onnx_bytes,
            "x.csv": b"0.5,-0.25\n-1,2\n0,0\n", "keep.txt": b"precious",
            "sub/inner.txt": b"inside"}


scalars = (st.none() | st.booleans() | st.integers(-5, 64) | st.sampled_from([0.5, -1.0, 1e9])
           | st.text(max_size=6))


@st.composite
def mutated_project(draw) -> bytes:
    """p.json or s.json with one value replaced or one key removed, or broken bytes."""
    data = json.loads(_assets()[draw(st.sampled_from(["p.json", "s.json"]))])
    if draw(st.integers(0, 5)) == 0:
        text = json.dumps(data).encode()
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.binary(max_size=4))
    paths = []

    def walk(value, prefix):
        paths.append(prefix)
        items = value.items() if isinstance(value, dict) else \
            enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            walk(v, prefix + (k,))

    walk(data, ())
    path = draw(st.sampled_from(paths[1:]))
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(scalars | st.lists(scalars, max_size=3))
    return json.dumps(data).encode()


# -- arguments ------------------------------------------------------------------------------
paths = st.sampled_from(EXISTING + NEW)
# Value lists start with two valid values, drawn most of the time (see _value).
ints = ["0", "1", "2", "-1", "3", "99999999999", "x", "1.5", ""]
floats = ["0.001", "1", "-1", "0", "nan", "inf", "1e400", "x"]
SPLIT = ["train", "val", "test", "nope"]

#: option -> kind; kinds: path, out (a path the command writes), int, float, flag, a list
#: of choices, or a strategy of texts.
OPTIONS: dict[str, dict[str, object]] = {
    "train": {"--epochs": ["1", "2", "0", "-3", "x"], "--seed": ints,
              "--init-weights": "path:w.npz", "--partial": "flag", "--freeze-loaded": "flag",
              "--resume": "path:new.npz", "--checkpoint": "out", "--out-weights": "out",
              "--metrics": "out", "--quiet": "flag"},
    "summary": {},
    "export": {"--weights": "path:w.npz", "--onnx": "out", "--python": "out", "--pytorch": "out"},
    "predict": {"--weights": "path:w.npz", "--input": "path:x.csv", "--output": "out"},
    "evaluate": {"--weights": "path:w.npz", "--split": SPLIT, "--output": "out"},
    "data": {"-o": ["has_header=false", "delimiter=,", "target=7", "header=yes", "junk", "="],
             "--json": "flag"},
    "import": {"--out": "out", "--weights-out": "out"},
    "lint": {},
    "gradcheck": {"--weights": "path:w.npz", "--samples": ["1", "2", "0", "-1", "x"],
                  "--seed": ints},
    "lr-find": {"--out": "out", "--plot": "out", "--start": floats, "--end": floats,
                "--steps": ["3", "5", "0", "-2", "x"],
                "--rule": ["steepest", "minimum/10", "valley", "best"]},
    "trace": {"--weights": "path:w.npz", "--sample": ints, "--split": SPLIT, "--output": "out"},
    "explain": {"--weights": "path:w.npz", "--input": "path:x.csv", "--split": SPLIT,
                "--repeats": ["1", "2", "0", "x"], "--seed": ints,
                "--method": ["saliency", "integrated-gradients", "gradcam", "magic"],
                "--layer": ["dense1", "input1", "nope"], "--steps": ["1", "4", "0", "x"],
                "--tolerance": floats, "--baseline": ["zeros", "mean", "blur", "x"],
                "--target": ["0", "1", "cat", "-1"], "--score": ["logit", "probability", "x"],
                "--output": "out"},
    "sweep": {"--set": ["training.learning_rate=0.1,0.01", "training.batch_size=4,8",
                      "training.epochs=1,2", "training.nope=1", "x=", "=",
                      "training.seed=a,b"],
              "--random": ["1", "2", "0", "-1", "x"], "--epochs": ["1", "2", "0", "x"],
              "--seed": ints, "--out": "out", "--quiet": "flag"},
    "lessons": {},
    "lesson": {},
}
#: Options a command needs (each left out now and then: the usage error is tested too).
REQUIRED = {"export": [("--onnx", "--python", "--pytorch"), "--weights"], "predict": ["--weights",
            "--input", "--output"], "evaluate": ["--weights"], "import": ["--out"],
            "trace": ["--weights", "--sample", "--output"], "sweep": ["--set", "--out"],
            "explain": ["--weights", "--method", "--output", ("--input", "--split")]}
POSITIONAL = {"data": "path:x.csv", "import": "path:model.onnx", "lessons": None,
              "lesson": ["nonlinearity", "dropout", "nope", "", "../x"]}


def _path(draw, kind: str) -> str:
    """A path from the pool; ``path:NAME`` prefers NAME (the file that fits the option)."""
    preferred = kind.partition(":")[2]
    if kind == "path:project" and draw(st.integers(0, 9)) < 9:  # mostly the one w.npz fits
        return draw(st.sampled_from(["p.json"] * 5 + ["s.json", "m.json", "m.json"]))
    if preferred and draw(st.integers(0, 9)) < 7:
        return preferred
    if kind == "out":  # a new file, or one that is already there, or no file name at all
        return draw(st.sampled_from(["new.json", "new.npz", "new.csv", "new.onnx", "new.py",
                                     "newdir"]) if draw(st.integers(0, 9)) < 5 else
                    st.sampled_from(["", ".", "sub", "keep.txt", "p.json", "w.npz",
                                     "missing/deeper.json", "bad\x00name.npz", "x.csv"]))
    return draw(paths)


def _value(draw, values: list[str]) -> str:
    """One of ``values``: one of the first two (valid) seven times in ten."""
    return draw(st.sampled_from(values[:2] if draw(st.integers(0, 9)) < 7 else values))


@st.composite
def command_line(draw, command: str) -> tuple[list[str], set[str]]:
    """(argv, the paths given to output options)."""
    argv, outputs = [command], set()
    positional = POSITIONAL.get(command, "path:project")
    if positional is not None and draw(st.integers(0, 9)) > 0:
        argv.append(_path(draw, positional) if isinstance(positional, str)
                    else _value(draw, positional))
    options = OPTIONS[command]
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True)) \
        if options else []
    for need in REQUIRED.get(command, []):
        if draw(st.integers(0, 11)) > 0:
            choice = draw(st.sampled_from(need)) if isinstance(need, tuple) else need
            chosen = [choice, *(c for c in chosen if c != choice
                                and not (isinstance(need, tuple) and c in need))]
    for option in chosen:
        kind = options[option]
        if kind == "flag":
            argv.append(option)
            continue
        if isinstance(kind, str):
            value = _path(draw, kind)
            if kind == "out":
                outputs.add(value)
        else:
            value = _value(draw, kind)
        argv += [option, value]
    if draw(st.integers(0, 7)) == 0:
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(
            ["--bogus", "-x", "--epochs", "--help-me", "extra"])))
    if command == "lesson" and draw(st.integers(0, 3)) == 0 and \
            argv[1:2] not in (["nonlinearity"], ["dropout"]):
        argv.append("--check")  # unknown lessons only: a real one trains for minutes
    return argv, outputs


# -- the contract ---------------------------------------------------------------------------
def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root``: its bytes (None for a folder)."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
            for p in sorted(root.rglob("*"))}


def _allowed(outputs: set[str], argv: list[str]) -> set[str]:
    """Paths a run that was not refused may create or change: its outputs, the weights file beside
    an imported project or an exported script, whatever is inside an output folder."""
    if "--pytorch" in argv[:-1]:  # the export's own files in that folder, no others
        from nncore.export.pytorch_project import FILES, INIT_WEIGHTS

        folder = Path(argv[argv.index("--pytorch") + 1])
        return {os.path.normpath(folder / name) for name in ("", *FILES, INIT_WEIGHTS)}
    allowed = set()
    for out in outputs:
        if not out.strip() or "\x00" in out or os.path.normpath(out) == ".":
            continue
        allowed.add(out)
        if Path(out).name:
            allowed.add(str(Path(out).with_suffix(".npz")))
        weights = argv[argv.index("--weights") + 1] if "--weights" in argv[:-1] else None
        if weights:
            allowed.add(str(Path(out).parent / Path(weights).name))
    return {os.path.normpath(a) for a in allowed}


def _inside(name: str, allowed: set[str], exact: bool = False) -> bool:
    return any(name == a or not exact and name.startswith(a + os.sep) for a in allowed)


def check_contract(root: Path, argv: list[str], outputs: set[str]) -> None:
    before = _snapshot(root)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.chdir(cwd)
    text = out.getvalue() + err.getvalue()
    assert code in (0, 1, 2), (argv, code, text)
    assert "Traceback" not in text, (argv, text)
    if code != 0:  # a usage error or a refusal says why (lint's findings: on stdout)
        assert text.strip(), (argv, "failed without a message")
    after = _snapshot(root)
    leftovers = [n for n in after if TEMPORARY.match(Path(n).name)]
    assert not leftovers, (argv, leftovers)
    # 1 is a finding (lint warnings, no learning rate to suggest: lr-find writes its curve
    # all the same); 2 is bad usage or input: nothing may change then.
    allowed = _allowed(outputs, argv) if code in (0, 1) else set()
    exact = "--pytorch" in argv  # its folder and files, not what else the folder holds
    changed = [n for n in before if after.get(n, b"<gone>") != before[n]
               and not _inside(n, allowed, exact)]
    created = [n for n in after if n not in before and not _inside(n, allowed, exact)]
    assert not changed and not created, (argv, code, changed, created, text[-500:])


def _write_files(root: Path, mutated: bytes, garbage: bytes) -> None:
    (root / "sub").mkdir()
    for name, raw in _assets().items():
        (root / name).write_bytes(raw)
    (root / "m.json").write_bytes(mutated)
    (root / "bad.npz").write_bytes(garbage)
    (root / "junk.onnx").write_bytes(garbage[::-1] + b"\x08\x01")


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_every_command_keeps_the_exit_code_and_file_contract(tmp_path_factory, command):
    @PER_COMMAND
    @given(data=st.data(), mutated=mutated_project(), garbage=st.binary(max_size=64))
    def run(data, mutated, garbage):
        root = tmp_path_factory.mktemp("cli")
        _write_files(root, mutated, garbage)
        argv, outputs = data.draw(command_line(command))
        check_contract(root, argv, outputs)

    run()
