"""Measure a whole GPU for the book in one command: every chapter at the full scale, then a train-step benchmark.

    python scripts/gpu_check.py [--out artifacts] [--time-limit 540]   # on a CUDA machine (make gpu-check)
    python scripts/gpu_check.py --dry-run                              # the same code path, CPU, tiny scale

Per chapter it records the FLOPs of its full-scale training (albert_lite.chapters.sizing), the predicted
seconds on a T4 and on the other listed GPUs, the measured seconds and the peak GPU memory of
executing the notebook. Chapters that no longer fit in the total time limit are skipped (seconds
null), never cut off half-way. The benchmark times a training step of ALBERT-base in bf16 and in
fp16 (with a grad scaler), with PyTorch's fused attention, without and with torch.compile, and
reports tokens per second and MFU against the GPU's peak. Results go to OUT/gpu_check.json and
OUT/gpu_check.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from albert_lite import AlbertConfig, AlbertForPreTraining  # noqa: E402
from albert_lite.chapters.sizing import CHAPTERS, SUSTAINED_FLOPS, chapter_flops, peak_flops  # noqa: E402
from albert_lite.data.toy import synthetic_batch  # noqa: E402
from albert_lite.files import write_text_atomically  # noqa: E402
from albert_lite.flops import training_flops  # noqa: E402
from albert_lite.training.timing import seconds_per_call, training_step  # noqa: E402

BENCH_CONFIG = {"full": AlbertConfig.from_preset("albert-base"),
                "tiny": AlbertConfig(vocab_size=512, embedding_size=16, hidden_size=64, num_layers=2, num_heads=4)}
BENCH_BATCH = {"full": (32, 128), "tiny": (2, 32)}
STARTUP_S = 60  # seconds a notebook kernel has to answer


class GpuMemoryPeak:
    """The largest memory.used that nvidia-smi reports while the block runs (GB); None without a GPU."""

    def __init__(self, period: float = 0.5):
        self.period, self.peak, self._stop = period, None, threading.Event()

    def _read(self) -> float | None:
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        values = [float(v) for v in out.stdout.split() if v.strip().replace(".", "", 1).isdigit()]
        return max(values) / 1024 if values else None

    def _poll(self) -> None:
        while not self._stop.is_set():
            used = self._read()
            if used is not None:
                self.peak = used if self.peak is None else max(self.peak, used)
            self._stop.wait(self.period)

    def __enter__(self) -> GpuMemoryPeak:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_chapter(stem: str, scale: str, timeout: float, workdir: Path, on_gpu: bool) -> dict:
    """Execute one notebook at ``scale`` in a scratch folder; seconds, peak memory and whether it finished."""
    env = {**os.environ, "ALBERT_LITE_SCALE": scale, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    # The kernel talks over Unix sockets in the scratch folder (IPC), not over TCP ports that a kernel started
    # at the same moment elsewhere could take; it must answer within a minute, or the chapter fails with that.
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               f"--ExecutePreprocessor.timeout={int(timeout)}", f"--ExecutePreprocessor.startup_timeout={STARTUP_S}",
               "--KernelManager.transport=ipc", f"--KernelManager.ip={workdir / (stem + '-kernel')}",
               "--output-dir", str(workdir), str(ROOT / "notebooks" / f"{stem}.ipynb")]
    started = time.perf_counter()
    with GpuMemoryPeak() if on_gpu else contextlib.nullcontext() as memory:
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout + 30)
            status = "ok" if done.returncode == 0 else "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
        except subprocess.TimeoutExpired:
            status = "failed: ran past its time"
    return {"seconds": round(time.perf_counter() - started, 1), "status": status,
            "peak_memory_gb": round(memory.peak, 2) if on_gpu and memory.peak is not None else None}


def benchmark_step(config: AlbertConfig, batch_size: int, seq_len: int, device: torch.device, precision: str,
                   compile_model: bool, repeats: int) -> dict:
    """Tokens per second and model FLOP/s of a training step (forward, backward, AdamW), median over repeats."""
    torch.manual_seed(0)
    model = AlbertForPreTraining(config).to(device)
    batch = synthetic_batch(config, batch_size, seq_len, device=device)
    batch.pop("attention_mask")
    step = training_step(model, batch, precision, forward=torch.compile(model) if compile_model else None)
    seconds = statistics.median(seconds_per_call(step, device, repeats, warmup=2))  # warm-up: compilation
    tokens = batch_size * seq_len
    return {"step_ms": round(1000 * seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
            "model_tflops": round(tokens * training_flops(config, seq_len) / seconds / 1e12, 3)}


def run_benchmark(scale: str, device: torch.device, deadline: float) -> dict:
    config, (batch_size, seq_len) = BENCH_CONFIG[scale], BENCH_BATCH[scale]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = peak_flops(name) if device.type == "cuda" else None
    fp16_ok = device.type == "cuda"
    bf16_ok = device.type == "cpu" or torch.cuda.is_bf16_supported()
    variants = [("bf16", "bf16", bf16_ok), ("fp16 + grad scaler", "fp16", fp16_ok)]
    rows = {}
    for label, precision, supported in variants:
        for compiled in (False, True):
            key = f"{label}{', torch.compile' if compiled else ''}"
            if not supported:
                rows[key] = {"skipped": f"{label} is not supported on {name}"}
            elif compiled and scale == "tiny":
                rows[key] = {"skipped": "dry run: compilation is measured on the GPU only"}
            elif time.monotonic() > deadline:
                rows[key] = {"skipped": "time limit"}
            else:
                try:
                    rows[key] = benchmark_step(config, batch_size, seq_len, device, precision, compiled,
                                               repeats=20 if scale == "full" else 2)
                except Exception as error:  # a failed variant is a finding, not a crash of the check
                    rows[key] = {"skipped": f"{type(error).__name__}: {error}"[:300]}
                if peak and "model_tflops" in rows[key]:
                    rows[key]["mfu"] = round(rows[key]["model_tflops"] * 1e12 / peak, 4)
    return {"config": "albert-base" if scale == "full" else "tiny", "batch": batch_size, "seq_len": seq_len,
            "attention": "torch scaled_dot_product_attention (fused kernels)", "peak_tflops": peak and peak / 1e12,
            "variants": rows}


def summary_markdown(report: dict) -> str:
    lines = [f"# GPU check: {report['device']}", "",
             f"Scale {report['scale']}; total time limit {report['time_limit_s']:.0f} s; "
             f"took {report['seconds']:.0f} s.", "",
             "| chapter | training PFLOP (full) | predicted on a T4 (s) | measured (s) | peak memory (GB) | status |",
             "|---|---|---|---|---|---|"]
    for stem, row in report["chapters"].items():
        measured = "—" if row["seconds"] is None else f"{row['seconds']:.0f}"
        memory = "—" if row["peak_memory_gb"] is None else f"{row['peak_memory_gb']:.1f}"
        lines.append(f"| {stem} | {row['flops'] / 1e15:.3g} | {row['predicted_s']['T4']:.0f} | {measured} | {memory} "
                     f"| {row['status']} |")
    bench = report["benchmark"]
    lines += ["", f"Train step, {bench['config']}, batch {bench['batch']} x {bench['seq_len']}, {bench['attention']}:",
              "", "| variant | step (ms) | tokens/s | model TFLOP/s | MFU |", "|---|---|---|---|---|"]
    for key, row in bench["variants"].items():
        if "skipped" in row:
            lines.append(f"| {key} | skipped: {row['skipped']} | | | |")
        else:
            mfu = f"{row['mfu']:.1%}" if "mfu" in row else "—"
            lines.append(f"| {key} | {row['step_ms']} | {row['tokens_per_s']:,.0f} | {row['model_tflops']} | {mfu} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts", help="folder for gpu_check.json and .md")
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny scale: checks the code path, not a GPU")
    parser.add_argument("--time-limit", type=float, default=540.0, help="seconds for the whole check")
    parser.add_argument("--chapters", nargs="*", default=list(CHAPTERS), help="notebook file stems to run")
    parser.add_argument("--jobs", type=int, default=1, help="chapters executed at once")
    args = parser.parse_args(argv)
    unknown = [c for c in args.chapters if c not in CHAPTERS]
    if unknown:
        print(f"error: unknown chapter(s) {unknown}: choose among {list(CHAPTERS)}", file=sys.stderr)
        return 2
    if not args.dry_run and not torch.cuda.is_available():
        print("error: no CUDA GPU here: run on a GPU machine, or use --dry-run to check the code path", file=sys.stderr)
        return 2
    if args.out.exists() and not args.out.is_dir():
        print(f"error: --out {args.out} is a file: give a folder", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    scale = "tiny" if args.dry_run else "full"
    device = torch.device("cpu" if args.dry_run else "cuda")
    started = time.monotonic()
    deadline = started + args.time_limit
    def one_chapter(stem: str, scratch: Path) -> dict:
        work = chapter_flops(stem, "full")
        row = {"flops": work, "predicted_s": {name: round(work / rate, 1) for name, rate in SUSTAINED_FLOPS.items()},
               "seconds": None, "peak_memory_gb": None, "status": "skipped: time limit"}
        left = deadline - time.monotonic() - 60  # keep a minute for the benchmark
        if left > 10:
            row.update(run_chapter(stem, scale, left, scratch, device.type == "cuda"))
        print(f"{stem}: {row['status']}, {row['seconds']} s (predicted on a T4: {row['predicted_s']['T4']} s)",
              flush=True)
        return row

    # One chapter at a time by default: each has the GPU to itself, and kernels started at the same moment
    # can race for the same ports (one client then waits forever on a kernel that is not its own).
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.jobs) as pool:
        rows = pool.map(lambda stem: one_chapter(stem, Path(scratch)), args.chapters)
        chapters = dict(zip(args.chapters, rows, strict=True))
    benchmark = run_benchmark(scale, device, deadline)
    report = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu (dry run)",
              "scale": scale, "time_limit_s": args.time_limit, "seconds": round(time.monotonic() - started, 1),
              "torch": torch.__version__, "chapters": chapters, "benchmark": benchmark}
    write_text_atomically(args.out / "gpu_check.json", json.dumps(report, indent=2) + "\n")
    write_text_atomically(args.out / "gpu_check.md", summary_markdown(report))
    print(summary_markdown(report))
    failed = [stem for stem, row in chapters.items() if row["status"].startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
