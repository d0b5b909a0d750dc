"""The `qa` command: index, ask, info, eval, serve.

argparse (standard library) keeps `qa ask` fast to start; every `QAError` is caught here,
once, and printed as one line with exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .config import Settings, given_settings, load_settings
from .errors import IndexCorruptError, QAError
from .wording import confidence_words, counted, escaped, file_size, one_line, shell_path, shortened, visible

if TYPE_CHECKING:  # the commands import what they need when they run: `qa --help` stays instant
    from .answering import Answer
    from .build import BuildReport
    from .filters import Filters
    from .index import Index
    from .retrieval import Hit

EXAMPLES = {
    "index": """examples:
  qa index                          # update index/ from seeds/ (only new or changed articles)
  qa index --full                   # rebuild everything
  qa index --articles ~/news --index ~/news-index
  qa index --model ~/models/all-mpnet-base-v2 --full
  qa index --articles /srv/news-drop --index /srv/news-index --watch   # keep indexing as files arrive; Ctrl-C stops
  qa index --articles /mnt/nfs/news-drop --watch --poll --debounce 5  # a network mount: poll, 5 s batches
  qa index --ray                    # split and embed on Ray: RAY_ADDRESS, a `ray start` cluster here, or a local one
  qa index --ray head-node:6379 --ray-workers 16""",
    "ask": """examples:
  qa ask "What tariffs did Trudeau impose?"
  qa ask                                # a conversation: ask, then follow up ("How did China respond?")
  qa ask --json < questions.txt         # one question a line, answered in turn; one JSON object a line
  qa ask "What tariffs did Trudeau impose?" --json
  qa ask "Who won the election?" --since 2024-01-01 --source BBC
  qa ask "tariffs" --passages -k 3      # the retrieved passages instead of an answer
  qa ask "What tariffs did Trudeau impose?" --fast   # without the reader: ~9 ms, no span""",
    "info": """examples:
  qa info
  qa info --index ~/news-index --verify""",
    "eval": """examples:
  qa eval ../shared/data/squad-v1.1/dev-v1.1.reconstructed.json --limit 1000
  qa eval ../shared/data/news-qa/realtimeqa-2023.json --index /tmp/news-index
  qa eval ../shared/data/squad-v1.1/dev-v1.1.reconstructed.json --mode all --fast
  qa eval index/feedback.jsonl --index index     # the chat's thumbs as regression cases
  qa eval questions.jsonl --index index --json
  qa eval questions.jsonl --index index --answers answers.jsonl   # each answer too: which questions missed""",
    "serve": """examples:
  qa serve                                    # http://127.0.0.1:7860
  qa serve --articles ~/news --port 8080
  qa serve --host 0.0.0.0 --auth alice:secret
  qa serve --index /big/index --no-index      # serve as built, without re-reading the articles
  qa serve --host 0.0.0.0 --read-only         # a public chat: answers only, no uploads or deletions
  qa serve --articles ~/new --index ~/new-index  # an empty folder: upload the first articles in the chat""",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qa` console script."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, so that the hint names its --help
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = commands.choices.get(getattr(args, "command", None) or "", parser)
        words_only = not any(word.startswith("-") for word in unknown)
        if getattr(args, "question", None) and words_only:
            whole = " ".join([args.question, *unknown]).replace('"', '\\"')
            command.error(f'the question is one argument: put it in quotes, e.g. qa ask "{whole}"')
        if args.command in ("index", "serve") and words_only:
            command.error(  # `qa index seeds`: the articles folder given bare, as other tools take one
                f"unrecognized arguments: {' '.join(unknown)}; a folder of articles is given with --articles,"
                f" e.g. qa {args.command} --articles {shell_path(unknown[0])}"
            )
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    conflict = _flags_in_conflict(args)
    if conflict:  # a usage error, said as argparse says its own (exit 2), before any work
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(conflict)
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show "—" gets "?", not a traceback
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    with _noting_interrupts():
        return _run(args)


def _flags_in_conflict(args: argparse.Namespace) -> str:
    """Flags given together that do not go together, in words naming the fix; "" if none."""
    if args.command == "index":
        if args.ray_workers is not None and args.ray_address is None:
            return "--ray-workers needs --ray: qa index --ray [ADDRESS] --ray-workers N"
        if (args.debounce is not None or args.poll) and not args.watch:
            return "--debounce and --poll only apply with --watch, e.g. qa index --watch --poll"
    if args.command == "serve":
        problem = _auth_problem(args.auth)
        if problem:
            return problem
    if args.command == "serve" and not args.host.strip():  # "serving on  …", bound to 127.0.0.1
        return "--host is empty; name an address, e.g. --host 127.0.0.1 (this machine) or --host 0.0.0.0"
    if args.command == "ask" and args.passages and (args.fast or args.sentences is not None):
        return "--passages shows the retrieved passages; --fast and --sentences shape answers: leave them out"
    if args.command == "eval" and args.articles_dir is not None and args.index_dir is not None:
        return (
            "qa eval answers from --index as it is, so --articles would not be read: update the index first "
            "(qa index --articles DIR --index DIR), or leave --index out to index the articles temporarily"
        )
    return ""


def _auth_problem(flag: str | None) -> str:
    """What is wrong with --auth, or with QA_AUTH when the flag is not given; "" if nothing.
    A login qa cannot use is a usage error (exit 2) from either place."""
    from ui.auth import parse_auth  # light: no Gradio; the app owns the USER:PASSWORD rule

    value = flag if flag is not None else os.environ.get("QA_AUTH")
    if value is None:
        return ""
    if not value.strip():  # --auth "$PASS" with PASS unset served without a login
        if flag is not None:
            return "--auth is empty (an unset variable?); it must look like USER:PASSWORD"
        return "QA_AUTH is set but empty (an unset variable?); it must look like USER:PASSWORD, or unset it"
    try:
        parse_auth(value)
    except QAError as exc:  # a command line qa cannot use: exit 2, as --port 99999 is
        return str(exc).rstrip(".")
    return ""


def _run(args: argparse.Namespace) -> int:
    """Run the command; every error a user can cause becomes one line and an exit status."""
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in a traceback at exit
        return status
    except QAError as exc:
        if _INTERRUPTS:  # Ctrl-C inside a C extension (ONNX Runtime loading) came back as its error
            return _interrupted()
        print(f"error: {exc}", file=sys.stderr)
        if getattr(args, "json", False) and args.command != "ask":  # `qa ask --json` says it with its question
            print(_json({"error": str(exc)}, 2))  # a script parsing stdout gets JSON, not nothing
        return 1
    except KeyboardInterrupt as exc:
        return _interrupted(str(exc))
    except BrokenPipeError:
        # The reader went away (`qa info | head`): stop quietly, as Unix tools do. Python
        # would otherwise report the failed flush of stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # the disk or its permissions, not a bug: one line naming the path
        if not exc.filename:  # e.g. a full disk under the output (`> /dev/full`): no path to name
            print(
                f"error: {exc.strerror or exc} (writing the output). Free space there or send it elsewhere.",
                file=sys.stderr,
            )
            return 1
        print(
            f"error: {exc.strerror or exc}: {exc.filename}. Check that it exists and that you may read it (and, to "
            "build an index, write it), or choose another path (--index, --articles).",
            file=sys.stderr,
        )
        return 1


ECHOED_QUESTION_CHARS = 500  # of a question read from a pipe or a file, shown before its answer
_INTERRUPTS: list[int] = []  # Ctrl-C (or SIGTERM) noted while a command runs (see _noting_interrupts)
# SIGTERM (`kill`, `timeout`, a service manager) stops a command as Ctrl-C does: without it,
# Python died at once, and `qa eval` left its scratch index in /tmp, `qa index` its half-built
# generation. (`qa serve` and `qa index --watch` set their own handler while they run.)
_STOPPING = (signal.SIGINT, signal.SIGTERM) if hasattr(signal, "SIGTERM") else (signal.SIGINT,)


def _on_stop(handler: Callable[[int, Any], None]) -> dict[signal.Signals, Any]:
    """Handle Ctrl-C and SIGTERM with `handler`, but for a signal the process started ignoring
    (`nohup`, a background job's SIGINT); the handlers it replaced. Only the main thread may."""
    previous: dict[signal.Signals, Any] = {}
    try:
        for stop in _STOPPING:
            if signal.getsignal(stop) is not signal.SIG_IGN:
                previous[stop] = signal.signal(stop, handler)
    except ValueError:  # not the main thread
        pass
    return previous


@contextlib.contextmanager
def _noting_interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, and are noted in `_INTERRUPTS`: an interrupt
    that a C extension turned into its own error (ONNX Runtime reports "initialization
    failed", which reads as a damaged model cache) is still an interrupt. Only the main
    thread may set the handlers; a signal the process started ignoring (`nohup`, a background
    job's SIGINT) stays ignored."""
    _INTERRUPTS.clear()

    def note(signum: int, frame: object) -> None:
        _INTERRUPTS.append(signum)
        raise KeyboardInterrupt

    previous = _on_stop(note)
    try:
        yield
    finally:
        for stop, handler in previous.items():
            # After an interrupt, even one `qa serve` or `--watch` ended on by itself, both are
            # ignored: a second Ctrl-C while Python exits printed a traceback.
            signal.signal(stop, signal.SIG_IGN if _INTERRUPTS else handler)


@contextlib.contextmanager
def _holding_off_interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM during the block are noted and raised as KeyboardInterrupt after it,
    not inside it: for loading libraries, which an interrupt can leave half-imported for good
    (a conversation's next question then failed with a traceback from inside numpy)."""
    held: list[int] = []
    previous = _on_stop(lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
    if held:
        _INTERRUPTS.extend(held)
        raise KeyboardInterrupt


def _interrupted(note: str = "") -> int:
    """Stop on Ctrl-C: "interrupted", with what the command leaves behind where it says (exit
    130); on SIGTERM, "interrupted (SIGTERM)" and exit 143, as a shell reports a process it ended."""
    with contextlib.suppress(ValueError):  # (only the main thread may set them)
        for stop in _STOPPING:
            signal.signal(stop, signal.SIG_IGN)  # a second Ctrl-C now would print a traceback
    terminated = hasattr(signal, "SIGTERM") and signal.SIGTERM in _INTERRUPTS
    said = "interrupted (SIGTERM)" if terminated else "interrupted"
    print(f"{said}: {note}" if note else said, file=sys.stderr)
    return 143 if terminated else 130


def _json(data: Any, indent: int | None) -> str:
    """`data` as JSON text: its letters as they are where stdout takes UTF-8, else escaped
    (`\\u2014`), so that a console of another encoding still gets valid JSON; a bidi
    override is escaped either way, as plain output replaces it."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return escaped(json.dumps(data, indent=indent, ensure_ascii=encoding != "utf8"))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qa",
        allow_abbrev=False,  # "--ful" is a typo, not --full
        description="Answers from news articles, made only of cited sentences.",
        epilog="Run 'qa COMMAND --help' for the options and examples of each command. Exit status: 0 done; 1 an "
        "error (one line, naming the fix); 2 a command line qa cannot use; 130 or 143 stopped by Ctrl-C or "
        "SIGTERM; 141 its output closed early (qa info | head).",
    )
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, more: str = "") -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            allow_abbrev=False,
            help=help_text,
            description=textwrap.fill(f"{help_text} {more}".strip(), 79),
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    # The formats are written out, not imported: qa.articles loads the sentence splitter, and
    # `qa --help` should stay instant (tests/test_cli.py checks the list against SUPPORTED_SUFFIXES).
    index = command(
        "index",
        "Build or update the index from the articles folder.",
        "Reads .txt .md .html .htm .json .jsonl .pdf .docx files (README: Article formats); an update "
        "re-reads only the files that changed.",
    )
    _common(index, articles=True)
    index.add_argument("--full", action="store_true", help="rebuild everything, not only what changed")
    index.add_argument(
        "--max-file-mb",
        type=_number(float, 0.001, 1e6),
        help="skip files larger than this (default: as the index's last build did, else 50; env QA_MAX_FILE_MB)",
    )
    index.add_argument(
        "--passage-tokens",
        type=_number(int, 16, 8192),
        help="passage size in tokens (default: the index's own, else 256; env QA_PASSAGE_TOKENS)",
    )
    index.add_argument(
        "--wait",
        type=_number(float, 0, 86400),
        default=0.0,
        help="seconds to wait for another running build (default 0: refuse at once)",
    )
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.add_argument(
        "--watch", action="store_true", help="then keep indexing each batch of changes as files arrive or leave"
    )
    index.add_argument(
        "--debounce",
        type=_number(float, 0.05, 3600),
        metavar="SECONDS",
        help="with --watch: index a batch once the folder was quiet this long (default 2)",
    )
    index.add_argument(
        "--poll", action="store_true", help="with --watch: poll the folder (network mounts send no file events)"
    )
    index.add_argument(
        "--ray",
        dest="ray_address",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="split and embed on a Ray cluster at ADDRESS (default: env RAY_ADDRESS, else a cluster started on "
        "this machine with `ray start`, else a local one); needs pip install -e '.[cluster]' in the checkout",
    )
    index.add_argument(
        "--ray-workers",
        type=_number(int, 1, 100_000),
        help="Ray workers, one CPU each (default: every CPU of the cluster)",
    )
    index.set_defaults(run=_index)

    ask = command(
        "ask",
        "Answer a question with cited sentences from the articles.",
        "Without a question, a conversation: questions are read one a line (typed, or from a pipe or file), "
        "each answered in turn with the earlier ones as context for follow-ups; '/new' starts over, "
        "Ctrl-D or end of input stops.",
    )
    ask.add_argument("question", nargs="?", help="the question, in quotes (none: a conversation)")
    _common(ask)
    ask.add_argument(
        "-k", type=_number(int, 1, 1000), default=None, help="passages to consider (answer: 8) or show (--passages: 5)"
    )
    ask.add_argument("--sentences", type=_number(int, 1, 10), help="most sentences in the answer (default 3)")
    ask.add_argument(
        "--mode",
        choices=["hybrid", "dense", "bm25"],
        default="hybrid",
        help="retrieval mode (default: hybrid, dense vectors and BM25 together)",
    )
    ask.add_argument("--fast", action="store_true", help="skip the answer reader: ~9 ms, no answer span")
    ask.add_argument(
        "--since",
        help="only articles dated on or after this day (2026-01-31, 31 January 2026; 2026-01 or 2026: its first)",
    )
    ask.add_argument("--until", help="only articles dated on or before this day (a month or a year: its last)")
    ask.add_argument(
        "--source", action="append", default=[], help="only this publisher, article id or file (repeatable)"
    )
    ask.add_argument(
        "--recent",
        action="store_true",
        help="lead with the newest article the reader finds an answer in, and rank the newer of two nearly "
        "equal passages first (with --fast or --passages: only the latter)",
    )
    ask.add_argument("--passages", action="store_true", help="show the retrieved passages instead of an answer")
    ask.add_argument("--json", action="store_true", help="print one JSON object (a conversation: one a line)")
    ask.set_defaults(run=_ask)

    info = command("info", "Show what the index holds.")
    _common(info)
    info.add_argument(
        "--verify", action="store_true", help="also re-hash every index file and stored article against the manifest"
    )
    info.add_argument("--json", action="store_true", help="print the manifest summary as JSON")
    info.add_argument(
        "--all", action="store_true", help='list every article, not the first 10 (with --json: an "articles" list)'
    )
    info.set_defaults(run=_info)

    evaluate = command(
        "eval",
        "Measure retrieval and answer quality on a question set.",
        "SQuAD v1.1 and news QA JSON bring their articles, which are indexed for the run (temporarily, or "
        "into --index to keep them); a JSONL of questions or a feedback.jsonl is answered from --index.",
    )
    evaluate.add_argument(
        "file",
        type=_named("a question file"),
        help='SQuAD v1.1 JSON, news QA JSON, feedback.jsonl, or JSONL of {"question", "answers": [...]}',
    )
    # Its own --index and --articles help: the question set decides what they mean, and the
    # chat's QA_ARTICLES folder is never indexed for an evaluation behind the caller's back.
    _common(
        evaluate,
        articles=True,
        index_help="JSONL and feedback: the index to answer from (default index/, env QA_INDEX); SQuAD and news "
        "sets: where to keep their index for later runs (default: a temporary one)",
        articles_help="JSONL: answer from a temporary index of this folder instead (the flag only: QA_ARTICLES "
        "is not read)",
    )
    evaluate.add_argument(
        "--mode",
        choices=["hybrid", "dense", "bm25", "all"],
        default="hybrid",
        help="retrieval mode (default hybrid); all: dense, bm25 and hybrid side by side",
    )
    evaluate.add_argument("--fast", action="store_true", help="answer without the reader")
    evaluate.add_argument("--limit", type=_number(int, 1, 10**9), help="evaluate only the first N questions")
    evaluate.add_argument("--json", action="store_true", help="print {mode: metrics} as JSON; notes go to stderr")
    evaluate.add_argument(
        "--answers",
        metavar="FILE",
        type=_named("a file"),
        help="also write each question's answer and scores to FILE, one JSON line per question and mode "
        "(which questions missed, and what was cited instead)",
    )
    evaluate.set_defaults(run=_eval)

    serve = command("serve", "Start the chat in the browser (indexes the articles first if needed).")
    _common(serve, articles=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_number(int, 1, 65535), default=7860, help="port (default 7860)")
    serve.add_argument("--auth", help="USER:PASS required to open the app (or env QA_AUTH)")
    serve.add_argument(
        "--max-upload-mb",
        type=_number(float, 0.001, 1e6),
        help="largest article upload (default: the largest article file: QA_MAX_FILE_MB, else --max-file-mb "
        "as the index's last build read it, else 50)",
    )
    serve.add_argument(
        "--no-index",
        dest="update",
        action="store_false",
        help="serve the index as it is, without indexing the articles folder first (large indexes built elsewhere)",
    )
    serve.add_argument(
        "--read-only",
        action="store_true",
        help="the chat only answers: no uploads, deletions or rebuilds (a public chat; with --no-index the "
        "articles folder need not be on this machine)",
    )
    serve.set_defaults(run=_serve)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line that points at --help (not the usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _plain(number: float) -> str:
    """1000000000 as "1,000,000,000" and 0.001 as "0.001": never "1e+09".

    Example:
        >>> _plain(10**9), _plain(0.001), _plain(86400)
        ('1,000,000,000', '0.001', '86,400')
    """
    return f"{int(number):,}" if number == int(number) else f"{number:,.6f}".rstrip("0")


def _number(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a number of `kind` from `low` to `high` (NaN and infinity refused).

    Example:
        >>> _number(int, 1, 10)("3")
        3
    """
    word = "a whole number" if kind is int else "a number"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:  # NaN compares false
            raise argparse.ArgumentTypeError(f"{text!r} is not {word} from {_plain(low)} to {_plain(high)}")
        return value

    return parse


def _named(what: str) -> Callable[[str], str]:
    """A path or name flag's value, never empty: --index "" would be the current folder,
    unasked, and --answers "" said "Cannot write the answers to  (Is a directory)"."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"is empty; name {what}")
        return text

    return parse


_folder = _named("a folder")


def _common(
    parser: argparse.ArgumentParser,
    articles: bool = False,
    index_help: str = "index folder (default index/, env QA_INDEX)",
    articles_help: str = "articles folder (default: the index's own, else seeds/; env QA_ARTICLES)",
) -> None:
    parser.add_argument("--index", dest="index_dir", type=_folder, help=index_help)
    parser.add_argument(
        "--model",
        type=_named("a model (a name or a folder)"),
        help="sentence-transformers model name or path (default: the index's own, else all-MiniLM-L6-v2; env QA_MODEL)",
    )
    if articles:
        parser.add_argument("--articles", dest="articles_dir", type=_folder, help=articles_help)
        parser.add_argument(
            "--follow-links",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="also read symbolic links that lead outside the articles folder (env QA_FOLLOW_LINKS=1; "
            "default: not, or for qa index and qa serve as the index's last build did)",
        )


def _settings(
    args: argparse.Namespace,
    articles_from_index: bool = False,
    articles_needed: bool = True,
    moved_fix: str = "",
    unread: tuple[str, ...] = (),
    model_needed: bool = True,
) -> Settings:
    """The settings for a command: defaults, `QA_*` variables, flags. The index describes
    itself: where neither a flag nor a variable chooses them, the model and passage size are
    those the index was built with (another would mean a full rebuild, or an index that
    `qa ask` refuses), and with `articles_from_index` (qa index, qa serve) so are its folder
    and how it was read (--follow-links, --max-file-mb). Without `articles_needed` (qa serve
    --no-index --read-only reads no article) the folder it names may be missing; where it is
    missing, the message offers `moved_fix` too (a command's own way around it). Settings
    in `unread` are not taken from the environment. Without `model_needed` (qa info), a model
    folder that moved is no error: the settings keep the path the index records."""
    from .build import built_with

    names = ("index_dir", "model", "articles_dir", "max_file_mb", "passage_tokens", "follow_links")
    flags = {n: getattr(args, n, None) for n in names}
    settings = load_settings(unread, **flags)
    built = built_with(settings.index_dir)
    given = given_settings(unread, **flags)
    if built is None:
        if articles_from_index and "articles_dir" not in given:
            return _articles_of_unreadable(settings)
        return settings
    if model_needed and "model" not in given and (moved := _moved_model(settings.index_dir, built.model)):
        raise QAError(moved)
    adopted: dict[str, Any] = {
        "model": None if "model" in given else built.model,
        "passage_tokens": None if "passage_tokens" in given else built.passage_tokens,
    }
    if articles_from_index:  # read the folder as the index's builds did, unless told otherwise
        read_as = {k: v for k, v in built.reading.items() if k in ("follow_links", "max_file_mb")}
        adopted.update({k: v for k, v in read_as.items() if k not in given})
    if articles_from_index and "articles_dir" not in given and built.articles_dir:
        if built.articles_dir.is_dir() or not articles_needed:
            adopted["articles_dir"] = built.articles_dir
        else:  # moved: the default folder (seeds/) would quietly become the index's articles
            raise QAError(
                f"The index {settings.index_dir}/ was built from {built.articles_dir}/, which no longer exists: pass "
                f"--articles with the folder's new place (the index records it){moved_fix}."
            )
    return settings.with_overrides(**adopted)


def _moved_model(index_dir: Path, model: str) -> str:
    """Why the index's model (a folder) cannot be loaded when that folder moved, else ""."""
    if not Path(model).is_absolute() or Path(model).exists():
        return ""
    # "neither a folder nor in the local Hugging Face cache. Download it on a connected
    # machine" named a path the user never typed.
    return (
        f"The index {index_dir}/ was built with the model in {model}/, which no longer "
        "exists: pass --model with the folder's new place (qa index --model NEW_PLACE records it)."
    )


def _articles_of_unreadable(settings: Settings) -> Settings:
    """`settings` with the articles folder an index that cannot be read was built from (its
    manifest read leniently). Refused where it does not say: following "Rebuild with: qa index
    --full" rebuilt a damaged index from the default seeds/, and its articles were gone."""
    from .store import POINTER_FILE, current_generation
    from .store.manifest import Manifest, recorded_articles_dir

    index_dir = settings.index_dir
    # None: no index yet, the default folder it is. Another program's folder, or a damaged
    # pointer (whose message names --articles), is said as such.
    generation = current_generation(index_dir)
    if generation is None:
        return settings
    origin = recorded_articles_dir(index_dir)
    if origin is not None and origin.is_dir():
        return settings.with_overrides(articles_dir=origin)
    reason = f"{POINTER_FILE} names {generation.name}, which is missing"
    if generation.is_dir():
        try:
            Manifest.read(generation)
        except QAError as exc:  # what is damaged, without its "Rebuild with" (said below)
            reason = str(exc).split(". Rebuild with")[0]
    where = f" ({origin}/, which no longer exists)" if origin is not None else ""
    raise QAError(
        f"The index {index_dir}/ cannot be read ({reason}), nor the articles folder it was built from{where}. "
        f"Name that folder: qa index --full --index {shell_path(index_dir)} --articles FOLDER (without "
        f"--articles it would be rebuilt from {settings.articles_dir}/, and the articles of the index that are "
        "not there would be gone from it)."
    )


# -- commands ------------------------------------------------------------------------------------------


def _index(args: argparse.Namespace) -> int:
    from .build import build_index
    from .resume import saved_articles
    from .store import current_generation

    settings = _settings(args, articles_from_index=True)
    if args.ray_address is not None:  # --ray given: RAY_ADDRESS counts only then
        address = args.ray_address or os.environ.get("RAY_ADDRESS", "")
        settings = settings.with_overrides(ray_address=address, ray_workers=args.ray_workers)
    if args.watch:
        return _watch(args, settings)
    try:
        report = build_index(settings, full=args.full, progress=not args.quiet, wait=args.wait)
    except (KeyboardInterrupt, QAError) as exc:
        if isinstance(exc, QAError) and not _INTERRUPTS:
            raise
        # After minutes of embedding, "interrupted" alone leaves the question of what is left:
        # a build publishes only once complete (kill -9 tests in tests/test_build.py).
        # What was embedded is saved as it goes (qa.resume): the next build with the same model and
        # passage size takes it up. "The same command": a bare `qa index` takes the live index's.
        # Counted, not "all it embedded": the last part-round, and all after the disk ran low, were not saved.
        articles = saved_articles(settings.index_dir)
        if articles:
            again = (
                f"run the same qa index command again (it takes up the {counted(articles, 'article')} "
                "whose vectors were saved)"
            )
        else:  # stopped before a round was saved (or saving had stopped): not promised
            # "the same command": the first build records no folder, so a bare `qa index` read seeds/
            again = "run the same qa index command again"
        if current_generation(settings.index_dir) is None:  # the first build: nothing was there to keep
            raise KeyboardInterrupt(f"no index was built in {settings.index_dir}/ yet; {again}") from None
        raise KeyboardInterrupt(f"{settings.index_dir}/ still holds its last complete build; {again}") from None
    print(_report_text(report, on_ray=settings.ray_address is not None))
    return 0


def _watch(args: argparse.Namespace, settings: Settings) -> int:
    """`qa index --watch`: the usual report of the first build, then one line per batch.

    Stopping (Ctrl-C, SIGTERM) is how a watch ends, so it exits 0 after its final line; a
    service manager sees a clean stop. Bad setup is an error (exit 1) as for `qa index`, and
    so is an articles folder removed while watching (the log has said so: no second message).
    """
    from .watch import DEFAULT_DEBOUNCE, watch_index

    summary = watch_index(
        settings,
        debounce=DEFAULT_DEBOUNCE if args.debounce is None else args.debounce,
        poll=args.poll,
        full=args.full,
        wait=args.wait,
        # A bar redrawn in a log file or a journal is noise: only on a terminal.
        progress=not args.quiet and sys.stderr.isatty(),
        on_first_build=lambda report: print(_report_text(report, settings.ray_address is not None), flush=True),
    )
    return 1 if summary.error else 0


def _ask(args: argparse.Namespace) -> int:
    from .filters import Filters, parse_date
    from .index import open_index

    try:
        if args.question is not None and not args.question.strip():  # the library's words are the chat's
            raise QAError('The question is empty: qa ask "What happened?", or no question for a conversation.')
        settings = _settings(args)
        filters = Filters(
            since=parse_date(args.since, "--since "),
            until=parse_date(args.until, "--until ", last_day=True),
            sources=tuple(args.source),
            prefer_recent=args.recent,
        )
        if args.question is not None:
            _ask_one(args, args.question, filters, open_index(settings=settings), history=[], indent=2)
            return 0
        index = open_index(settings=settings)
    except QAError as exc:
        if args.json:  # a script reading stdout gets JSON: the question's answer, or a conversation's line
            if args.question is not None:
                print(_json(_refused(args, args.question, str(exc)), 2))
            else:
                print(_json({"error": str(exc)}, None))
        raise
    return _conversation(args, filters, index, settings)


def _ask_one(
    args: argparse.Namespace, question: str, filters: Filters, index: Index, history: list[Answer], indent: int | None
) -> Answer | None:
    """Answer (or, with --passages, retrieve for) one question and print it; the answer."""
    from .answering import MAX_SENTENCES, PASSAGES, answer, filter_notices
    from .retrieval import HITS, retrieve

    if args.passages:
        hits = retrieve(question, k=args.k or HITS, mode=args.mode, filters=filters, index=index)
        # As an answer says why nothing matched its filters, so do the passages.
        notices = filter_notices(filters, bool(hits), index)
        if args.json:
            print(_json({"question": question, "hits": [h.to_dict() for h in hits], "notices": notices}, indent))
        else:
            for notice in notices:
                print(f"note: {notice}")
            _print_hits(hits)
        return None
    result = answer(
        question,
        history=history,
        k=args.k or PASSAGES,
        filters=filters,
        max_sentences=args.sentences or MAX_SENTENCES,
        mode=args.mode,
        fast=args.fast,
        index=index,
    )
    if args.json:
        print(_json(result.to_dict(), indent))
    else:
        _print_answer(result)
    return result


def _refused(args: argparse.Namespace, question: str, error: str) -> dict[str, Any]:
    """A refused question in the shape `--json` prints its result in: an answer's, or with
    --passages `{question, hits, notices}` (it printed an answer's there)."""
    from .answering import refused_dict

    if args.passages:
        return {"question": question, "hits": [], "notices": [], "error": error}
    return refused_dict(question, error)


def _conversation(args: argparse.Namespace, filters: Filters, index: Index, settings: Settings) -> int:
    """Questions one a line from stdin, each answered with the earlier answers as history,
    from the index as it is then (a build published meanwhile is taken up, as the chat does:
    a session went on citing an article `qa index` had removed).

    Typed at a terminal there is a prompt (with line editing); from a pipe or a file, none.
    A question the library refuses is reported (from a pipe or a file: with its line number;
    with --json: as a JSON line too, so that answers still pair with questions) and the
    conversation goes on; the exit status is then 1. At a terminal, Ctrl-C while a question
    is answered drops that question and prompts again (the first question loads the models
    first, with Ctrl-C held off until they are in).
    """
    from .index import open_index

    interactive = sys.stdin.isatty()
    # Bytes that are not UTF-8 reach the question check, which names them, not a traceback.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")
    if interactive:
        import readline  # noqa: F401  (line editing and recall for input())

        print(f"{counted(index.counts.articles, 'article')}. Ask a question; '/new' starts over, Ctrl-D stops.\n")
    history: list[Answer] = []
    failed = False
    warm = False  # the models and their libraries are loaded (before the first question is answered)
    number = 0  # of the input line
    while True:
        try:
            line = input("question> " if interactive else "")
        except EOFError:
            if interactive:
                print()  # the shell's prompt on a line of its own, not after "question> "
            break
        number += 1
        question = line.lstrip("\ufeff").strip()  # a file saved by Notepad starts with a byte-order mark
        if not question:
            continue
        if question == "/new":
            history = []
            continue
        # Bad bytes as �, and a control character or bidi override from the file as well.
        shown = visible(question.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        if not args.json and not interactive:  # (a 1 MB line was echoed whole; the answer says what was read)
            print(f"question: {shortened(shown, ECHOED_QUESTION_CHARS)}")
        try:
            index = open_index(settings=settings)  # the loaded one, unless a build replaced it
            if not warm:
                with _holding_off_interrupts():  # a Ctrl-C meanwhile drops the question once they are in
                    index.warm_up(reader=not (args.fast or args.passages))
                    warm = True
            result = _ask_one(args, question, filters, index, history, indent=None)
        except (QAError, KeyboardInterrupt) as exc:
            if isinstance(exc, KeyboardInterrupt) or _INTERRUPTS:  # an interrupt, even one the model's loading
                if not interactive or signal.SIGTERM in _INTERRUPTS:  # turned into its error: SIGTERM ends it
                    raise KeyboardInterrupt from None
                _INTERRUPTS.clear()  # Ctrl-C at a terminal drops this question only
                print("\n(stopped; ask again, or Ctrl-D to leave)", flush=True)
                continue
            print(f"error: {exc}" if interactive else f"error: line {number}: {exc}", file=sys.stderr, flush=True)
            if args.json:
                print(_json(_refused(args, shown, str(exc)), None), flush=True)
            failed = True
            continue
        if result is not None:
            history.append(result)
        if not args.json:
            print(flush=True)
    return 1 if failed else 0


def _info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .index import load_index
    from .resume import saved_articles, saved_rounds

    settings = _settings(args, model_needed=False)
    try:
        # What the index holds, whatever model would read its questions: a moved model folder,
        # or another --model, refused to show anything. Said as a warning instead.
        index = load_index(settings.index_dir, settings, check_model=False)
    except IndexCorruptError:
        from .store import current_generation

        generation = current_generation(settings.index_dir)
        if not args.verify or generation is None or not generation.is_dir():
            raise  # CURRENT names a build that is gone ("…/manifest.json is missing" blamed a file)
        return _verify_damaged(settings.index_dir, args.json)  # every damaged file, not only the first
    m = index.manifest
    # The index's own model folder moved, or the given one cannot read it (or be found)
    moved = _moved_model(settings.index_dir, m.model.name) if settings.model == m.model.name else ""
    if unusable := moved or index.model_problem():
        print(f"warning: {unusable}", file=sys.stderr)
    problems = index.verify() if args.verify else []
    if args.json:
        summary: dict[str, Any] = {
            "index": str(index.path),
            "generation": index.generation.name,
            "built_at": m.built_at,
            "articles_dir": m.articles_dir or None,
            "model": m.model.name,
            "dimension": m.model.dim,
            "counts": asdict(m.counts),
            "chunking": {"passage_tokens": m.passage_tokens, "overlap_sentences": m.overlap_sentences},
            "fingerprint": m.fingerprint,
            "vector_index": asdict(m.vector_index),
            "segments": _segments_text(index),
            "delta": _delta_counts(index),
            "format_version": m.format_version,
            "versions": m.versions,
            "resume": dict(zip(("rounds", "bytes"), saved_rounds(settings.index_dir), strict=True))
            | {"articles": saved_articles(settings.index_dir)},
        }
        if args.all:  # id, title, date, publisher and passages of each, as the text lists them
            summary["articles"] = [{**a.source.to_dict(), "passages": a.passages} for a in index.articles()]
        print(_json(summary | ({"verify_problems": problems} if args.verify else {}), 2))
    else:
        c = m.counts
        print(f"index        {index.path}/ ({index.generation.name})")
        print(f"built        {m.built_at}" + (f" from {m.articles_dir}/" if m.articles_dir else ""))
        print(
            f"holds        {counted(c.articles, 'article')}, {counted(c.passages, 'passage')}, "
            f"{counted(c.sentences, 'sentence')}"
        )
        print(f"model        {m.model.name} ({m.model.dim} dimensions, {m.model.max_tokens} tokens)")
        print(f"passages     up to {m.passage_tokens} tokens, {m.overlap_sentences} sentence overlap")
        print(f"vectors      {m.vector_index.factory} ({counted(m.vector_index.ntotal, 'vector')})")
        print(f"segments     {_segments_text(index)}")
        print(f"fingerprint  {m.fingerprint} (format {m.format_version})")
        rounds, size = saved_rounds(settings.index_dir)
        if rounds:  # a stopped build's work, for the next build with its settings (qa.resume)
            held = counted(saved_articles(settings.index_dir), "article")
            where = f"{counted(rounds, 'round')}, {file_size(size)} in .resume/"
            print(f"resume       vectors of {held} a stopped build saved ({where})")
        articles = index.articles()
        shown = len(articles) if args.all else 10
        for a in articles[:shown]:
            s = a.source
            publisher = f"{s.publisher}; " if s.publisher else ""
            _out(
                f"  - {s.title} ({s.date or 'no date'}; {publisher}{one_line(s.article_id)}; "
                f"{counted(a.passages, 'passage')})"
            )
        if len(articles) > shown:
            print(f"  ... and {len(articles) - shown:,} more (qa info --all lists them)")
        if args.verify:
            print(
                "verify       "
                + ("all files and stored articles match the manifest" if not problems else "; ".join(problems))
            )
    return 1 if problems else 0


def _verify_damaged(index_dir: Path, as_json: bool) -> int:
    """`qa info --verify` on an index too damaged to load: what differs from its manifest."""
    from .store import Manifest, current_generation
    from .store.manifest import file_problems

    generation = current_generation(index_dir)
    assert generation is not None  # loading found a generation, then damage in it
    problems = file_problems(generation, Manifest.read(generation, catalog=False))
    fix = f"qa index --full --index {shell_path(index_dir)}"
    if as_json:
        print(
            _json({"index": str(index_dir), "generation": generation.name, "verify_problems": problems, "fix": fix}, 2)
        )
    else:
        print(f"index        {index_dir}/ ({generation.name})")
        print("verify       " + "; ".join(problems))
        print(f"fix          {fix}")
    return 1


def _eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_file

    report = evaluate_file(
        args.file,
        settings=_settings(args, unread=("articles_dir",)),  # its help: QA_ARTICLES is not read
        mode=args.mode,
        limit=args.limit,
        index_dir=args.index_dir,
        articles_given=args.articles_dir is not None,
        fast=args.fast,
        answers_file=args.answers,
    )
    if args.json:
        # stdout keeps its {mode: metrics} shape for scripts; what the table says above the
        # metrics (which index, --fast, no gold articles in it) goes to stderr.
        for note in (*report.notes, f"index: {report.index_dir}"):
            print(note, file=sys.stderr)
        print(_json(report.metrics, 2))
    else:
        print(report.table())
    return 0


def _serve(args: argparse.Namespace) -> int:
    """`qa serve`: Ctrl-C or SIGTERM (a service manager's stop) is how a server ends, so
    it ends with a line and exit status 0, as `qa index --watch` does; from its start too
    (stopped while Gradio loaded, it said "interrupted (SIGTERM)" with status 143)."""
    try:
        return _serving(args)
    except (KeyboardInterrupt, QAError) as exc:
        if isinstance(exc, QAError) and not _INTERRUPTS:  # (an interrupt ONNX Runtime turned into its error)
            raise
        index_dir = None
        with contextlib.suppress(QAError, OSError):
            index_dir = _settings(args, articles_from_index=True, articles_needed=False).index_dir
        _chat_stopped("SIGTERM" if signal.SIGTERM in _INTERRUPTS else "Ctrl-C", index_dir)
        return 0


def _chat_stopped(said: str, index_dir: Path | None) -> None:
    """`qa serve`'s last lines: stopped by what, and what a stopped build (its start-up one, an
    upload's) saved and that the next start takes it up. "Chat stopped" alone said nothing of
    256 articles' vectors in .resume/ (qa index says it)."""
    from .resume import saved_articles
    from .store import current_generation

    print(f"Chat stopped ({said}).", file=sys.stderr)
    with contextlib.suppress(QAError, OSError):
        if index_dir is not None and (held := saved_articles(index_dir)):
            built = (
                "has no index yet" if current_generation(index_dir) is None else "still holds its last complete build"
            )
            print(
                f"{index_dir}/ {built}, and in .resume/ the vectors of "
                f"{counted(held, 'article')} a stopped build embedded: the next qa serve (or qa index) with the "
                "same settings takes them up.",
                file=sys.stderr,
            )


def _serving(args: argparse.Namespace) -> int:
    from .watch import sigterm_as_interrupt

    auth = args.auth or os.environ.get("QA_AUTH")
    settings = _settings(
        args,
        articles_from_index=True,
        articles_needed=args.update or not args.read_only,
        moved_fix=" (or serve the index as built, without it: qa serve --no-index --read-only)",
    )
    if not args.update:  # no build checks the index folder first: a file or a folder of other files
        from .build import refuse_foreign_folder  # was served as "No index in afile/ yet"
        from .store import current_generation

        current_generation(settings.index_dir)
        refuse_foreign_folder(settings.index_dir)
    # Gradio takes ~10 s to import here, and nothing was printed meanwhile: a log read as a hang.
    # (After the settings: a missing folder is said at once, not after the import.)
    print("Starting the chat…", file=sys.stderr, flush=True)
    from ui.app import serve

    with sigterm_as_interrupt() as received:
        try:
            serve(
                settings,
                host=args.host,
                port=args.port,
                auth=auth,
                max_upload_mb=args.max_upload_mb,
                update=args.update,
                read_only=args.read_only,
            )
        except KeyboardInterrupt:
            _chat_stopped(received.get("signal", "Ctrl-C"), settings.index_dir)
    return 0


# -- printing ------------------------------------------------------------------------------------------


def _delta_counts(index: Index) -> dict[str, int] | None:
    """The delta of recent changes as numbers (`qa info --json`), or None for a base alone."""
    from .store import SegmentedStore

    if not isinstance(index.store, SegmentedStore):
        return None
    delta = index.store.delta.counts()
    return {"articles": delta.articles, "passages": delta.passages, "base_articles_replaced": len(index.store.removed)}


def _segments_text(index: Index) -> str:
    """The index's segments: the base alone, or the base and a delta of recent changes."""
    from .store.segments import MERGE_FRACTION, MERGE_MIN_PASSAGES

    delta = _delta_counts(index)
    if delta is None:
        return "one (no changes since the last merge)"
    return (
        f"base + delta of recent changes ({counted(delta['articles'], 'article')}, "
        f"{counted(delta['passages'], 'passage')}; {counted(delta['base_articles_replaced'], 'base article')} "
        f"replaced or removed); merged into the base when the delta grows past {MERGE_FRACTION:.0%} of it and "
        f"{MERGE_MIN_PASSAGES:,} passages"
    )


def _report_text(report: BuildReport, on_ray: bool = False) -> str:
    """What `qa index` prints about a build (`on_ray`: --ray was given)."""
    from .articles import skipped_count

    kind = f"full rebuild ({report.full_reason})" if report.full else "incremental update"
    if on_ray:  # a --ray build said nothing of Ray, and one with nothing to embed never contacts it
        kind += " on Ray" if report.passages_embedded else " (nothing to embed: Ray was not contacted)"
    c = report.counts
    lines = [
        f"Indexed {report.index_dir}/ — {kind} in {report.seconds:.1f} s",
        f"  added {len(report.added):,}, updated {len(report.updated):,}, removed {len(report.removed):,}, "
        f"unchanged {report.unchanged:,}, skipped {skipped_count(report.skipped):,}",
        f"  now {counted(c.articles, 'article')}, {counted(c.passages, 'passage')}, "
        f"{counted(c.sentences, 'sentence')}; embedded {counted(report.passages_embedded, 'passage')} "
        f"({counted(report.tokens_embedded, 'token')})"
        + (f"; copied {counted(report.passages_copied, 'passage')} of moved articles" * bool(report.passages_copied))
        + (
            f"; took up {counted(report.passages_resumed, 'passage')} a stopped build had embedded"
            * bool(report.passages_resumed)
        ),
    ]
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        lines.extend(f"  {label}: {one_line(i)}" for i in ids[:20])
        if len(ids) > 20:
            lines.append(f"  ... and {len(ids) - 20:,} more {label}")
    lines.extend(f"  skipped {s}" for s in report.skipped)
    # A feed saved twice repeats hundreds of articles: the first 20 say what is wrong.
    lines.extend(f"  warning {w}" for w in report.warnings[:20])
    if len(report.warnings) > 20:
        lines.append(f"  ... and {len(report.warnings) - 20} more warnings")
    # A feed's record ids are third-party text ("f.jsonl#a\x1b[31mb"), as `qa info` shows them.
    return visible("\n".join(lines))


def _out(text: str = "") -> None:
    """Print text that holds article words to the terminal: a stray control character (readers
    let a few through) or bidi override shows as "\ufffd" instead of acting (--json writes
    them as escapes, `_json`)."""
    print(visible(text))


def _wrapped(text: str) -> str:
    """Article text wrapped for a terminal, breaking only at spaces: broken at hyphens
    ("fifth-" / "placed") or inside a long address, a copied quote was no longer verbatim.

    Example:
        >>> _wrapped("The performance-enhancing drugs of the fifth-placed side " * 3).splitlines()[1]
        'fifth-placed side The performance-enhancing drugs of the fifth-placed side'
    """
    return textwrap.fill(text, 96, break_on_hyphens=False, break_long_words=False)


def _print_hits(hits: Sequence[Hit]) -> None:
    if not hits:
        _out("No passage matched.")
    for hit in hits:
        s = hit.source
        # as an answer's sources name it: the id is what --source takes, publisher or not
        where = " · ".join(x for x in (s.date or "no date", s.publisher, one_line(s.article_id)) if x)
        _out(f"[{hit.rank}] {s.title}  ({where})  score {hit.score:.3f}")
        paragraphs = (_wrapped(p) for p in re.split(r"\n\s*\n", hit.text) if p.strip())
        _out(textwrap.indent("\n\n".join(paragraphs), "    "))  # the article's paragraphs stay apart
        _out()


def _print_answer(result: Answer) -> None:
    for notice in result.notices:
        _out(f"note: {notice}")
    lead = result.sentences[0] if result.sentences else None
    if lead is not None and lead.span_text:
        # A bare "answer: Sam Allardyce" over a 0.16-confidence answer read as settled.
        sure = confidence_words(result.confidence)
        span = " ".join(lead.span_text.split())  # one line: a hard-wrapped article's span crosses a line end
        _out(f"answer: {span}" + ("" if sure == "high confidence" else f"  ({sure})") + "\n")
    # As in the chat, a sentence that leans on the one before it ("The company said ...")
    # comes after that sentence, marked as context: it is shown, not cited. Its source named:
    # "… Gizmondo. [1] (context: …)" read as [1]'s, the sentence before it.
    parts = []
    for sentence in result.sentences:
        if sentence.context is not None:
            parts.append(f"(context from [{sentence.citation.n}]: {sentence.context.text})")
        parts.append(f"{sentence.text} [{sentence.citation.n}]")
    _out(_wrapped(" ".join(parts) or result.text))
    _out()
    if result.found:
        _out("Sources")
        for c in result.sources():
            s = c.source
            # "no date" said, as the not-found list says it: an undated source read as a dated one's
            when = s.date or "no date"
            where = " · ".join(x for x in (when, s.publisher, one_line(s.article_id), result.pages_label(c.n)) if x)
            _out(f"  [{c.n}] {s.title}  ({where})")
        _out(f"\nconfidence {result.confidence:.2f} ({confidence_words(result.confidence)})")
    elif result.hits:
        _out("Closest passages (no answer was found in them):")
        for hit in result.hits[:3]:
            snippet = shortened(hit.text, 160)
            _out(f"  - {hit.source.title} ({hit.source.date or 'no date'}): {snippet}")
        _out(f"\nconfidence {result.confidence:.2f}")


if __name__ == "__main__":
    sys.exit(main())
