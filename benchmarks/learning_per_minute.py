"""Learning per CPU minute: held-out masked-LM accuracy on the State of the Union after 1, 2 and 3 minutes.

Chapter 7's small-scale recipe and a candidate train side by side in one run, each in its own process
on one CPU thread, so a busy machine slows both alike. Each recipe is measured on held-out speeches (its
own tokenizer, trained on the same training speeches) after 1, 2 and 3 minutes of training time
(evaluation time excluded), next to the unigram baseline: always predicting the most frequent piece.

    python benchmarks/learning_per_minute.py                 # 3 minutes, both recipes at once
    python benchmarks/learning_per_minute.py --minutes 0.2   # a quick look
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time

import torch

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.chapters.experiments import pretraining_recipe, unigram_accuracy
from albert_lite.data import prepare_corpus
from albert_lite.training import build_optimizer, evaluate
from albert_lite.training.optimizers import default_warmup_steps

# Chapter 7's small-scale recipe as the package holds it now, and a candidate measured against it.
RECIPE_KEYS = ("vocab_size", "seq_len", "embedding_size", "hidden_size", "num_layers", "num_heads", "optimizer", "lr",
               "batch_size")
RECIPES = {
    "chapter 7": {key: pretraining_recipe("small")[key] for key in RECIPE_KEYS},
    "candidate": dict(vocab_size=3000, seq_len=64, embedding_size=64, hidden_size=128, num_layers=2, num_heads=2,
                      optimizer="lamb", lr=1e-2, batch_size=64),
}
CORPUS = {key: pretraining_recipe("small")[key] for key in ("corpus", "max_documents", "heldout_fraction", "seed")}


def run(name: str, minutes: float, queue) -> None:
    torch.set_num_threads(1)
    recipe = RECIPES[name]
    data = prepare_corpus(CORPUS["corpus"], CORPUS["max_documents"], recipe["vocab_size"], recipe["seq_len"],
                          CORPUS["heldout_fraction"], seed=CORPUS["seed"])
    torch.manual_seed(0)
    config = AlbertConfig(vocab_size=data.tokenizer.vocab_size, embedding_size=recipe["embedding_size"],
                          hidden_size=recipe["hidden_size"], num_layers=recipe["num_layers"],
                          num_heads=recipe["num_heads"], max_position_embeddings=recipe["seq_len"])
    model = AlbertForPreTraining(config)
    loader = data.loader("train", "sop", recipe["batch_size"], seed=0)
    heldout = data.loader("heldout", "sop", recipe["batch_size"])
    optimizer = build_optimizer(model, recipe["optimizer"], recipe["lr"], 0.01)
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
            group["lr"] = recipe["lr"] * min(1.0, (step + 1) / warmup)
        model(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        trained += time.perf_counter() - started
        if trained >= marks[0]:
            scores = evaluate(model, heldout)
            results.append({"minutes": marks.pop(0) / 60, "steps": step, "mlm_accuracy": scores["mlm_accuracy"]})
    queue.put({"recipe": name, **recipe, "unigram_accuracy": unigram_accuracy(data, "sop", recipe["batch_size"]),
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
    results = sorted((queue.get() for _ in processes), key=lambda r: list(RECIPES).index(r["recipe"]))
    for process in processes:
        process.join()
    print(f"held-out masked-LM accuracy on the State of the Union, {len(RECIPES)} recipes side by side, one CPU "
          "thread each")
    for result in results:
        marks = ", ".join(f"{m['minutes']:.1f} min: {100 * m['mlm_accuracy']:.1f}% ({m['steps']} steps)"
                          for m in result["marks"])
        print(f"{result['recipe']:>10}: {marks} | unigram baseline {100 * result['unigram_accuracy']:.1f}%")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
