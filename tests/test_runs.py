"""Jobs trained side by side: the same results, in the same order, as one after the other."""

import time

import pytest

from albert_lite import AlbertConfig
from albert_lite.chapters import runs
from albert_lite.chapters.runs import Job, run_jobs, worker_count

CONFIG = AlbertConfig(vocab_size=16, embedding_size=4, hidden_size=8, num_layers=1, num_heads=1)


def slow_square(job: Job, offset: int) -> dict:
    """Later jobs finish first, so results in completion order would come back reversed."""
    time.sleep(0.3 * (3 - job.seed))
    return {"seed": job.seed, "value": job.seed**2 + offset}


def test_a_pool_returns_what_one_process_returns_in_job_order(monkeypatch):
    jobs = [Job(CONFIG, None, seed) for seed in range(4)]
    monkeypatch.setenv("ALBERT_LITE_WORKERS", "1")
    serial = run_jobs(slow_square, jobs, {"offset": 10}, progress=False)
    monkeypatch.setenv("ALBERT_LITE_WORKERS", "2")
    parallel = run_jobs(slow_square, jobs, {"offset": 10}, progress=False)
    assert serial == parallel == [{"seed": s, "value": s * s + 10} for s in range(4)]


def test_the_worker_count_setting(monkeypatch):
    monkeypatch.setenv("ALBERT_LITE_WORKERS", "3")
    assert worker_count() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("ALBERT_LITE_WORKERS", bad)
        with pytest.raises(ValueError, match="ALBERT_LITE_WORKERS"):
            worker_count()
    monkeypatch.delenv("ALBERT_LITE_WORKERS")
    monkeypatch.setattr(runs, "pick_device", lambda: __import__("torch").device("cuda"))
    assert worker_count() == 1  # on a GPU the jobs share the device one after the other
