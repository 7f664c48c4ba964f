"""The paper's experiments at a scale that runs in minutes; each returns a pandas DataFrame.

Every function trains small ALBERTs with the same data, seed and budget, changing one thing,
and measures on held-out documents. The DataFrame's ``attrs["run"]`` says at what scale, on
which device, for how many steps and in how long it ran; the book prints it under each table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import torch
from torch.utils.data import DataLoader

from ..config import AlbertConfig
from ..data import PreparedCorpus, prepare_corpus, tokenize_documents
from ..model import IGNORE_INDEX, AlbertForPreTraining, AlbertModel
from ..params import count_parameters
from ..runtime import preserved_random_state
from ..training import TrainingConfig, TrainingResult, evaluate, train
from .paper import PAPER_TABLE_3, PAPER_TABLE_4, PAPER_TABLE_11
from .readings import sentence_head_diagnostics, standard_error
from .runs import Job, run_jobs, worker_count
from .scale import get_scale


@dataclass(frozen=True)
class ExperimentSettings:
    """One scale of the experiments: data, model shape and training budget."""

    corpus: str
    max_documents: int | None
    vocab_size: int
    seq_len: int
    hidden_size: int
    embedding_size: int
    num_layers: int
    num_heads: int
    steps: int
    batch_size: int
    lr: float
    probe_examples: int
    optimizer: str = "adamw"  # LAMB pays off at large batches (chapter 7); these batches are small
    heldout_fraction: float = 0.2
    embedding_sizes: tuple[int, ...] = ()
    depths: tuple[int, ...] = ()
    seeds: tuple[int, ...] = (0,)  # every model of an experiment is trained once per seed

    def model_config(self, vocab_size: int, **changes) -> AlbertConfig:
        shape = dict(
            vocab_size=vocab_size, embedding_size=self.embedding_size, hidden_size=self.hidden_size,
            num_layers=self.num_layers, num_heads=self.num_heads, max_position_embeddings=self.seq_len,
            sharing="all",
        )
        return AlbertConfig(**{**shape, **changes})


SETTINGS = {
    "tiny": ExperimentSettings(
        corpus="synthetic", max_documents=120, vocab_size=300, seq_len=48, hidden_size=32, embedding_size=16,
        num_layers=2, num_heads=2, steps=25, batch_size=16, lr=3e-3, probe_examples=256,
        embedding_sizes=(8, 32), depths=(1, 2), seeds=(0,),
    ),
    # On a CPU, masked-LM training on real text does not leave the "predict a frequent word" plateau
    # within a few hundred steps, so the small scale measures on the synthetic corpus.
    "small": ExperimentSettings(
        corpus="synthetic", max_documents=400, vocab_size=400, seq_len=32, hidden_size=64, embedding_size=32,
        num_layers=4, num_heads=2, steps=300, batch_size=32, lr=2e-3, probe_examples=1024,
        embedding_sizes=(8, 32, 64), depths=(1, 2, 4), seeds=(0, 1, 2),
    ),
    # Sized by FLOPs (albert_lite.chapters.sizing) so that each chapter, three seeds of every model included,
    # trains within ten minutes on a Colab T4.
    "full": ExperimentSettings(
        corpus="sotu", max_documents=None, vocab_size=8000, seq_len=128, hidden_size=256, embedding_size=64,
        num_layers=4, num_heads=4, steps=400, batch_size=64, lr=1e-3, probe_examples=4096,
        embedding_sizes=(32, 64, 128, 256), depths=(1, 2, 4, 8), seeds=(0, 1, 2),
    ),
}

# SOP versus NSP needs more steps than the ablations: the sentence tasks start to improve only
# once masked-LM training has shaped the representations (about step 500 at the small scale).
SOP_VS_NSP = {
    "tiny": dict(corpus="synthetic-topics"),
    "small": dict(corpus="synthetic-topics", max_documents=600, seq_len=64, embedding_size=32, num_layers=2,
                  steps=1000),
    "full": dict(steps=1500),
}


# Chapter 7's pretraining recipe; chapter 9 pretrains with the very same one (and reuses chapter 7's model).
# The full scale is sized by FLOPs to fit a Colab T4's ten minutes per chapter (albert_lite.sizing).
PRETRAINING_RECIPES = {
    "tiny": dict(corpus="sotu", max_documents=24, heldout_fraction=0.2, vocab_size=1000, seq_len=48, embedding_size=16,
                 hidden_size=64, num_layers=2, num_heads=2, sharing="all", task="sop", optimizer="lamb", steps=20,
                 batch_size=16, lr=2e-2, seed=0),
    "small": dict(corpus="sotu", max_documents=60, heldout_fraction=0.2, vocab_size=3000, seq_len=64,
                  embedding_size=32, hidden_size=64, num_layers=2, num_heads=2, sharing="all", task="sop",
                  optimizer="lamb", steps=300, batch_size=32, lr=2e-2, seed=0),
    "full": dict(corpus="sotu", max_documents=None, heldout_fraction=0.2, vocab_size=16000, seq_len=128,
                 embedding_size=128, hidden_size=384, num_layers=6, num_heads=6, sharing="all", task="sop",
                 optimizer="lamb", steps=1500, batch_size=64, lr=1.76e-3, seed=0),
}
# Chapter 9's fine-tuning budget, the same for every model compared.
FINETUNING_RECIPES = {
    "tiny": dict(max_len=32, train_per_label=32, steps=12, batch_size=16, lr=1e-3, seeds=(0,)),
    "small": dict(max_len=64, train_per_label=128, steps=160, batch_size=32, lr=1e-3, seeds=(0, 1, 2)),
    "full": dict(max_len=128, train_per_label=None, steps=400, batch_size=32, lr=1e-4, seeds=(0, 1, 2)),
}


def pretraining_recipe(scale: str | None = None) -> dict:
    """Chapter 7's (and 9's) pretraining recipe at ``scale`` (default: the current one), as a fresh dict."""
    return dict(PRETRAINING_RECIPES[scale or get_scale()])


def finetuning_recipe(scale: str | None = None) -> dict:
    """Chapter 9's fine-tuning budget at ``scale`` (default: the current one), as a fresh dict."""
    return dict(FINETUNING_RECIPES[scale or get_scale()])


def settings(scale: str | None = None, **changes) -> ExperimentSettings:
    """The settings of ``scale`` (default: the current ALBERT_LITE_SCALE), with changes."""
    return replace(SETTINGS[scale or get_scale()], **changes)


def prepare(s: ExperimentSettings) -> PreparedCorpus:
    return prepare_corpus(s.corpus, s.max_documents, s.vocab_size, s.seq_len, s.heldout_fraction)


# --------------------------------------------------------------------------- training and measuring


def pretrain(config: AlbertConfig, data: PreparedCorpus, task: str | None, s: ExperimentSettings,
             seed: int = 0, progress: bool = False,
             evaluations: int = 0) -> tuple[AlbertForPreTraining, TrainingResult]:
    """Train one model from the same seed and data as every other model of an experiment (``evaluations``
    times on the held-out pairs along the way, recorded in the result's history)."""
    with preserved_random_state():
        torch.manual_seed(seed)
        model = AlbertForPreTraining(config)
    every = max(1, s.steps // evaluations) if evaluations else None
    run = TrainingConfig(steps=s.steps, lr=s.lr, seed=seed, log_every=every or max(1, s.steps // 20),
                         eval_every=every, optimizer=s.optimizer)
    heldout = data.loader("heldout", task, s.batch_size) if evaluations else None
    result = train(model, data.loader("train", task, s.batch_size, seed), run, heldout_loader=heldout,
                   progress=progress)
    return model, result


def trained_on(result: TrainingResult) -> str:
    """Where and in which precision a model trained ("cpu, fp32"; bf16 on a CPU with AMX), for the run lines."""
    return f"{result.device}, {result.precision}"


def heldout_scores(model: AlbertForPreTraining, data: PreparedCorpus, task: str, batch_size: int) -> dict:
    """MLM accuracy on held-out documents and the sentence head's accuracy on ``task`` pairs."""
    return evaluate(model, data.loader("heldout", task, batch_size))


@torch.no_grad()
def pooled_features(model: AlbertForPreTraining, loader: DataLoader,
                    limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen [CLS] features of unmasked pairs (masked tokens put back) and their labels."""
    model.eval()
    device = next(model.parameters()).device
    features, labels, seen = [], [], 0
    for batch in loader:
        ids = torch.where(batch["mlm_labels"] != IGNORE_INDEX, batch["mlm_labels"], batch["input_ids"])
        out = model.albert(ids.to(device), batch["token_type_ids"].to(device), batch["attention_mask"].to(device))
        features.append(out.pooled_output.float().cpu())
        labels.append(batch["sentence_labels"])
        seen += len(ids)
        if limit is not None and seen >= limit:
            break
    x, y = torch.cat(features), torch.cat(labels)
    return (x[:limit], y[:limit]) if limit is not None else (x, y)


def probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                   steps: int = 300, weight_decay: float = 1e-3) -> float:
    """Accuracy of a logistic-regression probe fitted on frozen features (standardised)."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    generator = torch.Generator().manual_seed(0)
    probe = torch.nn.Linear(train_x.shape[1], 2)
    torch.nn.init.normal_(probe.weight, std=0.01, generator=generator)
    torch.nn.init.zeros_(probe.bias)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(probe(train_x), train_y).backward()
        optimizer.step()
    with torch.no_grad():
        return (probe(test_x).argmax(-1) == test_y).float().mean().item()


def sentence_task_accuracy(model: AlbertForPreTraining, data: PreparedCorpus, task: str, trained_task: str | None,
                           s: ExperimentSettings) -> tuple[float, str]:
    """The head's held-out accuracy if the model was trained on ``task``, else a probe's."""
    if task == trained_task:
        return heldout_scores(model, data, task, s.batch_size)["sentence_accuracy"], "head"
    train_x, train_y = pooled_features(model, data.loader("train", task, s.batch_size, seed=1), s.probe_examples)
    test_x, test_y = pooled_features(model, data.loader("heldout", task, s.batch_size))
    return probe_accuracy(train_x, train_y, test_x, test_y), "probe"


def _run_line(scale: str, s: ExperimentSettings, device: str, wall: float, models: int) -> str:
    workers = min(models, worker_count())
    return (f"scale {scale}, corpus {s.corpus} ({s.max_documents or 'all'} documents), device {device}, "
            f"{models} models ({len(s.seeds)} seed(s) each) x {s.steps} steps of batch {s.batch_size} x "
            f"{s.seq_len} tokens, H={s.hidden_size}, wall time {wall:.0f} s"
            + (f" on {workers} processes side by side" if workers > 1 else ""))


def _run(row: Callable[..., dict], jobs: list[Job], data: PreparedCorpus, s: ExperimentSettings, scale: str,
         desc: str, progress: bool, models: int | None = None) -> pd.DataFrame:
    """Train and measure every job (side by side on a CPU's cores), with the run line.

    ``row(job, data, s)`` gives one row, or several under ``"rows"``; either way with the ``"device"`` it
    trained on. ``models`` is the number of trained models the run line states (default: one per job).
    """
    started = time.perf_counter()
    results = run_jobs(row, jobs, {"data": data, "s": s}, progress, desc)
    device = results[0].get("device", "cpu")
    frame = pd.DataFrame([r for result in results for r in result.get("rows", [result])])
    frame = frame.drop(columns="device", errors="ignore")
    frame.attrs["run"] = _run_line(scale, s, device, time.perf_counter() - started, models or len(jobs))
    return frame


def _scale_and_settings(scale: str | None, corpus: str | None, **changes) -> tuple[str, ExperimentSettings]:
    scale = scale or get_scale()
    if corpus:
        changes["corpus"] = corpus
    return scale, settings(scale, **changes)


# --------------------------------------------------------------------------- Table 5


TABLE_5_MODELS = (("MLM only", None), ("MLM + NSP", "nsp"), ("MLM + SOP", "sop"))


def sop_vs_nsp_settings(scale: str | None = None, corpus: str | None = None,
                        **changes) -> tuple[str, ExperimentSettings]:
    """Table 5's settings: the scale's, with the corpus and the budget SOP versus NSP needs."""
    scale = scale or get_scale()
    defaults = dict(SOP_VS_NSP[scale])
    if corpus:
        defaults["corpus"] = corpus
    return scale, settings(scale, **{**defaults, **changes})


def _sentence_cells(model, data: PreparedCorpus, task: str, s: ExperimentSettings) -> dict:
    """Both measurements of one task: the model's own sentence head (the paper's) and a probe on its
    frozen [CLS] features (the information, whatever the head learned), with the head's diagnostics."""
    scores = heldout_scores(model, data, task, s.batch_size)
    train_x, train_y = pooled_features(model, data.loader("train", task, s.batch_size, seed=1), s.probe_examples)
    test_x, test_y = pooled_features(model, data.loader("heldout", task, s.batch_size))
    label_1 = scores["sentence_label_1_share"]
    name = task.upper()
    return {f"{name} head %": 100 * scores["sentence_accuracy"],
            f"{name} probe %": 100 * probe_accuracy(train_x, train_y, test_x, test_y),
            f"{name} n": int(scores["sentence_examples"]), f"{name} majority %": 100 * max(label_1, 1 - label_1),
            f"{name} head says 1 %": 100 * scores["sentence_predicted_1_share"]}


def unigram_accuracy(data: PreparedCorpus, task: str | None, batch_size: int, seed: int = 0) -> float:
    """Masked-LM accuracy of always predicting the most frequent piece of the training examples, on the
    held-out masks: the plateau a model sits on until it uses the context."""
    counts = torch.zeros(data.tokenizer.vocab_size)
    for example in data.dataset("train", task, seed).examples:
        counts += torch.bincount(torch.tensor(example.input_ids), minlength=data.tokenizer.vocab_size)
    counts[list(data.tokenizer.special_ids)] = 0
    targets = torch.cat([b["mlm_labels"][b["mlm_labels"] != IGNORE_INDEX]
                         for b in data.loader("heldout", task, batch_size)])
    return float((targets == int(counts.argmax())).float().mean())


def word_overlap_baseline(data: PreparedCorpus, task: str, seed: int = 0) -> dict:
    """A trivial baseline for a sentence task: the share of A's and B's word pieces they have in common
    (Jaccard), with the threshold that scores best on the training pairs, measured on held-out pairs.

    It reads no order, only vocabulary: it solves NSP where documents differ in topic, and cannot solve
    SOP, whose two classes hold the same words."""

    def overlaps(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        examples = data.dataset(split, task, seed).examples
        values = [len(set(e.segment_a) & set(e.segment_b)) / max(1, len(set(e.segment_a) | set(e.segment_b)))
                  for e in examples]
        return torch.tensor(values), torch.tensor([e.sentence_label for e in examples])

    train_x, train_y = overlaps("train")
    candidates = torch.unique(train_x)
    # Label 1 (swapped, or another document) when the overlap is at most the threshold.
    scores = torch.stack([((train_x <= t).long() == train_y).float().mean() for t in candidates])
    threshold = candidates[int(scores.argmax())]
    test_x, test_y = overlaps("heldout")
    accuracy = ((test_x <= threshold).long() == test_y).float().mean().item()
    majority = max(test_y.float().mean().item(), 1 - test_y.float().mean().item())
    return {"task": task.upper(), "word-overlap accuracy %": 100 * accuracy,
            "s.e. %": standard_error(100 * accuracy, len(test_y)),
            "majority class %": 100 * majority, "n": len(test_y), "threshold": float(threshold)}


def bag_of_words_baseline(data: PreparedCorpus, task: str, seed: int = 0, max_train: int = 4000) -> dict:
    """A trivial baseline that can read order words: logistic regression on the bag of A's pieces next to the bag
    of B's pieces (which pieces sit in which segment, not where in it), fitted on training pairs, measured on
    held-out pairs. Where it beats the majority class, the words of a pair tell the answer; where a model's head
    stays at chance beside it, the head has not learned what the words show."""

    def bags(split: str, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        examples = data.dataset(split, task, seed).examples[:limit]
        vocab = data.tokenizer.vocab_size
        features = torch.zeros(len(examples), 2 * vocab)
        for row, example in enumerate(examples):
            features[row, example.segment_a] = 1.0
            features[row, [vocab + i for i in example.segment_b]] = 1.0
        return features, torch.tensor([e.sentence_label for e in examples])

    train_x, train_y = bags("train", max_train)
    test_x, test_y = bags("heldout", None)
    accuracy = probe_accuracy(train_x, train_y, test_x, test_y)
    train_accuracy = probe_accuracy(train_x, train_y, train_x, train_y)
    majority = max(test_y.float().mean().item(), 1 - test_y.float().mean().item())
    return {"task": task.upper(), "bag-of-words accuracy %": 100 * accuracy,
            "s.e. %": standard_error(100 * accuracy, len(test_y)), "majority class %": 100 * majority,
            "n": len(test_y), "on its training pairs %": 100 * train_accuracy, "training pairs": len(train_y)}


def sop_vs_nsp(scale: str | None = None, corpus: str | None = None, progress: bool = True,
               **changes) -> pd.DataFrame:
    """Paper Table 5: MLM only, MLM + NSP and MLM + SOP with the same budget, on held-out documents.

    One row per (model, seed). Each sentence task is measured twice: by the model's own sentence
    head, as the paper does (the MLM-only model's head is untrained), and by a logistic-regression
    probe on its frozen pooled features, fitted on the same labelled pairs for every model.
    :func:`table_5_summary` gives the means over seeds, :func:`table_5_claims` checks the paper's claims.
    """
    scale, s = sop_vs_nsp_settings(scale, corpus, **changes)
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size), task, seed, {"trained with": name})
            for seed in s.seeds for name, task in TABLE_5_MODELS]
    return _run(_table_5_row, jobs, data, s, scale, "Table 5", progress)


def _table_5_row(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
    return {**job.labels, "seed": job.seed,
            "MLM acc %": 100 * heldout_scores(model, data, "sop", s.batch_size)["mlm_accuracy"],
            **_sentence_cells(model, data, "nsp", s), **_sentence_cells(model, data, "sop", s),
            "train time s": result.wall_time, "device": trained_on(result)}


# --------------------------------------------------------------------------- Tables 3, 4, 11


def _ablation(variants: list[tuple[dict, dict]], s: ExperimentSettings, scale: str, desc: str,
              progress: bool) -> pd.DataFrame:
    """Train one MLM + SOP model per variant (config changes, extra columns) and seed, and measure it."""
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size, **changes), "sop", seed, columns)
            for changes, columns in variants for seed in s.seeds]
    frame = _run(_ablation_row, jobs, data, s, scale, desc, progress)
    frame["MLM unigram %"] = 100 * unigram_accuracy(data, "sop", s.batch_size)
    return frame


def _ablation_row(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
    scores = heldout_scores(model, data, "sop", s.batch_size)
    train_scores = evaluate(model, data.loader("train", "sop", s.batch_size, seed=job.seed), max_batches=8)
    return {**job.labels, "seed": job.seed, "parameters": count_parameters(job.config)["total"],
            "MLM acc %": 100 * scores["mlm_accuracy"], "MLM n": int(scores["mlm_tokens"]),
            "SOP acc %": 100 * scores["sentence_accuracy"], **sentence_head_diagnostics(scores),
            "SOP acc on training pairs %": 100 * train_scores["sentence_accuracy"],
            "MLM loss": scores["mlm_loss"], "train time s": result.wall_time, "device": trained_on(result)}


def sharing_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 4's models: (config changes, table columns) for each strategy and two group sizes."""
    layers = s.num_layers
    variants = [
        (dict(sharing=mode), {"strategy": mode, "M": layers if mode != "none" else 1,
                              "paper params (E=128)": PAPER_TABLE_4[mode][0],
                              "paper avg (E=128)": PAPER_TABLE_4[mode][1]})
        for mode in ("none", "attention", "ffn", "all")
    ]
    for m in [m for m in range(2, layers) if layers % m == 0][:2]:
        variants.append((dict(sharing="all", group_size=m),
                         {"strategy": f"all, groups of M={m}", "M": m, "paper params (E=128)": "",
                          "paper avg (E=128)": math.nan}))
    return variants


def sharing_ablation(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                     **changes) -> pd.DataFrame:
    """Paper Table 4: not shared, attention only, FFN only, all shared, and groups of M layers."""
    scale, s = _scale_and_settings(scale, corpus, **changes)
    return _ablation(sharing_variants(s), s, scale, "Table 4", progress)


def embedding_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 3's models: each embedding size E, not shared and all shared."""
    # Our sizes stand in for the paper's in order (smallest for 64, ...); E = H stands for E = 768.
    paper_e = (64, 128, 256)
    variants = []
    for sharing in ("none", "all"):
        for rank, e in enumerate(s.embedding_sizes):
            stand_in = 768 if e == s.hidden_size else paper_e[rank] if rank < len(paper_e) else None
            paper = PAPER_TABLE_3.get((sharing, stand_in), ("", math.nan))
            variants.append((dict(sharing=sharing, embedding_size=e),
                             {"sharing": sharing, "E": e, "stands for paper E": stand_in or math.nan,
                              "paper params": paper[0], "paper avg": paper[1]}))
    return variants


def embedding_ablation(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                       **changes) -> pd.DataFrame:
    """Paper Table 3: several embedding sizes E, not shared and all shared."""
    scale, s = _scale_and_settings(scale, corpus, **changes)
    return _ablation(embedding_variants(s), s, scale, "Table 3", progress)


def depth_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 11's models: all shared, one per depth; the parameter count does not move."""
    return [(dict(num_layers=depth, sharing="all"), {"L": depth, "paper avg": PAPER_TABLE_11.get(depth, math.nan)})
            for depth in s.depths]


def depth_at_equal_params(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                          **changes) -> pd.DataFrame:
    """Paper Table 11: all-shared models of increasing depth; the parameter count does not move."""
    scale, s = _scale_and_settings(scale, corpus, **changes)
    return _ablation(depth_variants(s), s, scale, "Table 11", progress)


# --------------------------------------------------------------------------- what a pair keeps of its sentences

# The check of the ablations' sentence heads: the same model, pairs with room for whole sentences.
ROOMY_PAIRS = {
    "tiny": dict(seq_len=96, steps=25, seeds=(0,)),
    "small": dict(seq_len=64, steps=800, seeds=(0, 1)),
    "full": dict(seq_len=256, steps=400, seeds=(0, 1)),
}


def segment_starts(data: PreparedCorpus, task: str = "sop", split: str = "train") -> dict:
    """What a pair keeps of its sentences at ``data.seq_len``: tokens per sentence, the room a segment has,
    and the share of segments that still begin where a sentence begins (where the story corpus puts its
    order words, "First", "Then", "Finally"). A sentence longer than its room is cut at both ends."""
    examples = data.dataset(split, task, seed=0).examples
    docs = data.train_docs if split == "train" else data.heldout_docs
    tokenized = dict(zip((d.id for d in docs), tokenize_documents(docs, data.tokenizer), strict=True))
    openings = {doc: {tuple(sentence[:2]) for sentence in sentences} for doc, sentences in tokenized.items()}
    kept = [tuple(ex.segment_a[:2]) in openings[ex.document_id] for ex in examples]
    kept += [tuple(ex.segment_b[:2]) in openings[ex.b_document_id or ex.document_id] for ex in examples]
    lengths = [len(sentence) for sentences in tokenized.values() for sentence in sentences]
    return {"tokens per pair": data.seq_len, "room per segment": (data.seq_len - 3) / 2,
            "tokens per sentence": sum(lengths) / len(lengths), "segments": len(kept),
            "segments that begin a sentence %": 100 * sum(kept) / len(kept)}


def pair_evidence(data: PreparedCorpus, task: str) -> dict:
    """What the pairs of ``data`` hold for a sentence task: :func:`segment_starts` and the bag-of-words baseline."""
    bow = bag_of_words_baseline(data, task)
    return {**segment_starts(data, task), "bag-of-words %": bow["bag-of-words accuracy %"],
            "bag-of-words s.e. %": bow["s.e. %"], "majority class %": bow["majority class %"],
            "held-out pairs": bow["n"]}


def roomy_pairs_settings(scale: str | None = None) -> tuple[str, ExperimentSettings]:
    scale = scale or get_scale()
    return scale, settings(scale, **ROOMY_PAIRS[scale])


def sentence_order_with_room(scale: str | None = None, progress: bool = True) -> pd.DataFrame:
    """The ablations' all-shared model trained on pairs with room for whole sentences, held-out SOP accuracy
    every few steps: whether its sentence head learns once the pairs keep their sentences' beginnings.

    One row per seed and evaluation; ``attrs["pairs"]`` compares what the two pair lengths hold (:func:`pair_evidence`).
    """
    scale, short = _scale_and_settings(scale, None)
    _, s = roomy_pairs_settings(scale)
    data = prepare(s)
    pairs = pd.DataFrame([pair_evidence(prepare(short), "sop"), pair_evidence(data, "sop")])
    jobs = [Job(s.model_config(data.tokenizer.vocab_size), "sop", seed, {"sharing": "all"}) for seed in s.seeds]
    frame = _run(_sop_curve_rows, jobs, data, s, scale, "Roomy pairs", progress)
    frame.attrs["pairs"] = pairs
    return frame


def _sop_curve_rows(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    _, result = pretrain(job.config, data, job.task, s, seed=job.seed, evaluations=8)
    history = result.history.dropna(subset=["heldout_sentence_accuracy"])
    rows = []
    for _, point in history.iterrows():
        scores = {name.removeprefix("heldout_"): value for name, value in point.items()}  # evaluate()'s names
        rows.append({**job.labels, "seed": job.seed, "step": int(point["step"]),
                     "SOP acc %": 100 * scores["sentence_accuracy"], **sentence_head_diagnostics(scores),
                     "MLM acc %": 100 * scores["mlm_accuracy"]})
    return {"rows": rows, "device": trained_on(result)}


# --------------------------------------------------------------------------- Figure 1


@torch.no_grad()
def transition_distances(model: AlbertForPreTraining | AlbertModel, batch: dict) -> pd.DataFrame:
    """Per layer: mean L2 distance and angle between each real token's input and output vectors."""
    model.eval()
    device = next(model.parameters()).device
    mask = batch["attention_mask"].to(device).bool()
    encoder = model.albert if isinstance(model, AlbertForPreTraining) else model
    states = encoder(batch["input_ids"].to(device), batch["token_type_ids"].to(device),
                          batch["attention_mask"].to(device), output_hidden_states=True).hidden_states
    rows = []
    for layer, (before, after) in enumerate(zip(states[:-1], states[1:], strict=True)):
        a, b = before[mask].float(), after[mask].float()
        cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1, 1)
        rows.append({"layer": layer + 1, "L2 distance": (b - a).norm(dim=-1).mean().item(),
                     "cosine similarity": cosine.mean().item(),
                     "angle (degrees)": torch.rad2deg(torch.arccos(cosine)).mean().item()})
    return pd.DataFrame(rows)


FIGURE_1_MODELS = (("not shared", "none"), ("all shared", "all"))


def smoothness_settings(s: ExperimentSettings, scale: str) -> ExperimentSettings:
    """Figure 1 looks at many transitions: twice the layers of the other experiments (but at the tiny scale)."""
    return replace(s, num_layers=2 * s.num_layers if scale != "tiny" else s.num_layers)


def _smoothness_batch(data: PreparedCorpus, s: ExperimentSettings) -> dict:
    """One held-out batch with its masked tokens put back: the text every model of Figure 1 reads."""
    batch = next(iter(data.loader("heldout", "sop", s.batch_size)))
    batch["input_ids"] = torch.where(batch["mlm_labels"] != IGNORE_INDEX, batch["mlm_labels"], batch["input_ids"])
    return batch


def _smoothness_rows(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    if job.labels["weights"] == "trained":
        model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
        device = trained_on(result)
    else:  # the same network at its initialisation: what the architecture does before any training
        with preserved_random_state():
            torch.manual_seed(job.seed)
            model, device = AlbertForPreTraining(job.config), "cpu"
    frame = transition_distances(model, _smoothness_batch(data, s))
    return {"rows": frame.assign(**job.labels, seed=job.seed).to_dict("records"), "device": device}


def layer_smoothness(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                     **changes) -> pd.DataFrame:
    """Paper Figure 1: how far each layer moves its input, for not-shared and all-shared models, trained and
    with random weights (so training's effect shows apart from the architecture's), one row per layer and seed."""
    scale, s = _scale_and_settings(scale, corpus, **changes)
    s = smoothness_settings(s, scale)
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size, sharing=sharing), "sop", seed,
                {"model": name, "weights": weights})
            for weights in ("trained", "random") for name, sharing in FIGURE_1_MODELS for seed in s.seeds]
    trained = sum(job.labels["weights"] == "trained" for job in jobs)
    frame = _run(_smoothness_rows, jobs, data, s, scale, "Figure 1", progress, models=trained)
    return frame[["model", "weights", "seed", "layer", "L2 distance", "cosine similarity", "angle (degrees)"]]
