"""Pretrain ALBERT from the command line, on one device or several.

    python -m albert_lite.pretrain --preset albert-base --corpus sotu --steps 2000 --out runs/base
    torchrun --nproc_per_node=4 -m albert_lite.pretrain --preset albert-base --corpus sotu --out runs/base
    python -m albert_lite.pretrain ... --out runs/base --resume       # continue from runs/base/latest

It does what the notebooks do, in one go, through the same pipeline
(:class:`~albert_lite.data.PreparedCorpus`): load a corpus, split off held-out documents, train
a SentencePiece tokenizer (saved as OUT/tokenizer.model), build SOP (or NSP, or MLM-only)
examples with dynamic n-gram masking, train, and write checkpoints, OUT/history.csv and
OUT/curves.png. ``--batch-size`` is the global batch of one optimizer step, shared by all
processes and micro-batches. The training flags are generated from
:class:`~albert_lite.training.TrainingConfig`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import PRESETS, SHARING_MODES, AlbertConfig
from .data.corpora import CORPORA
from .data.pipeline import DUPE_FACTOR, HELDOUT_FRACTION, PreparedCorpus, corpus_tokenizer, split_corpus
from .data.pretraining_dataset import MASKING
from .data.tokenizer import Tokenizer
from .distributed import DistributedContext, barrier, cleanup_distributed, init_distributed
from .files import atomic_path, write_text_atomically
from .model import AlbertForPreTraining, num_parameters
from .runtime import check_device, preserved_random_state, seed_everything
from .training import TrainingConfig, TrainingResult, train
from .training.checkpoints import resolve_checkpoint

TOKENIZER_FILE = "tokenizer.model"
TASK_CHOICES = ("sop", "nsp", "none")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m albert_lite.pretrain",
        description="Pretrain an ALBERT (MLM plus SOP or NSP) and write checkpoints. Works under torchrun.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", required=True, help="folder for checkpoints, tokenizer, history and plots")
    parser.add_argument(
        "--resume", nargs="?", const="latest", default=None, metavar="CHECKPOINT",
        help="continue a run: alone, from OUT's latest checkpoint; or from the checkpoint folder given",
    )

    shape = parser.add_argument_group("model shape (the preset, then any of these changes)")
    shape.add_argument("--preset", default="albert-base", choices=PRESETS)
    shape.add_argument("--vocab-size", type=int, default=30000, help="SentencePiece vocabulary size V")
    shape.add_argument("--embedding-size", type=int, help="E")
    shape.add_argument("--hidden-size", type=int, help="H")
    shape.add_argument("--num-layers", type=int, help="L")
    shape.add_argument("--num-heads", type=int, help="attention heads")
    shape.add_argument("--intermediate-size", type=int, help="feed-forward width (default 4H)")
    shape.add_argument("--sharing", choices=SHARING_MODES, help="cross-layer parameter sharing")
    shape.add_argument("--group-size", type=int, help="M: layers per group of shared weights")
    shape.add_argument("--dropout", type=float, help="ALBERT trains without dropout (0)")

    data = parser.add_argument_group("data")
    data.add_argument("--corpus", default="sotu", help=f"{', '.join(CORPORA)}, or a path to text in the BERT format")
    data.add_argument("--max-documents", type=int, help="use a seeded sample of this many documents")
    data.add_argument("--heldout-fraction", type=float, default=HELDOUT_FRACTION,
                      help="documents kept out for evaluation")
    data.add_argument("--task", choices=TASK_CHOICES, default="sop", help="the sentence-pair task next to MLM")
    data.add_argument("--seq-len", type=int, default=128, help="maximum sequence length (the paper: 512)")
    data.add_argument("--masking", choices=MASKING, default="dynamic")
    data.add_argument("--dupe-factor", type=int, default=DUPE_FACTOR,
                      help="passes over the documents with new pairings")
    data.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    data.add_argument("--batch-size", type=int, default=64, help="global batch per optimizer step")

    run = parser.add_argument_group("training")
    TrainingConfig.add_arguments(run, skip=("out_dir",))
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def model_config(args: argparse.Namespace, vocab_size: int) -> AlbertConfig:
    """The preset with the command line's changes; V comes from the trained tokenizer."""
    changes = {
        "embedding_size": args.embedding_size,
        "hidden_size": args.hidden_size,
        "num_layers": args.num_layers,
        "num_heads": args.num_heads,
        "intermediate_size": args.intermediate_size,
        "sharing": args.sharing,
        "group_size": args.group_size,
        "dropout": args.dropout,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    return AlbertConfig.from_preset(
        args.preset, **changes, vocab_size=vocab_size, max_position_embeddings=max(512, args.seq_len)
    )


def _tokenizer(args: argparse.Namespace, train_docs, out: Path, context: DistributedContext, resume_from):
    """Train once (on the main process) and save; a resumed run reuses the original run's tokenizer."""
    path = out / TOKENIZER_FILE
    if context.is_main:
        if resume_from is None:
            corpus_tokenizer(train_docs, args.vocab_size, seed=args.seed).save(path)
        elif not path.exists():  # resuming into a new folder: bring the tokenizer along
            original = resolve_checkpoint(resume_from).parent / TOKENIZER_FILE
            if not original.exists():
                raise FileNotFoundError(f"{original} does not exist: a resumed run needs the original tokenizer")
            Tokenizer.load(original).save(path)
    barrier()
    return Tokenizer.load(path)


def _check_arguments(args: argparse.Namespace, out: Path) -> Path | None:
    """Refuse what cannot work before any data is loaded; returns the checkpoint to resume from."""
    check_device(args.device)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file: give a folder for the run")
    if args.resume is None and out.is_dir() and any(out.iterdir()):
        raise ValueError(f"--out {out} already holds files of another run: continue it with --resume, "
                         "or choose an empty or new folder")
    if args.batch_size % args.grad_accumulation:
        raise ValueError(
            f"--batch-size {args.batch_size} is not a multiple of --grad-accumulation {args.grad_accumulation}"
        )
    if args.resume is None:
        return None
    return out if args.resume == "latest" else Path(args.resume)


def _write_outputs(args: argparse.Namespace, out: Path, config: AlbertConfig, result: TrainingResult) -> None:
    """history.csv, run.json and curves.png, each written atomically."""
    import matplotlib.pyplot as plt

    with atomic_path(out / "history.csv") as temporary:
        result.history.to_csv(temporary, index=False)
    write_text_atomically(out / "run.json", json.dumps({"args": vars(args), "model": config.to_dict()}, indent=2)
                          + "\n")
    figure = result.plot(f"{args.preset} on {args.corpus}: {result.summary()}")
    with atomic_path(out / "curves.png") as temporary:
        figure.savefig(temporary, dpi=120)
    plt.close(figure)


def run(args: argparse.Namespace, context: DistributedContext) -> TrainingResult:
    """Everything after parsing; returns the TrainingResult."""
    out = Path(args.out)
    resume_from = _check_arguments(args, out)
    train_docs, heldout_docs = split_corpus(args.corpus, args.max_documents, args.heldout_fraction, args.seed)
    tokenizer = _tokenizer(args, train_docs, out, context, resume_from)
    data = PreparedCorpus(args.corpus, train_docs, heldout_docs, tokenizer, args.seq_len, masking=args.masking,
                          dupe_factor=args.dupe_factor)
    task = None if args.task == "none" else args.task
    micro_batch = args.batch_size // args.grad_accumulation
    loader = data.loader("train", task, micro_batch, seed=args.seed, num_workers=args.num_workers)
    heldout_loader = data.loader("heldout", task, micro_batch, seed=args.seed + 1)

    config = model_config(args, tokenizer.vocab_size)
    with preserved_random_state():
        seed_everything(args.seed)
        model = AlbertForPreTraining(config)
    training = TrainingConfig.from_arguments(args, out_dir=str(out))
    if context.is_main:
        print(
            f"{args.preset} shape: V={config.vocab_size} E={config.embedding_size} H={config.hidden_size} "
            f"L={config.num_layers} heads={config.num_heads} sharing={config.sharing}, "
            f"{num_parameters(model):,} parameters | corpus {args.corpus}: {len(train_docs)} training and "
            f"{len(heldout_docs)} held-out documents, {len(data.dataset('train', task, args.seed))} training examples "
            f"| {context.world_size} process(es), global batch {args.batch_size}",
            flush=True,
        )
    result = train(model, loader, training, heldout_loader=heldout_loader, resume_from=resume_from,
                   progress=not args.no_progress)
    if context.is_main:
        _write_outputs(args, out, config, result)
        print(result.summary(), flush=True)
        print(f"checkpoint: {result.checkpoint}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    context = init_distributed()
    try:
        run(args, context)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        cleanup_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
