"""The paper's figures that the chapters print beside their own, as constants.

Source: Lan et al., "ALBERT: A Lite BERT for Self-supervised Learning of Language
Representations", ICLR 2020 (arXiv:1909.11942): Tables 2, 3, 4, 5 and 11.
"""

PAPER_TABLE_5 = {  # trained with -> (MLM, NSP, SOP) intrinsic accuracy, %
    "MLM only": (54.9, 52.4, 53.3),
    "MLM + NSP": (54.5, 90.5, 52.0),
    "MLM + SOP": (54.0, 78.9, 86.5),
}
PAPER_TABLE_5_DOWNSTREAM = {"MLM only": 79.0, "MLM + NSP": 79.2, "MLM + SOP": 80.1}  # average downstream score
PAPER_TABLE_4 = {  # (E=128, strategy) -> (parameters, average downstream score)
    "none": ("89M", 81.6), "attention": ("64M", 81.7), "ffn": ("38M", 80.2), "all": ("12M", 80.1),
}
PAPER_TABLE_4_E768 = {  # the same at E=768
    "none": ("108M", 82.3), "attention": ("83M", 81.6), "ffn": ("57M", 79.5), "all": ("31M", 79.8),
}
PAPER_TABLE_2 = {  # training speed relative to BERT-large on the same hardware, and average downstream score
    "bert-base": {"speedup": 4.7, "average": 82.3}, "bert-large": {"speedup": 1.0, "average": 85.2},
    "albert-base": {"speedup": 5.6, "average": 80.1}, "albert-large": {"speedup": 1.7, "average": 82.4},
    "albert-xlarge": {"speedup": 0.6, "average": 85.5}, "albert-xxlarge": {"speedup": 0.3, "average": 88.7},
}
PAPER_TABLE_3 = {  # (sharing, E) -> (parameters, average)
    ("none", 64): ("87M", 81.3), ("none", 128): ("89M", 81.7), ("none", 256): ("93M", 81.8),
    ("none", 768): ("108M", 82.3), ("all", 64): ("10M", 79.0), ("all", 128): ("12M", 80.1),
    ("all", 256): ("16M", 79.6), ("all", 768): ("31M", 79.8),
}
PAPER_TABLE_11 = {1: 52.9, 3: 71.2, 6: 77.2, 12: 81.5, 24: 82.1, 48: 81.8}  # all-shared large, 18M

# The paper's pretraining (section 4.1): steps, batch, learning rate, sequence length, vocabulary, corpus size (GB).
PAPER_PRETRAINING = {"steps": 125_000, "batch_size": 4096, "lr": 0.00176, "max_seq_len": 512, "vocab_size": 30000,
                     "corpus_gb": 16}
# Tokens the paper's models read in pretraining: steps x batch x sequence length, about 2.6e11.
PAPER_PRETRAINING_TOKENS = (PAPER_PRETRAINING["steps"] * PAPER_PRETRAINING["batch_size"]
                            * PAPER_PRETRAINING["max_seq_len"])

# The source article's own figures: BERT's V x H embedding table and ALBERT's V x E + E x H (V = 30000, H = 768,
# E = 128), also as the article writes them, in millions (2304万, 约394万).
ARTICLE_FIGURES = {"bert_embedding": 23_040_000, "albert_embedding": 3_938_304,
                   "bert_embedding_millions": 23.04, "albert_embedding_millions": 3.94}

# Exact ALBERT-base parts with the released shapes (transformers' AlbertModel): one layer, and the pooler.
ALBERT_BASE_PARTS = {"layer": 7_087_872, "attention": 2_363_904, "ffn": 4_723_968, "pooler": 590_592}
