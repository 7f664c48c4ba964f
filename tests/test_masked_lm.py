"""Masked LM measured at [MASK]: the split by what the model sees, and the baselines, on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.data import collate, make_loader
from albert_lite.special_tokens import IGNORE_INDEX, MASK_ID
from albert_lite.training.masked_lm import (
    NeighbourTable,
    masked_predictions,
    masked_targets,
    most_frequent_piece,
    piece_counts,
)
from albert_lite.training.metrics import evaluate

SPECIAL = (0, 2, 3, 4)
#            [CLS] a   b   c  [SEP]
TRAINING = [[2, 10, 11, 12, 3], [2, 10, 11, 13, 3], [2, 14, 11, 12, 3]]


def test_the_neighbour_table_answers_as_counted_by_hand():
    table = NeighbourTable(TRAINING, vocab_size=20, special_ids=SPECIAL)
    assert table.most_frequent == 11  # 11 sits in the middle three times
    left = np.array([10, 2, MASK_ID, 11, MASK_ID, 5])
    right = np.array([12, 11, 3, MASK_ID, MASK_ID, 6])
    # (10, _, 12) -> 11; (2, _, 11) -> 10 twice, 14 once; (_, 3) -> 12 twice, 13 once; (11, _) -> 12 twice;
    # nothing visible -> the unigram; an unseen context -> the unigram
    assert table.predict(left, right).tolist() == [11, 10, 12, 12, 11, 11]


def test_pieces_are_counted_everywhere_but_special_pieces_never():
    # [CLS] and [SEP] are frequent ids here, and 9 sits only at a sequence's edge: it still counts, and wins.
    sequences = [[9, 5, 9], [9, 5, 9], [2, 5, 3], [2, 3]]
    assert piece_counts(sequences, 10, SPECIAL).tolist() == [0, 0, 0, 0, 0, 3, 0, 0, 0, 4]
    assert most_frequent_piece(sequences, 10, SPECIAL) == 9
    assert NeighbourTable(sequences, 10, SPECIAL).most_frequent == 9


def test_ties_go_to_the_smaller_piece():
    table = NeighbourTable([[2, 7, 3], [2, 6, 3]], vocab_size=10, special_ids=SPECIAL)
    assert table.predict(np.array([2]), np.array([3])).tolist() == [6]


class _Pairs(torch.utils.data.Dataset):
    """Sequences whose masked targets are known: [MASK] at 2, a kept token at 3, a random one at 4."""

    def __init__(self):
        self.examples = [type("Example", (), {"document_id": f"d{i // 2}"})() for i in range(5)]

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        ids = torch.tensor([2, 10 + i, MASK_ID, 12, 17, 3])
        labels = torch.full_like(ids, IGNORE_INDEX)
        labels[2], labels[3], labels[4] = 11, 12, 13
        return {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "mlm_labels": labels}


def test_targets_come_with_their_neighbours_and_documents():
    loader = make_loader(_Pairs(), 2, shuffle=False, drop_last=False, collate_fn=collate)
    seen = masked_targets(loader)
    assert seen["target"].tolist() == [11] * 5
    assert seen["left"].tolist() == [10, 11, 12, 13, 14] and seen["right"].tolist() == [12] * 5
    assert seen["document"].tolist() == ["d0", "d0", "d1", "d1", "d2"]


def test_the_accuracy_at_mask_is_the_mean_of_the_answers_at_mask():
    torch.manual_seed(0)
    model = AlbertForPreTraining(AlbertConfig(vocab_size=20, embedding_size=8, hidden_size=16, num_layers=1,
                                              num_heads=2, max_position_embeddings=8))
    loader = make_loader(_Pairs(), 2, shuffle=False, drop_last=False, collate_fn=collate)
    answers = masked_predictions(model, loader)
    scores = evaluate(model, loader)
    assert len(answers) == scores["mlm_mask_tokens"] == 5
    assert scores["mlm_kept_tokens"] == 5 and scores["mlm_random_tokens"] == 5 and scores["mlm_tokens"] == 15
    assert scores["mlm_mask_accuracy"] == pytest.approx(float((answers == 11).mean()))


def test_a_model_that_copies_its_input_scores_at_kept_targets_only():
    """The split by what the model sees: copying the input is right at kept targets and wrong at [MASK]."""

    class Copier(AlbertForPreTraining):
        def forward(self, input_ids, token_type_ids=None, attention_mask=None, mlm_labels=None, **_):
            selected = mlm_labels != IGNORE_INDEX
            logits = torch.nn.functional.one_hot(input_ids[selected], 20).float()
            loss = torch.nn.functional.cross_entropy(logits, mlm_labels[selected])
            return type("Out", (), {"mlm_logits": logits, "loss": loss, "mlm_loss": loss, "sentence_loss": None,
                                    "loss_terms": {"mlm": loss}})()

    model = Copier(AlbertConfig(vocab_size=20, embedding_size=8, hidden_size=16, num_layers=1, num_heads=2,
                                max_position_embeddings=8))
    scores = evaluate(model, make_loader(_Pairs(), 2, shuffle=False, drop_last=False, collate_fn=collate))
    assert scores["mlm_kept_accuracy"] == 1.0
    assert scores["mlm_mask_accuracy"] == 0.0 and scores["mlm_random_accuracy"] == 0.0
    assert scores["mlm_accuracy"] == pytest.approx(1 / 3)


def test_a_list_of_batches_gives_the_same_targets_and_answers_and_a_shuffled_loader_is_refused():
    torch.manual_seed(0)
    model = AlbertForPreTraining(AlbertConfig(vocab_size=20, embedding_size=8, hidden_size=16, num_layers=1,
                                              num_heads=2, max_position_embeddings=8))
    loader = make_loader(_Pairs(), 2, shuffle=False, drop_last=False, collate_fn=collate)
    batches = list(loader)
    assert masked_targets(batches)["target"].tolist() == masked_targets(loader)["target"].tolist()
    assert masked_predictions(model, batches).tolist() == masked_predictions(model, loader).tolist()
    with pytest.raises(ValueError, match="in order"):
        masked_targets(make_loader(_Pairs(), 2, shuffle=True, drop_last=False, collate_fn=collate))
