"""albert_lite against transformers' ALBERT: same weights, same batch, same loss, which is faster?

Both models start from the same weights (``albert_lite.interop.to_transformers``) and see the
same pretraining batch. The script first checks that their losses agree, then times a training
step (forward + backward + AdamW step) and an inference pass (encoder forward, no gradients),
alternating the two models repetition by repetition so that a busy machine slows both alike.
It prints the median over repetitions of the ratio transformers time / albert_lite time.
Both train in lockstep, so the losses are compared again at every timed step.

    python benchmarks/train_step.py                 # albert-base shapes, batch 8, seq 128
    python benchmarks/train_step.py --threads 1     # steadier on a CPU shared with other work
    python benchmarks/train_step.py --quick         # tiny shapes, a few seconds
    python benchmarks/train_step.py --preset albert-large --batch 32 --seq-len 512 --compile  # GPU

On CUDA both models run under bf16 autocast (fp32 where the GPU has no bf16; ``--bf16`` asks
for it on other devices too) and the script
reports tokens per second and MFU: model FLOPs per second (3x the analytical forward FLOPs of
``albert_lite.flops``, with the MLM head and the last layer on [CLS] and the masked positions only:
the work the loss needs) over the GPU's peak.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import statistics
import sys
import time
from datetime import date

import torch

from albert_lite import AlbertConfig, AlbertForPreTraining, seed_everything
from albert_lite.chapters.sizing import peak_flops as listed_peak_flops
from albert_lite.data.toy import synthetic_batch
from albert_lite.flops import flops, training_flops
from albert_lite.interop import to_transformers
from albert_lite.model import IGNORE_INDEX, read_positions
from albert_lite.training.timing import synchronize, training_step

QUICK_CONFIG = AlbertConfig(vocab_size=512, embedding_size=16, hidden_size=64, num_layers=2, num_heads=4)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="albert-base", help="an ALBERT preset (default: albert-base)")
    parser.add_argument("--batch", type=int, default=None, help="sequences per batch (default 8; quick: 2)")
    parser.add_argument("--seq-len", type=int, default=None, help="tokens per sequence (default 128; quick: 32)")
    parser.add_argument("--mask-prob", type=float, default=0.15, help="share of positions the MLM predicts")
    parser.add_argument("--repeats", type=int, default=None, help="timed repetitions of each model (5; quick: 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps of each model first")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if present)")
    parser.add_argument("--no-autocast", action="store_true", help="on CUDA, run in fp32 instead of bf16")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast on any device (default on CUDA only)")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile albert_lite's training forward (not transformers, not inference)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="GPU peak for MFU if not in the table")
    parser.add_argument("--loss-rtol", type=float, default=None, help="relative loss tolerance")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, batch 2 x 32, 2 repetitions (for tests)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    defaults = dict(batch=2, seq_len=32, repeats=2) if args.quick else dict(batch=8, seq_len=128, repeats=5)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("batch", "seq_len", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    return args


def peak_flops(device: torch.device, override_tflops: float | None, bf16: bool) -> float | None:
    """The GPU's dense bf16 peak in FLOP/s; None when unknown or when not running in bf16."""
    if override_tflops is not None:
        return override_tflops * 1e12
    if device.type != "cuda" or not bf16:
        return None
    return listed_peak_flops(torch.cuda.get_device_name(device))


def interleaved(fns: dict[str, callable], repeats: int, device: torch.device, label: str = "") -> dict:
    """Run each function once per repetition, alternating which goes first.

    Returns wall-clock seconds and CPU seconds of this process per call. With one thread on a
    shared CPU, CPU time is barely touched by other programs, while wall time is.
    """
    wall: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            synchronize(device)
            start, start_cpu = time.perf_counter(), time.process_time()
            fns[name]()
            synchronize(device)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
        if label:
            print(f"  {label} {repeat + 1}/{repeats}: "
                  + ", ".join(f"{name} {wall[name][-1] * 1000:.1f} ms" for name in names), flush=True)
    return {"wall": wall, "cpu": cpu}


def summarize(times: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    """Medians in ms and the median over repetitions of the ratio transformers / albert_lite."""
    result = {}
    for kind, prefix in (("wall", ""), ("cpu", "cpu_")):
        ours, theirs = times[kind]["albert_lite"], times[kind]["transformers"]
        result.update({
            f"albert_lite_{prefix}ms": 1000 * statistics.median(ours),
            f"transformers_{prefix}ms": 1000 * statistics.median(theirs),
            f"{prefix}median_ratio": statistics.median(t / o for o, t in zip(ours, theirs, strict=True)),
            f"albert_lite_all_{prefix}ms": [round(1000 * t, 2) for t in ours],
            f"transformers_all_{prefix}ms": [round(1000 * t, 2) for t in theirs],
        })
    return result


def hf_inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The same batch under transformers' names."""
    return {"input_ids": batch["input_ids"], "token_type_ids": batch["token_type_ids"],
            "attention_mask": batch["attention_mask"], "labels": batch["mlm_labels"],
            "sentence_order_label": batch["sentence_labels"]}


def encoder_inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}


@torch.no_grad()
def first_agreement(ours, theirs, batch: dict[str, torch.Tensor], rtol: float) -> dict:
    """Same weights, same batch: the losses (fp32) and the encoder outputs must agree."""
    loss_ours = ours(**batch).loss.item()
    loss_theirs = theirs(**hf_inputs(batch)).loss.item()
    ours.eval(), theirs.eval()
    inputs = encoder_inputs(batch)
    hidden_diff = (ours.albert(**inputs).last_hidden_state - theirs.albert(**inputs).last_hidden_state).abs().max()
    ours.train(), theirs.train()
    agree = math.isclose(loss_ours, loss_theirs, rel_tol=rtol) and hidden_diff.item() < 1e-3
    print(f"loss: albert_lite {loss_ours:.6f}, transformers {loss_theirs:.6f} "
          f"(|diff| {abs(loss_ours - loss_theirs):.2e}); encoder outputs max |diff| {hidden_diff.item():.2e}: "
          f"{'agree' if agree else 'DISAGREE'}")
    return {"loss_albert_lite": loss_ours, "loss_transformers": loss_theirs,
            "encoder_max_abs_diff": hidden_diff.item(), "losses_agree": agree}


def step_functions(ours, theirs, batch: dict[str, torch.Tensor], device: torch.device, use_bf16: bool,
                   compile_ours: bool, step_losses: dict[str, list]) -> tuple[dict, dict]:
    """(training steps, inference passes) of both models, by name; each training step records its loss."""

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else contextlib.nullcontext()

    def trainer(name, model, inputs):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        step = training_step(model, inputs, "bf16" if use_bf16 else "fp32", optimizer=optimizer)
        return lambda: step_losses[name].append(step())

    def inferrer(encoder, inputs):
        def infer() -> None:
            with torch.inference_mode(), autocast():
                encoder(**inputs)

        return infer

    training = {"albert_lite": trainer("albert_lite", torch.compile(ours) if compile_ours else ours, batch),
                "transformers": trainer("transformers", theirs, hf_inputs(batch))}
    inference = {"albert_lite": inferrer(ours.albert, encoder_inputs(batch)),
                 "transformers": inferrer(theirs.albert, encoder_inputs(batch))}
    return training, inference


def add_throughput(label: str, result: dict, tokens: int, flops_per_token: float, peak: float | None,
                   device: torch.device, repeats: int) -> None:
    """Tokens per second (and MFU on a GPU with a known peak), added to ``result`` and printed."""
    for who in ("albert_lite", "transformers"):
        result[f"{who}_tokens_per_s"] = tokens / (result[f"{who}_ms"] / 1000)
        if peak:
            result[f"{who}_mfu"] = flops_per_token * result[f"{who}_tokens_per_s"] / peak
    mfu = (f" | MFU albert_lite {result['albert_lite_mfu']:.1%}, transformers {result['transformers_mfu']:.1%}"
           if peak else "")
    print(f"{label}: albert_lite {result['albert_lite_ms']:.1f} ms ({result['albert_lite_tokens_per_s']:,.0f} "
          f"tokens/s), transformers {result['transformers_ms']:.1f} ms "
          f"({result['transformers_tokens_per_s']:,.0f} tokens/s) | median ratio transformers/albert_lite "
          f"{result['median_ratio']:.2f}x over {repeats} interleaved repetitions{mfu}")
    if device.type == "cpu":
        one_thread = " (with one thread, the figure least disturbed by other programs)"
        print(f"{label}, CPU time of the process: albert_lite {result['albert_lite_cpu_ms']:.1f} ms, "
              f"transformers {result['transformers_cpu_ms']:.1f} ms | "
              f"median ratio {result['cpu_median_ratio']:.2f}x{one_thread if torch.get_num_threads() == 1 else ''}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use_bf16 = args.bf16 or (device.type == "cuda" and not args.no_autocast and torch.cuda.is_bf16_supported())
    config = QUICK_CONFIG if args.quick else AlbertConfig.from_preset(args.preset)
    if args.seq_len > config.max_position_embeddings:
        raise SystemExit(f"--seq-len {args.seq_len} exceeds max_position_embeddings={config.max_position_embeddings}")
    rtol = args.loss_rtol if args.loss_rtol is not None else (2e-2 if use_bf16 else 1e-4)

    import transformers

    seed_everything(args.seed)
    ours = AlbertForPreTraining(config).to(device).train()
    theirs = to_transformers(ours).to(device).train()
    theirs.sop_classifier.dropout.p = 0.0  # albert_lite's sentence head has no dropout at dropout=0
    batch = synthetic_batch(config, args.batch, args.seq_len, args.mask_prob, device, args.seed)
    masked_fraction = (batch["mlm_labels"] != IGNORE_INDEX).float().mean().item()
    print(f"albert_lite vs transformers {transformers.__version__} | torch {torch.__version__} | device {device}"
          f"{' (' + torch.cuda.get_device_name(device) + ')' if device.type == 'cuda' else ''}"
          f" | threads {torch.get_num_threads()} | {'bf16 autocast' if use_bf16 else 'fp32'}")
    print(f"shapes: {'quick (tiny)' if args.quick else args.preset}: V={config.vocab_size} E={config.embedding_size} "
          f"H={config.hidden_size} L={config.num_layers} heads={config.num_heads} | batch {args.batch} x seq "
          f"{args.seq_len}, {masked_fraction:.1%} masked | attention: transformers "
          f"'{theirs.config._attn_implementation}', albert_lite scaled_dot_product_attention")

    # 1. Same weights, same batch: the losses and the encoder outputs must agree.
    record = first_agreement(ours, theirs, batch, rtol)
    step_losses: dict[str, list] = {"albert_lite": [], "transformers": []}
    train_fns, inference_fns = step_functions(ours, theirs, batch, device, use_bf16, args.compile, step_losses)

    # 2. Inference (eval mode, no gradients), before training changes the weights.
    ours.eval(), theirs.eval()
    interleaved(inference_fns, args.warmup, device)
    inference = summarize(interleaved(inference_fns, args.repeats, device, "inference"))
    ours.train(), theirs.train()

    # 3. Training steps in lockstep: the same updates, so the losses must keep agreeing.
    interleaved(train_fns, args.warmup, device)
    training = summarize(interleaved(train_fns, args.repeats, device, "training step"))
    pairs = list(zip(step_losses["albert_lite"], step_losses["transformers"], strict=True))
    worst = max(abs(a.item() - b.item()) / abs(b.item()) for a, b in pairs)
    record["losses_agree"] = record["losses_agree"] and worst <= rtol
    print(f"losses over {len(pairs)} lockstep training steps: worst relative |diff| {worst:.2e}: "
          f"{'agree' if worst <= rtol else 'DISAGREE'} (tolerance {rtol:g})")

    # 4. Throughput against the work the loss needs (what albert_lite does): MLM head at the masked
    # positions, last layer at [CLS] and those positions only. transformers does more.
    peak = peak_flops(device, args.peak_tflops, use_bf16)
    last_layer = read_positions(batch["mlm_labels"] != IGNORE_INDEX).shape[1]
    tokens = args.batch * args.seq_len
    add_throughput("training step", training, tokens, training_flops(config, args.seq_len, masked_fraction,
                                                                     last_layer), peak, device, args.repeats)
    add_throughput("inference", inference, tokens, flops(config, args.seq_len)["total"], peak, device, args.repeats)

    if args.json:
        record.update({
            "date": date.today().isoformat(), "machine": platform.processor() or platform.machine(),
            "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "threads": torch.get_num_threads(), "bf16": use_bf16, "compile": args.compile,
            "preset": "quick" if args.quick else args.preset, "batch": args.batch, "seq_len": args.seq_len,
            "masked_fraction": masked_fraction, "repeats": args.repeats,
            "step_losses_albert_lite": [t.item() for t in step_losses["albert_lite"]],
            "step_losses_transformers": [t.item() for t in step_losses["transformers"]],
            "training": training, "inference": inference,
        })
        with open(args.json, "w") as handle:
            json.dump(record, handle, indent=2)
    if not record["losses_agree"]:
        print("error: albert_lite and transformers disagree on the same weights and batch", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
