"""Run `watch_index` with the fake encoder, optionally stopping inside a batch build.

usage: slow_watch.py ARTICLES INDEX PAUSE_AT   (PAUSE_AT: embed | swap | never)
Prints the log lines; a batch build (not the first build) that reaches PAUSE_AT prints the
step name and sleeps, so the test can `kill -9` the watcher there: while embedding, or
after the new generation is renamed but before CURRENT is replaced.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.config import Settings
from qa.watch import watch_index
from tests.fakes import FakeEncoder

watching = False  # pause only in a batch, never in the first build


def pause(step: str) -> None:
    print(step, flush=True)
    time.sleep(60)


class PausingEncoder(FakeEncoder):
    def _token_embeddings(self, ids, mask, types):
        if watching and PAUSE_AT == "embed":
            pause("embed")
        return super()._token_embeddings(ids, mask, types)


def log(line: str) -> None:
    global watching
    watching = watching or " watching " in line
    print(line, flush=True)


if __name__ == "__main__":
    articles, index, PAUSE_AT = sys.argv[1], sys.argv[2], sys.argv[3]
    real_replace = os.replace

    def replace(src, dst):
        if watching and PAUSE_AT == "swap" and str(dst).endswith("CURRENT"):
            pause("swap")
        return real_replace(src, dst)

    os.replace = replace
    settings = Settings(articles_dir=Path(articles), index_dir=Path(index), batch_size=4)
    summary = watch_index(settings, encoder=PausingEncoder(), debounce=0.3, log=log)
    print(f"exit {summary.stopped_by}", flush=True)
