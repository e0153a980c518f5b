"""How long `hoclieu demo load --lessons N` takes (target: N = 7000 in under 5 minutes on 2 cores),
against the reference measured in the same run: rendering the same N PDFs alone, with the same pool.

    .venv/bin/python bench/bench_demo_load.py [--lessons 7000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_summary

from repository.demo.generator import generate_lessons
from repository.demo.loader import _render


def render_only(n: int) -> float:
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        for _ in pool.map(_render, generate_lessons(n), chunksize=25):
            pass
    return time.monotonic() - started


def demo_load(n: int) -> float:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")},
               "HOCLIEU_DATA_DIR": data_dir}
        cli = [sys.executable, "-m", "repository.cli"]
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        started = time.monotonic()
        subprocess.run([*cli, "demo", "load", "--lessons", str(n)], env=env, check=True, capture_output=True)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=7000)
    n = parser.parse_args().lessons
    print(machine_summary())
    reference = render_only(n)
    ours = demo_load(n)
    print(f"render {n} PDFs only (reference): {reference:.1f} s ({n / reference:.0f} PDFs/s)")
    print(f"hoclieu demo load --lessons {n}: {ours:.1f} s ({n / ours:.0f} lessons/s), "
          f"{ours / reference:.2f}x the rendering alone; target < 300 s: {'met' if ours < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
