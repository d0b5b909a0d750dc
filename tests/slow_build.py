"""Run a build that stops at a chosen step (the atomic-build test kills it there).

usage: slow_build.py ARTICLES INDEX PAUSE_AT   (PAUSE_AT: embed | round | publish | swap | never | cli)
Prints the step name when it gets there, then sleeps, so the test can `kill -9` it at
exactly that point: while embedding, after the new generation is complete but before it
is renamed, and after the rename but before CURRENT is replaced.
"round" embeds one article a round and pauses in the second round (the first one's vectors
saved for the next build). "cli" runs `qa index --full` as typed and pauses while embedding
(the Ctrl-C test).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa.build
from qa.config import Settings
from tests.fakes import FakeEncoder


def pause(step: str) -> None:
    print(step, flush=True)
    time.sleep(60)


class PausingEncoder(FakeEncoder):
    def _token_embeddings(self, ids, mask, types):
        if self.calls == 1 and PAUSE_AT in ("embed", "cli"):
            pause("embed")
        if self.calls == 1 and PAUSE_AT == "round":
            pause("round")
        return super()._token_embeddings(ids, mask, types)


if __name__ == "__main__":
    articles, index, PAUSE_AT = sys.argv[1], sys.argv[2], sys.argv[3]
    real_publish, real_replace = qa.build.publish_generation, os.replace

    def publish(index_dir, work):
        if PAUSE_AT == "publish":
            pause("publish")
        return real_publish(index_dir, work)

    def replace(src, dst):
        if PAUSE_AT == "swap" and str(dst).endswith("CURRENT"):
            pause("swap")
        return real_replace(src, dst)

    qa.build.publish_generation = publish
    os.replace = replace
    print("started", flush=True)
    if PAUSE_AT == "cli":
        import qa.cli
        import qa.embedding

        qa.embedding.get_encoder = lambda settings: PausingEncoder()  # build_index imports it when it runs
        os.environ["QA_BATCH_SIZE"] = "4"  # several model calls, so that it pauses in the second
        sys.exit(qa.cli.main(["index", "--articles", articles, "--index", index, "--full", "--quiet"]))
    if PAUSE_AT == "round":
        qa.build.CHUNK_ARTICLES = 1
    settings = Settings(articles_dir=Path(articles), index_dir=Path(index), batch_size=4)
    qa.build.build_index(settings, encoder=PausingEncoder(), progress=False, full=True)
    print("done", flush=True)
