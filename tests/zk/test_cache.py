"""The zk cache shared by processes (test workers, two apps): each SRS and key set is made once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from zk.srs import SrsConfig, resolve_srs

SMALL_K = 10  # 2**10 rows: generated in well under a second


def _digest(cache: str) -> str:
    return resolve_srs(SrsConfig(chain_id=31337), SMALL_K, Path(cache)).digest


def test_processes_racing_for_a_local_srs_all_get_the_same_one(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")  # forking a threaded test worker can deadlock
    with ProcessPoolExecutor(max_workers=3, mp_context=spawn) as pool:
        digests = set(pool.map(_digest, [str(tmp_path)] * 6))
    assert len(digests) == 1  # a second generator would have replaced it with another SRS
    assert digests == {_digest(str(tmp_path))}
    assert not list(tmp_path.glob("*.partial"))
