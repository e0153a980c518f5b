"""Drawing a test paper: a 40-question, 4-version paper from one published bank of 50 000 questions, on
the real app and database, and a chi-square check that the draw is uniform over the eligible questions.

    .venv/bin/python bench/bench_paper_draw.py [--questions 50000] [--runs 10] [--draws 2000]
                                                [--database-url postgresql+psycopg://…]

Prints: the machine; the time to fill the bank (setup, not the figure); the time to a valid paper through
``create_paper`` (draw, load the drawn questions, build 4 versions, save) and through ``POST /api/v1/papers``
(median and max of --runs seeds); as the reference measured in the same run, the time to read every
published question of the bank (``published_questions``), which a draw that loaded the whole pool would
pay; and the chi-square statistic of --draws seeded draws of the same matrix over the in-memory pool, with
its p-value (Wilson–Hilferty). A uniform draw gives p well above 0.001.
"""

from __future__ import annotations

import argparse
import math
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine_summary

from ingest.questions.model import Option, Question, QuestionType, ShortAnswerKey, Statement
from repository import create_app
from repository.auth.services import create_token, create_user
from repository.banks.creation import create_empty_bank
from repository.banks.store import add_questions, published_questions
from repository.migrate import upgrade
from repository.models import User
from repository.papers.draw import draw
from repository.papers.matrix import PARTS, parse_matrix
from repository.papers.service import create_paper
from repository.papers.source import eligible_pool
from review.config import DEFAULT_CRITERIA
from review.workflow import decide, submit

TOPICS = [f"Chủ đề {n}" for n in range(1, 11)]
LEVELS = ["biet", "hieu", "van-dung"]
TYPES = [QuestionType.SINGLE_CHOICE] * 6 + [QuestionType.TRUE_FALSE_CLUSTER] * 2 + [QuestionType.SHORT_ANSWER] * 2
#: 40 questions: part I 28, part II 4, part III 8, over several topics and levels.
MATRIX = ([{"topic": TOPICS[t], "level": LEVELS[t % 3], "part": "I", "count": 4} for t in range(7)]
          + [{"topic": TOPICS[7], "level": "hieu", "part": "II", "count": 2},
             {"topic": TOPICS[8], "level": "hieu", "part": "II", "count": 2},
             {"topic": TOPICS[9], "level": "van-dung", "part": "III", "count": 5},
             {"topic": TOPICS[0], "level": "van-dung", "part": "III", "count": 3}])
BATCH = 5000


def question(n: int) -> Question:
    kind, topic, level = TYPES[n % len(TYPES)], TOPICS[(n // 10) % 10], LEVELS[(n // 100) % 3]
    common = {"topic": topic, "cognitive_level": level, "subject": "toan", "grade": 12}
    if kind is QuestionType.SINGLE_CHOICE:
        return Question(kind, f"Câu hỏi số {n}", options=[Option(f"Phương án {i}", i == n % 4) for i in range(4)],
                        **common)
    if kind is QuestionType.TRUE_FALSE_CLUSTER:
        return Question(kind, f"Chùm số {n}", statements=[Statement(x, f"Ý {x}", (n >> i) % 2 == 0)
                                                         for i, x in enumerate("abcd")], **common)
    return Question(kind, f"Tính số {n}", answers=[ShortAnswerKey(f"{n % 97},5", n % 97 + 0.5)], **common)


def build(app, count: int) -> tuple[int, str]:
    with app.extensions["db"].session() as session:
        teacher = create_user(session, email="gv@bench.vn", password=secrets.token_urlsafe(16), role="teacher",
                              unit_code="so-hn", name="GV")
        reviewer = create_user(session, email="tdv@bench.vn", password=secrets.token_urlsafe(16), role="reviewer",
                               unit_code="so-hn", name="TĐV")
        token = create_token(session, teacher, "bench")
        bank = create_empty_bank(session, owner=teacher, state="draft", metadata={
            "title": "Ngân hàng lớn", "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": 12, "subject": "toan",
            "licence": "CC-BY-4.0"})
        session.commit()
        for start in range(0, count, BATCH):
            add_questions(session, bank, [question(n) for n in range(start, min(count, start + BATCH))],
                          author=teacher, storage=app.extensions["storage"])
            session.commit()
        cfg = app.extensions["review"]
        submit(session, bank.id, teacher, cfg)
        decide(session, bank.id, reviewer, cfg, "approve", "Đạt", dict.fromkeys(DEFAULT_CRITERIA, 4))
        return bank.id, token


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def p_value(chi_square: float, df: int) -> float:
    """Upper tail of the chi-square distribution (Wilson–Hilferty normal approximation)."""
    z = ((chi_square / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return 0.5 * math.erfc(z / math.sqrt(2))


def uniformity(pool, draws: int) -> tuple[float, int, float, int]:
    matrix = parse_matrix(MATRIX)
    counts: Counter = Counter()
    for seed in range(draws):
        for _, chosen in draw(pool, matrix, f"chi-{seed}").picked:
            counts.update(c.question_id for c in chosen)
    groups: dict = {}
    for candidate in pool:
        groups.setdefault(candidate.cell_key, []).append(candidate.question_id)
    chi_square, df, eligible = 0.0, 0, 0
    for cell in matrix.cells:
        ids = groups.get(cell.key, [])
        expected = draws * cell.count / len(ids)
        chi_square += sum((counts[i] - expected) ** 2 / expected for i in ids)
        df, eligible = df + len(ids) - 1, eligible + len(ids)
    return chi_square, df, p_value(chi_square, df), eligible


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"data_dir": f"{tmp}/data", "database": {"url": url}, "queue": {"backend": "memory"}})
        upgrade(app.extensions["db"])
        started = time.perf_counter()
        bank_id, token = build(app, args.questions)
        print(f"database: {app.extensions['db'].dialect}; bank of {args.questions} questions filled and published "
              f"in {time.perf_counter() - started:.1f} s (setup)")
        service, api = [], []
        client = app.test_client()
        with app.extensions["db"].session() as session:
            teacher = session.query(User).filter_by(email="gv@bench.vn").one()
            for run in range(args.runs):
                payload = {"banks": [bank_id], "matrix": MATRIX, "seed": f"run-{run}", "versions": 4}
                service.append(timed(lambda p=payload: (create_paper(session, teacher, p), session.commit())))
                response = None

                def call(p=payload):
                    nonlocal response
                    response = client.post("/api/v1/papers", json=p, headers={"Authorization": f"Bearer {token}"})
                api.append(timed(call))
                body = response.get_json()
                assert response.status_code == 201 and body["shortfall"] == [], body
                assert all(len(v["questions"]) == 40 for v in body["versions"]) and len(body["versions"]) == 4
            reference = timed(lambda: published_questions(session, [bank_id]))
            types = [spec.question_type.value for spec in PARTS.values()]
            pool_seconds = statistics.median(timed(lambda: eligible_pool(session, [bank_id], types))
                                             for _ in range(args.runs))
            pool = eligible_pool(session, [bank_id], types)
        print(f"40-question, 4-version paper via create_paper: median {statistics.median(service) * 1000:.0f} ms, "
              f"max {max(service) * 1000:.0f} ms ({args.runs} seeds)")
        print(f"same via POST /api/v1/papers (test client): median {statistics.median(api) * 1000:.0f} ms, "
              f"max {max(api) * 1000:.0f} ms")
        print(f"of which the narrow pool query (identity and cell of {len(pool)} questions): median "
              f"{pool_seconds * 1000:.0f} ms")
        print(f"reference: published_questions reading all {args.questions} questions: {reference * 1000:.0f} ms")
        started = time.perf_counter()
        chi_square, df, p, eligible = uniformity(pool, args.draws)
        print(f"uniformity: {args.draws} draws of the matrix over {eligible} eligible questions "
              f"({time.perf_counter() - started:.1f} s): chi-square {chi_square:.1f}, df {df}, p = {p:.3f} "
              f"-> {'uniform (p > 0.001)' if p > 0.001 else 'NOT uniform'}")
        app.extensions["search"].close()
        app.extensions["db"].dispose()


if __name__ == "__main__":
    main()
