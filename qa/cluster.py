"""Building on a Ray cluster (`qa index --ray [ADDRESS]`): splitting and embedding spread over workers.

The driver (the `qa index` process) does everything a local build does except the model's
work: it reads the articles and diffs their content hashes against the live generation (so
it knows what to embed), holds the build lock, and writes the generation, manifest and
pointer exactly as a local build does. What it sends to the cluster is the articles to
embed; Ray Data runs `map_batches` over a fixed pool of actors, each of which loads one
encoder once (one CPU, one ONNX Runtime thread) and returns, per article, its sentences,
passages and vectors. The driver stores those with `qa.preparation.store_prepared`, as the
local build does, as they stream in, in article order, so passage ids, offsets and vectors
match the local build.

Reading stays on the driver on purpose: the diff needs every article's content hash before
anything is embedded, and reading is cheap next to embedding (the whole BBC corpus in
0.04 s against ~190 s of embedding; docs/benchmarks.md).

Ray is optional (`pip install -e '.[cluster]'` in a checkout) and imported only here, only for
`--ray`: `qa ask` and local builds never load it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import pickle
import re
import signal
import socket
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import numpy as np

from .articles import Article, Source
from .build import ProgressCallback, progress_bar
from .config import Settings
from .embedding import Encoder, get_encoder, model_reference
from .errors import ClusterError, QAError
from .preparation import PreparedArticle, prepare_article, store_prepared
from .resume import SavedVectors
from .splitting import Passage, Sentence
from .store import DenseIndex, Store

# Articles per Ray task: enough passages (~2.6 per BBC article) for the encoder to batch
# similar lengths together, few enough that the last tasks do not leave workers idle.
MAX_ARTICLES_PER_TASK = 64
TASKS_PER_WORKER = 4  # at least this many tasks per worker, for balance on small builds
THREADS_PER_WORKER = 1  # one CPU per actor, so one ONNX Runtime thread: no oversubscription
CONNECT_TIMEOUT_S = 5.0
# Workers never download (the model comes from its package or the local cache) and keep the
# tokenizer's thread pool to their one CPU.
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "RAYON_NUM_THREADS": str(THREADS_PER_WORKER)}
NICENESS_VARIABLE = "RAY_worker_niceness"
INSTALL_HINT = "pip install -e '.[cluster]' in the project's checkout (or: pip install \"ray[data]\")"


@dataclass(frozen=True)
class EmbeddedArticle:
    """What a worker returns for one article: its split and its vectors, nothing the driver already has.

    `sentence_vectors[i]` holds the vectors of the sentences passage i owns (`owned[i]`),
    as `Encoder.encode_passages` returns them.

    Example:
        >>> item = EmbeddedArticle(0, (), (), (), 0, np.zeros((0, 4), np.float32), ())
        >>> item.passage_vectors.shape
        (0, 4)
    """

    position: int  # index into the driver's list of articles to embed
    sentences: tuple[Sentence, ...]
    passages: tuple[Passage, ...]
    owned: tuple[tuple[int, ...], ...]
    tokens: int
    passage_vectors: np.ndarray
    sentence_vectors: tuple[np.ndarray, ...]


def embed_on_ray(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    on_progress: ProgressCallback | None = None,
    progress: bool = True,
    saved: SavedVectors | None = None,
) -> tuple[int, int]:
    """Split and embed `articles` on Ray workers and store them here; return (passages, tokens) embedded.
    Each round stored is also saved in `saved` (see `qa.resume`), as the local build does.

    The counterpart of the local loop in `qa.build._embed_articles`, which calls it when
    `settings.ray_address` is set. Workers load the encoder of `settings` (and must find the
    same model: its fingerprint is checked against `encoder`'s); an encoder that pickles
    (a test double) is sent to the workers as it is instead. A process already connected
    to Ray (`ray.init`) keeps its connection; otherwise this connects to
    `settings.ray_address` and disconnects at the end. The progress bar counts passages;
    its total is estimated from the articles done so far until the last one arrives.

    Example:
        >>> settings = Settings(articles_dir=Path("seeds"), ray_address="local")
        >>> report = build_index(settings)  # qa.build calls embed_on_ray  # doctest: +SKIP
    """
    ray = _import_ray()
    shipped = _shippable(encoder)
    with _connected(ray, settings.ray_address):
        workers = _worker_count(ray, settings.ray_workers)
        stream = _embedded_stream(ray, articles, settings, workers, shipped, encoder.info.fingerprint)
        try:
            return _store_stream(store, dense, articles, stream, on_progress, progress, saved)
        except ray.exceptions.RayError as exc:
            cause = _qa_cause(exc)
            if cause is None:
                raise
            raise ClusterError(f"A Ray worker failed: {cause}") from None
        finally:
            # While still connected: left to the garbage collector after a Ctrl-C, Ray Data's
            # iterator cleaned up after ray.shutdown() and printed an ActorHandleNotFoundError
            # traceback ("not valid across Ray sessions") under the "interrupted" line.
            with contextlib.suppress(Exception):
                stream.close()


# -- the workers ------------------------------------------------------------------------------------


class ArticleEmbedder:
    """A Ray Data actor: loads one encoder, then splits and embeds batches of articles.

    Ray builds one per worker (`map_batches(ArticleEmbedder, compute=ActorPoolStrategy(...))`)
    and calls it with batches of `{"position", "article_id", "title", "body"}` columns.

    Example:
        >>> embed = ArticleEmbedder(Settings(), fingerprint="", encoder=FakeEncoder())  # doctest: +SKIP
        >>> embed({"position": np.array([0]), "article_id": ..., "title": ..., "body": ...})  # doctest: +SKIP
        {'position': array([0]), 'payload': array([b'...'], dtype=object)}
    """

    def __init__(self, settings: Settings, fingerprint: str, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.encoder = encoder if encoder is not None else get_encoder(settings, threads=THREADS_PER_WORKER)
        if self.encoder.info.fingerprint != fingerprint:
            # Vectors of two models in one index would be silently wrong.
            raise ClusterError(
                f"Ray worker {socket.gethostname()} has another version of model {settings.model!r} "
                f"than the machine that runs qa index (fingerprint {self.encoder.info.fingerprint[:12]} "
                f"vs {fingerprint[:12]}). Install the same model (and verbatim-qa version) on every machine."
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        articles = [
            Article(Source(str(article_id), str(title), str(article_id)), str(body))
            for article_id, title, body in zip(batch["article_id"], batch["title"], batch["body"])
        ]
        prepared = [prepare_article(a, self.encoder, self.settings) for a in articles]
        texts = [t for p in prepared for t in p.texts]
        spans = [s for p in prepared for s in p.spans]
        passage_vectors, sentence_vectors = self.encoder.encode_passages(texts, spans, self.settings.batch_size)
        payloads, begin = [], 0
        for position, item in zip(batch["position"], prepared):
            end = begin + len(item.texts)
            embedded = EmbeddedArticle(
                position=int(position),
                sentences=item.sentences,
                passages=item.passages,
                owned=tuple(tuple(o) for o in item.owned),
                tokens=item.tokens,
                passage_vectors=passage_vectors[begin:end],
                sentence_vectors=tuple(sentence_vectors[begin:end]),
            )
            payloads.append(pickle.dumps(embedded, protocol=pickle.HIGHEST_PROTOCOL))
            begin = end
        return {"position": np.asarray(batch["position"], dtype=np.int64), "payload": _objects(payloads)}


def _for_workers(settings: Settings) -> Settings:
    """`settings` with the model folder and the model cache as absolute paths: workers of a
    `ray start` cluster read a relative one against the raylet's folder ("--model mymodel is
    neither a folder nor…"; QA_CACHE_DIR=qcache exported the model again into /qcache)."""
    cache = Path(settings.cache_dir)  # "~/.cache/qa" unexpanded (no home folder): refused where it is used
    cache = cache if cache.parts[:1] and cache.parts[0].startswith("~") else cache.absolute()
    return replace(settings, model=model_reference(settings.model), cache_dir=cache)


def _objects(values: Sequence[bytes]) -> np.ndarray:
    # np.array(list_of_bytes) would make a fixed-width "S" array padded to the longest payload.
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _embedded_stream(
    ray: ModuleType,
    articles: Sequence[Article],
    settings: Settings,
    workers: int,
    shipped: Encoder | None,
    fingerprint: str,
) -> Generator[list[EmbeddedArticle], None, None]:
    """The workers' results as they finish (any order), one list per Ray task."""
    per_task = max(1, min(MAX_ARTICLES_PER_TASK, math.ceil(len(articles) / (workers * TASKS_PER_WORKER))))
    tasks = math.ceil(len(articles) / per_task)
    workers = min(workers, tasks)  # an actor without a task would only load the model
    items = [
        {"position": i, "article_id": a.source.article_id, "title": a.source.title, "body": a.body}
        for i, a in enumerate(articles)
    ]
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts passages; Ray's, blocks
    dataset = ray.data.from_items(items, override_num_blocks=tasks).map_batches(
        ArticleEmbedder,
        batch_size=per_task,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=THREADS_PER_WORKER,
        fn_constructor_kwargs={"settings": _for_workers(settings), "fingerprint": fingerprint, "encoder": shipped},
        runtime_env={"env_vars": WORKER_ENV},
        # No retry options: Ray Data's actor pools already replace an actor that dies (killed,
        # out of memory, machine lost) and retry its task (max_restarts=-1, max_task_retries=-1);
        # tests/test_cluster.py kills one to prove it.
    )
    batches = dataset.iter_batches(batch_size=None, batch_format="numpy")
    try:
        with _quiet_ray_data():
            for batch in batches:
                yield [pickle.loads(payload) for payload in batch["payload"]]
    finally:  # closed here, while connected, even when a Ctrl-C lands while it waits for results
        close = getattr(batches, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


@contextmanager
def _quiet_ray_data() -> Iterator[None]:
    """Ray Data's INFO lines (plans, log folders) would tear through the progress bar."""
    logger = logging.getLogger("ray.data")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# -- the driver -------------------------------------------------------------------------------------


def _store_stream(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    stream: Iterator[list[EmbeddedArticle]],
    on_progress: ProgressCallback | None,
    progress: bool,
    saved: SavedVectors | None = None,
) -> tuple[int, int]:
    """Store results in article order as they arrive (early ones wait for their predecessors)."""
    indexed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    waiting: dict[int, EmbeddedArticle] = {}
    next_position = arrived = passages = tokens = 0
    with progress_bar(None, "Embedding on Ray", progress) as bar:
        for results in stream:
            for item in results:
                waiting[item.position] = item
            arrived += len(results)
            done = sum(len(item.passages) for item in results)
            passages += done
            tokens += sum(item.tokens for item in results)
            # Passages are only known once split: project the total from the articles so far.
            bar.total = passages if arrived == len(articles) else round(passages * len(articles) / arrived)
            bar.set_postfix_str(f"articles {arrived}/{len(articles)}", refresh=False)
            bar.update(done)
            if on_progress is not None:  # from our counts: a disabled bar counts nothing
                on_progress(passages, bar.total)
            ready = []
            while next_position in waiting:
                ready.append(waiting.pop(next_position))
                next_position += 1
            if ready:
                _store(store, dense, [articles[item.position] for item in ready], ready, indexed_at, saved)
    if next_position != len(articles):  # a lost result must fail the build, never shrink the index
        raise ClusterError(f"Ray returned {next_position} of {len(articles)} articles; run qa index --ray again.")
    return passages, tokens


def _store(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    embedded: Sequence[EmbeddedArticle],
    indexed_at: str,
    saved: SavedVectors | None = None,
) -> None:
    prepared = [
        PreparedArticle(article, e.sentences, e.passages, [], [], [list(o) for o in e.owned], e.tokens)
        for article, e in zip(articles, embedded)
    ]
    sentence_vectors = [v for e in embedded for v in e.sentence_vectors]
    ids = store_prepared(store, prepared, sentence_vectors, indexed_at)
    passage_vectors = np.concatenate([e.passage_vectors for e in embedded])
    dense.add(passage_vectors, np.asarray(ids, dtype=np.int64))
    if saved is not None:
        hashes = [a.content_hash for a in articles]
        saved.save(hashes, [len(e.passage_vectors) for e in embedded], passage_vectors, sentence_vectors)


# -- connecting --------------------------------------------------------------------------------------


def _import_ray() -> ModuleType:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ClusterError(f"Building on Ray (--ray) needs Ray, which is not installed: {INSTALL_HINT}.") from None
    return ray


@contextmanager
def _connected(ray: ModuleType, address: str | None) -> Iterator[None]:
    """Connected to Ray for the duration: to `address`, unless this process already is."""
    if ray.is_initialized():  # the caller's connection (e.g. a test's ray.init): theirs to close
        yield
        return
    listening = _check_reachable(*_address_to_check(ray, address or ""))
    # A Ray started here for this build runs its workers at the build's own priority: Ray's
    # default (nice 15) makes them yield to every other process, which `qa index` does not.
    # Read once, when Ray starts; a cluster started with `ray start` keeps its own setting.
    niceness_given = NICENESS_VARIABLE in os.environ
    os.environ.setdefault(NICENESS_VARIABLE, "0")
    # ray.init installs its own SIGTERM handler (sys.exit, and a native stack dump from its
    # core worker): `qa index --watch --ray` then died at SIGTERM without its final line, and a
    # plain `--ray` build printed 28 lines of C++ frames. The process's own handler is put back.
    main = threading.current_thread() is threading.main_thread()
    on_term = signal.getsignal(signal.SIGTERM) if main else None
    try:
        # Workers' output stays in their logs: the driver's stderr is the progress bar.
        ray.init(
            address=address or None,
            logging_level=logging.ERROR,
            log_to_driver=False,
            # This very `qa` package goes to every worker, so they split exactly as this
            # process would (Ray uploads local code only when connecting, not per actor).
            runtime_env={
                "py_modules": [str(Path(__file__).resolve().parent)],
                "excludes": ["models/", "__pycache__/"],  # the answer reader's ONNX files: not used to build
            },
        )
    except Exception as exc:  # any failure to connect is the user's to fix, with this hint
        said = _cannot_connect(address, str(exc) or type(exc).__name__)
        if listening and "token" not in said and os.environ.get("RAY_AUTH_MODE") != "token":
            # Something listens there: a cluster guarded by a token names it only in Ray's log
            # lines, and "start one" was the advice for a cluster already running.
            said += (
                " A cluster started with RAY_AUTH_MODE=token refuses a client without its token: run with "
                "RAY_AUTH_MODE=token and the head's token (`ray get-auth-token` there) in RAY_AUTH_TOKEN."
            )
        raise ClusterError(said) from None
    except SystemExit as exc:
        # SIGTERM while Ray started: its handler (sys.exit(15)) ended `qa index --ray` with no
        # line and exit 15. Stopped as the process's own handler stops it ("interrupted (SIGTERM)").
        if exc.code != signal.SIGTERM or not callable(on_term):
            raise
        with contextlib.suppress(Exception):
            ray.shutdown()  # what Ray started so far
        on_term(signal.SIGTERM, None)
        raise
    finally:
        if not niceness_given:
            os.environ.pop(NICENESS_VARIABLE, None)
        if main:
            signal.signal(signal.SIGTERM, on_term if on_term is not None else signal.SIG_DFL)
    try:
        yield
    finally:
        ray.shutdown()  # disconnects; a cluster started with `ray start` keeps running


def _address_to_check(ray: ModuleType, address: str) -> tuple[str, str]:
    """The HOST:PORT `ray.init(address)` will connect to, as Ray finds it (for no address or
    "auto": RAY_ADDRESS, else the cluster `ray start` last recorded on this machine), and
    where that came from ("" when given). The record outlives a cluster that died without
    `ray stop`: a bare `qa index --ray` retried its address for minutes, saying nothing."""
    # As ray.init reads them: RAY_ADDRESS only for no address or "auto" ("local", "head:6379" win).
    chosen = (os.environ.get("RAY_ADDRESS") or address) if address in ("", "auto") else address
    if chosen not in ("", "auto"):
        return chosen, ""
    try:  # Ray's own lookup, private: a Ray without it is not checked, as before
        recorded = ray._private.services.find_bootstrap_address(None)
    except Exception:
        return chosen, ""
    if not recorded:
        return chosen, ""
    return recorded, "the cluster `ray start` last recorded on this machine"


def _check_reachable(address: str, found_as: str = "") -> bool:
    """Fail in seconds on a HOST:PORT nobody listens on (ray.init would retry for minutes);
    `found_as` says where the address came from when it was not given. True when something
    listens there, False for no HOST:PORT to check."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return False  # "", "auto", "local": Ray's own discovery
    if not host.strip("[]"):  # ":6379": Ray logged a traceback ("Malformed host:")
        raise ClusterError(_cannot_connect(address, "the address names no host (HOST:PORT)"))
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()  # "[::1]"
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if found_as:  # "give --ray no address" is what the user did: the record is what to clear
            raise ClusterError(
                f"Cannot connect to a Ray cluster at {address} ({found_as}): {reason}. If it was stopped or died, "
                "`ray stop` forgets it and --ray then starts a local Ray; else start it again (`ray start --head`)."
            ) from None
        raise ClusterError(_cannot_connect(address, reason)) from None
    return True


def _cannot_connect(address: str | None, message: str) -> str:
    """What to do when Ray cannot be reached, with the first line of Ray's own `message`.

    Example:
        >>> _cannot_connect("auto", "Could not find any running Ray instance.").split(". Start")[0]
        'Cannot connect to a Ray cluster at auto: Could not find any running Ray instance'
    """
    where = f"at {address}" if address else "(none found on this machine, RAY_ADDRESS unset)"
    reason = message.strip().splitlines()[0].rstrip(". ")  # Ray's own ends with a full stop: ".." read as a typo
    # Ray >= 2.59 guards clusters with a token; a refused token may be named only on a later
    # line ("... InvalidAuthToken"), under a first line about the connection.
    if "auth" in message.lower():
        return (
            f"The Ray cluster {where} refused this machine's token: {reason}. Run with RAY_AUTH_MODE=token "
            "and the head's token (`ray get-auth-token` there) in ~/.ray/auth_token or RAY_AUTH_TOKEN."
        )
    return (
        f"Cannot connect to a Ray cluster {where}: {reason}. Start one with `ray start --head` on the head "
        "machine and pass the address it prints (qa index --ray HOST:6379), or give --ray no address, "
        "with RAY_ADDRESS unset, to use a local Ray."
    )


def _worker_count(ray: ModuleType, wanted: int | None) -> int:
    cpus = int(ray.cluster_resources().get("CPU", 0))
    workers = wanted or cpus
    if workers < 1 or workers > cpus:
        raise ClusterError(
            f"{workers} Ray workers need {workers} CPUs, but the cluster has {cpus}. Use --ray-workers {max(cpus, 1)} "
            "or fewer, or add machines with `ray start --address=HEAD:6379`."
        )
    return workers


def _shippable(encoder: Encoder) -> Encoder | None:
    """`encoder` if it can travel to the workers (a test double), else None: workers load their own.

    The ONNX encoder holds an ONNX Runtime session, which cannot be pickled.
    """
    try:
        pickle.dumps(encoder)
    except Exception:
        return None
    return encoder


def _qa_cause(exc: BaseException) -> str | None:
    """The message of the QAError a worker raised, if that is what `exc` (a Ray error) carries.

    A task's error keeps the exception as its cause; an actor that failed to start (e.g. a
    worker without the same model) only keeps the text of its traceback.
    """
    current: BaseException | None = exc
    for _ in range(10):  # causes can loop
        if current is None:
            break
        if isinstance(current, QAError):
            return str(current)
        current = getattr(current, "cause", None) or current.__cause__
    found = re.search(r"qa\.errors\.\w+Error: (.+)", str(exc))
    return found.group(1).strip() if found else None
