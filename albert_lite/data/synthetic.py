"""Generated documents whose topic and sentence order are known by construction.

Two styles. ``synthetic_corpus`` writes short stories ("First, the baker Ada kneads the
dough."): the topic shows in a few words per sentence, the order in the opener. It suits the
ablations. ``topic_dense_corpus`` writes sentences of an opener and ten topic words: every
sentence carries its document's topic many times over, so that telling whether two segments
come from the same document (NSP) is learnable by a small model within minutes, as telling
their order (SOP) is. Chapter 6 uses it for Table 5 and explains the design.
"""

from __future__ import annotations

import numpy as np

from .documents import Document

_TOPICS = {
    "baking": (
        ["the baker", "the apprentice", "the pastry chef"],
        ["kneads", "sifts", "bakes", "glazes", "slices", "weighs", "proofs", "folds"],
        ["the dough", "the flour", "the croissants", "the rye loaf", "the butter", "the sourdough", "the yeast"],
        ["in the oven", "on the floured table", "near the warm stove", "in the bakery"],
    ),
    "sailing": (
        ["the captain", "the deckhand", "the navigator"],
        ["hoists", "trims", "coils", "reefs", "lowers", "ties", "checks", "steers"],
        ["the mainsail", "the anchor", "the jib", "the rudder", "the mooring line", "the compass", "the hull"],
        ["at the harbour", "across the bay", "on the foredeck", "against the tide"],
    ),
    "gardening": (
        ["the gardener", "the farmer", "the botanist"],
        ["plants", "waters", "prunes", "harvests", "digs", "mulches", "fertilises", "weeds"],
        ["the tomatoes", "the roses", "the seedlings", "the compost", "the hedge", "the tulip bulbs", "the soil"],
        ["in the greenhouse", "along the fence", "in the vegetable bed", "under the apple tree"],
    ),
    "astronomy": (
        ["the astronomer", "the student", "the observer"],
        ["points", "focuses", "calibrates", "photographs", "records", "aligns", "tracks", "measures"],
        ["the telescope", "the nebula", "the comet", "the star chart", "the eyepiece", "the galaxy", "the moon"],
        ["at the observatory", "on the mountain", "under the dark sky", "through the dome"],
    ),
    "medicine": (
        ["the nurse", "the surgeon", "the doctor"],
        ["examines", "bandages", "sterilises", "prescribes", "monitors", "injects", "diagnoses", "stitches"],
        ["the patient", "the wound", "the vaccine", "the scalpel", "the fever", "the fracture", "the heart rate"],
        ["in the ward", "at the clinic", "in the operating theatre", "beside the bed"],
    ),
    "carpentry": (
        ["the carpenter", "the joiner", "the woodworker"],
        ["saws", "sands", "planes", "nails", "varnishes", "clamps", "measures", "drills"],
        ["the oak plank", "the dovetail joint", "the cabinet", "the chisel", "the pine board", "the hinge"],
        ["in the workshop", "on the bench", "beside the lathe", "in the timber yard"],
    ),
    "chess": (
        ["the grandmaster", "the challenger", "the champion"],
        ["castles", "sacrifices", "advances", "pins", "captures", "defends", "promotes", "blocks"],
        ["the bishop", "the rook", "the pawn", "the knight", "the queen", "the king", "the endgame"],
        ["on the board", "in the tournament", "against the clock", "in the final round"],
    ),
    "mountaineering": (
        ["the climber", "the guide", "the sherpa"],
        ["ropes", "ascends", "anchors", "belays", "traverses", "crosses", "scales", "descends"],
        ["the glacier", "the ridge", "the crevasse", "the ice axe", "the summit", "the crampons", "the cliff"],
        ["above the base camp", "in the blizzard", "near the col", "on the north face"],
    ),
    "music": (
        ["the violinist", "the conductor", "the pianist"],
        ["tunes", "rehearses", "composes", "transposes", "conducts", "performs", "improvises", "records"],
        ["the sonata", "the symphony", "the melody", "the orchestra", "the chord", "the overture", "the score"],
        ["in the concert hall", "at the rehearsal", "on the stage", "in the studio"],
    ),
    "banking": (
        ["the banker", "the teller", "the auditor"],
        ["deposits", "lends", "audits", "invests", "transfers", "withdraws", "balances", "insures"],
        ["the mortgage", "the savings", "the ledger", "the loan", "the dividend", "the bonds", "the vault"],
        ["at the branch", "in the vault", "on the trading floor", "before the market opens"],
    ),
    "fishing": (
        ["the angler", "the trawlerman", "the fisher"],
        ["casts", "baits", "reels", "nets", "guts", "hooks", "lands", "mends"],
        ["the trout", "the salmon", "the fishing rod", "the lure", "the net", "the catch", "the mackerel"],
        ["on the riverbank", "off the pier", "in the estuary", "beside the weir"],
    ),
    "printing": (
        ["the printer", "the typesetter", "the binder"],
        ["inks", "typesets", "binds", "folds", "trims", "prints", "proofreads", "stacks"],
        ["the press", "the pamphlet", "the manuscript", "the paper", "the typeface", "the cover", "the pages"],
        ["in the print shop", "at the press", "on the binding table", "in the composing room"],
    ),
}


_NAMES = ["Ada", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]


_ORDINALS = [
    "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
    "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth",
    "Eighteenth", "Nineteenth", "Twentieth",
]  # fmt: skip


def synthetic_corpus(num_documents: int = 200, sentences_per_document: int = 12, seed: int = 0) -> list[Document]:
    """Documents whose topic and sentence order are known by construction.

    Every document describes one task in one topic's vocabulary (so a document's words give
    away its topic: NSP negatives are easy), and every sentence opens with its step number
    ("First, ...", "Third, ...", "Finally, ..."): the order can be recovered only by reading
    those markers, which is exactly what SOP asks for.
    """
    if num_documents < 1 or sentences_per_document < 2:
        raise ValueError(
            f"synthetic_corpus needs num_documents >= 1 and sentences_per_document >= 2, "
            f"got {num_documents} and {sentences_per_document}"
        )
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    docs = []
    for k in range(num_documents):
        topic = topics[int(rng.integers(len(topics)))]
        actors, verbs, objects, places = _TOPICS[topic]
        name = _NAMES[int(rng.integers(len(_NAMES)))]
        sentences = []
        for i in range(sentences_per_document):
            if i == sentences_per_document - 1:
                opener = "Finally,"
            elif i < len(_ORDINALS):
                opener = f"{_ORDINALS[i]},"
            else:
                opener = f"In step {i + 1},"
            actor = actors[int(rng.integers(len(actors)))]
            verb, obj = verbs[int(rng.integers(len(verbs)))], objects[int(rng.integers(len(objects)))]
            words = [opener, actor, name, verb, obj]
            if rng.random() < 0.6:
                words.append(places[int(rng.integers(len(places)))])
            if rng.random() < 0.3:
                words += ["with", objects[int(rng.integers(len(objects)))]]
            sentences.append(" ".join(words) + ".")
        docs.append(Document(id=f"synthetic-{k:05d}", sentences=sentences, metadata={"topic": topic, "name": name}))
    return docs


def _topic_words(topic: str) -> list[str]:
    """Every content word of a topic's vocabulary (no articles, no prepositions)."""
    actors, verbs, objects, places = _TOPICS[topic]
    stop = {"the", "in", "on", "at", "near", "across", "against", "along", "under", "above", "beside", "off",
            "through", "before", "of"}
    words = {w for phrase in (*actors, *verbs, *objects, *places) for w in phrase.split() if w not in stop}
    return sorted(words)


def topic_dense_corpus(num_documents: int = 400, sentences_per_document: int = 12, seed: int = 0,
                       topic_words: int = 10, offset: bool = False) -> list[Document]:
    """Documents whose every sentence is an ordinal opener and ``topic_words`` words of one topic.

    "Fifth, dough oven kneads baker flour ... ." The openers count up through the document
    ("First", "Second", ...; from a random first ordinal with ``offset``), so they give the
    order away (SOP); the topic words give the document away (NSP). With about ten topic words
    a sentence, both tasks are learnable by a small model within minutes on a CPU, and NSP is
    learned from the topic: with fewer, NSP is learned from the openers' order too; with many
    more, the openers drown and SOP is not learned within the budget. With ``offset`` no
    opener alone tells the order, and SOP, which must then compare the two segments, takes
    longer to learn.
    """
    if num_documents < 1 or sentences_per_document < 2 or topic_words < 1:
        raise ValueError(
            f"topic_dense_corpus needs num_documents >= 1, sentences_per_document >= 2 and topic_words >= 1, "
            f"got {num_documents}, {sentences_per_document} and {topic_words}"
        )
    if sentences_per_document > len(_ORDINALS):
        raise ValueError(f"sentences_per_document={sentences_per_document} is more than the {len(_ORDINALS)} "
                         "ordinals the openers can count")
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    vocabulary = {topic: _topic_words(topic) for topic in topics}
    docs = []
    for k in range(num_documents):
        topic = topics[int(rng.integers(len(topics)))]
        words = vocabulary[topic]
        first = int(rng.integers(len(_ORDINALS) - sentences_per_document + 1)) if offset else 0
        sentences = []
        for i in range(sentences_per_document):
            chosen = [words[int(j)] for j in rng.integers(len(words), size=topic_words)]
            sentences.append(" ".join([f"{_ORDINALS[first + i]},", *chosen]) + ".")
        docs.append(Document(id=f"topics-{k:05d}", sentences=sentences, metadata={"topic": topic, "first": first}))
    return docs
