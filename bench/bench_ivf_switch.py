"""The one-time switch from exact to IVF search, as `qa index` does it when a corpus grows
past the exact-search limit: time and peak memory, at 100k and 1M passages.

Each size runs in a fresh process: a Flat index of random unit vectors (the switch does
not care what they mean) is filled in slices, then moved into the IVF index the build
would choose, through the same functions `qa index` uses. Peak memory is measured from
just before the switch (Linux: VmHWM, reset through /proc/self/clear_refs).

    python bench/bench_ivf_switch.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import ROOT, WORK, save, table

PROBE = """
import json, sys, time, numpy as np, faiss
from pathlib import Path
sys.path.insert(0, {bench!r})
from common import peak_rss_mb, reset_peak_rss
from qa.store.dense import index_from_spill, ivf_factory, spill_vectors
n, d = {size}, 384
index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
rng = np.random.default_rng(0)
for begin in range(0, n, 100_000):
    count = min(100_000, n - begin)
    x = rng.standard_normal((count, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index.add_with_ids(x, np.arange(begin + 1, begin + count + 1, dtype=np.int64))
del x
reset_peak_rss()
before = peak_rss_mb()
start = time.perf_counter()
spill = Path({spill!r})
ids = spill_vectors(index, spill)
index = None
fresh = index_from_spill(ids, spill, d, ivf_factory(n))
print(json.dumps({{"factory": ivf_factory(n), "switch_s": round(time.perf_counter() - start, 1),
                  "exact_index_rss_mb": round(before), "switch_peak_rss_mb": round(peak_rss_mb()),
                  "vectors": int(fresh.ntotal)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.sizes:
        code = PROBE.format(size=size, spill=str(WORK / "switch.spill"), bench=str(ROOT / "bench"))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        results[str(size)] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{size}: {results[str(size)]}", flush=True)
    names = list(next(iter(results.values())))
    print(table([[n, *(results[s][n] for s in results)] for n in names], ["figure", *results]))
    print(f"saved {save('ivf_switch', {'sizes': results})}")


if __name__ == "__main__":
    main()
