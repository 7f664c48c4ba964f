"""The ids every layer agrees on: ALBERT's special symbols and the label that means "nothing to predict".

The tokenizer (``data``), the model and the metrics (``training``) all read them from here, so no
layer imports another just for a constant.
"""

PAD, UNK, CLS, SEP, MASK = "<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
# Cross-entropy skips targets with this value: positions of a sequence with no prediction due.
IGNORE_INDEX = -100
