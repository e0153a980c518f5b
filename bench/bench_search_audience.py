"""Cost of the publication-scope filter (search/audience.py) in the embedded engine: the same queries on the same
index, as a reviewer (no filter: the reference, measured in the same run), as a student of one province and as an
anonymous visitor. Documents get scopes in the proportions of a real collection (half national, the rest
provincial or school-only across 34 provinces).

    .venv/bin/python bench/bench_search_audience.py [--documents 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_summary

from search.audience import PUBLIC_VIEWER, SearchViewer
from search.interfaces import SearchDocument, SearchQuery
from search.sqlite_fts import SqliteFtsIndex

PROVINCES = [f"P{n:02d}" for n in range(34)]
WORDS = ["định", "luật", "newton", "gia", "tốc", "lực", "khối", "lượng", "phương", "trình", "hàm", "số", "đạo",
         "hàm", "tích", "phân", "văn", "bản", "nghị", "luận", "tế", "bào", "quang", "hợp", "hóa", "trị", "phản",
         "ứng", "oxi", "hóa", "lịch", "sử", "việt", "nam", "địa", "lí", "khí", "hậu"]
QUERIES = ("định luật", "gia toc", "phương trình", "hóa trị", "lịch sử việt nam", "", "tế bào quang hợp")


def documents(count: int, seed: int = 7) -> list[SearchDocument]:
    rng = random.Random(seed)
    docs = []
    for n in range(1, count + 1):
        scope = rng.choices(("national", "province", "school"), weights=(5, 3, 2))[0]
        docs.append(SearchDocument(n, " ".join(rng.choices(WORDS, k=6)), body=" ".join(rng.choices(WORDS, k=200)),
                                   subject=rng.choice(("toan", "vat-li", "hoa-hoc", "ngu-van")), level="thpt",
                                   grade=rng.choice((10, 11, 12)), province=rng.choice(PROVINCES),
                                   audience_scope=scope, audience_unit=rng.randrange(1, 2000)))
    return docs


def timed(index: SqliteFtsIndex, viewer: SearchViewer, rounds: int) -> tuple[float, int]:
    """Median milliseconds per query over the rounds, and the hits of one round."""
    per_round, hits = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        hits = sum(index.search(SearchQuery(text=q, viewer=viewer)).total for q in QUERIES)
        per_round.append((time.perf_counter() - start) * 1000 / len(QUERIES))
    return median(per_round), hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as tmp:
        index = SqliteFtsIndex(Path(tmp) / "search.db")
        index.upsert(documents(args.documents))
        viewers = {"reviewer (no filter, reference)": SearchViewer(everything=True),
                   "student of one province": SearchViewer(unit_id=17, province="P03"),
                   "anonymous visitor": PUBLIC_VIEWER}
        timed(index, PUBLIC_VIEWER, 1)  # warm the page cache
        print(f"{args.documents} documents, {len(QUERIES)} queries, median of {args.rounds} rounds")
        for label, viewer in viewers.items():
            ms, hits = timed(index, viewer, args.rounds)
            print(f"  {label:34s} {ms:7.2f} ms/query   {hits:7d} hits in total")
        index.close()


if __name__ == "__main__":
    main()
