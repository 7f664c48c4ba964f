"""Learning per CPU minute: held-out masked-LM accuracy at [MASK] on all State of the Union speeches.

Chapter 7's small-scale recipe and two candidates train side by side in one run, each in its own process
on one CPU thread, so a busy machine slows them alike. All read every speech but the held-out tenth (the
zoo's split), and are measured at the held-out targets that show [MASK] (where only the context helps)
after 1, 2 and 3 minutes of training time (evaluation time excluded), next to the unigram baseline
(always the most frequent piece) on the same targets.

    python benchmarks/learning_per_minute.py                 # 3 minutes, every recipe at once
    python benchmarks/learning_per_minute.py --minutes 0.2   # a quick look
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import queue as queue_module
import sys
import time

import torch

from albert_lite import AlbertForPreTraining
from albert_lite.chapters.experiment_settings import pretraining_recipe
from albert_lite.training import build_optimizer, evaluate
from albert_lite.training.masked_lm import NeighbourTable, masked_targets
from albert_lite.training.optimizers import default_warmup_steps

# Chapter 7's small-scale shape and optimizer on all speeches; the -plain zoo models' optimizer and initial scale;
# the zoo's main pair's: AdamW, BERT's initial scale and the distance bias on attention.
CHAPTER_7 = pretraining_recipe("small").replace(max_documents=None, heldout_fraction=0.1)
RECIPES = {
    "chapter 7": CHAPTER_7,
    "plain zoo": CHAPTER_7.replace(optimizer="adamw", lr=1e-3, initializer_range=0.1),
    "bias": CHAPTER_7.replace(optimizer="adamw", lr=1e-3, local_attention=True),  # the zoo's main pair's recipe
}
HELDOUT_BATCHES = 40


def run(name: str, minutes: float, queue) -> None:
    torch.set_num_threads(1)
    recipe = RECIPES[name]
    data = recipe.prepare()
    torch.manual_seed(recipe.seed)
    model = AlbertForPreTraining(recipe.model_config(data.tokenizer.vocab_size))
    loader = data.loader("train", recipe.task, recipe.batch_size, seed=recipe.seed)
    heldout = data.loader("heldout", recipe.task, recipe.batch_size)
    optimizer = build_optimizer(model, recipe.optimizer, recipe.lr, recipe.weight_decay)
    warmup = default_warmup_steps(2000)
    marks = [60.0 * minutes * k / 3 for k in (1, 2, 3)]
    results, trained, step, batches = [], 0.0, 0, iter(loader)
    while marks:
        started = time.perf_counter()
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(loader)
            batch = next(batches)
        for group in optimizer.param_groups:  # linear warm-up, then constant: the budget is time, not steps
            group["lr"] = recipe.lr * min(1.0, (step + 1) / warmup)
        model(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        trained += time.perf_counter() - started
        if trained >= marks[0]:
            scores = evaluate(model, heldout, max_batches=HELDOUT_BATCHES)
            results.append({"minutes": marks.pop(0) / 60, "steps": step,
                            "mask_accuracy": scores["mlm_mask_accuracy"], "mask_n": int(scores["mlm_mask_tokens"]),
                            "kept_accuracy": scores["mlm_kept_accuracy"], "all_accuracy": scores["mlm_accuracy"]})
    # The unigram answer (the most frequent training piece) at the same [MASK] targets.
    targets = masked_targets(list(itertools.islice(heldout, HELDOUT_BATCHES)))["target"]
    table = NeighbourTable((e.input_ids for e in data.dataset("train", recipe.task, recipe.seed).examples),
                           data.tokenizer.vocab_size, data.tokenizer.special_ids)
    queue.put({"recipe": name, **recipe.to_dict(), "unigram_accuracy": float((targets == table.most_frequent).mean()),
               "marks": results})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training time per recipe")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=run, args=(name, args.minutes, queue)) for name in RECIPES]
    for process in processes:
        process.start()
    results = []
    while len(results) < len(processes):
        try:
            results.append(queue.get(timeout=5))
        except queue_module.Empty:
            failed = [p for p in processes if p.exitcode not in (None, 0)]
            if failed:  # a recipe that crashed never reports: stop instead of waiting for it
                for process in processes:
                    process.terminate()
                print(f"{len(failed)} recipe process(es) failed (exit codes {[p.exitcode for p in failed]})")
                return 1
    results.sort(key=lambda r: list(RECIPES).index(r["recipe"]))
    for process in processes:
        process.join()
    print(f"held-out masked-LM accuracy at [MASK] (first {HELDOUT_BATCHES} held-out batches), State of the Union, "
          f"{len(RECIPES)} recipes side by side, one CPU thread each")
    for result in results:
        marks = ", ".join(f"{m['minutes']:.1f} min: {100 * m['mask_accuracy']:.1f}% of {m['mask_n']} "
                          f"(kept {100 * m['kept_accuracy']:.0f}%, {m['steps']} steps)" for m in result["marks"])
        print(f"{result['recipe']:>10}: {marks} | unigram baseline {100 * result['unigram_accuracy']:.1f}%")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
