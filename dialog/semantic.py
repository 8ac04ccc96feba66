"""The semantic signal: how much of what the caller said an intent's vocabulary covers.

Terms are characters and character bigrams plus loosened-pinyin syllable bigrams (so a
homophone error still shares its sound terms). Each document (all the example phrasings,
keywords and the name of one intent, or everything one department handles) is weighted with
BM25; the score of a query is the BM25 sum normalised by the query's own IDF mass, i.e. the
informative share of the utterance that the document covers (0..1). Terms no document
contains count with the highest IDF, so out-of-scope chatter, made of words the knowledge base
never uses, scores low. `pair_similarity` applies the same coverage to two sentences (the
same-intent sanity check on question-pair corpora). Pure numpy; no I/O. An optional
sentence-embedding signal (dialog.embeddings) can raise this one when the operator provides a
model that reads the knowledge base's language (see docs/knowledge-base.md).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from dialog.phonetic import Utterance

K1 = 1.2
B = 0.5  # intent documents differ in length mostly by how many examples they list


def terms(utt: Utterance) -> list[str]:
    """Characters, character bigrams and loosened syllable bigrams ("~" marks a sound term).

    Single characters carry much of the meaning in Chinese (厂, 吵, 税); IDF keeps the common
    ones (的, 我, 么) from counting."""
    text, loose = utt.text, utt.loose
    grams = list(text)
    grams += [text[i : i + 2] for i in range(len(text) - 1)]
    grams += [f"~{loose[i]} {loose[i + 1]}" for i in range(len(loose) - 1)]
    return grams


class Bm25Index:
    """BM25 weights of documents made of terms; `coverage` scores a query against each."""

    def __init__(self, documents: Sequence[Iterable[str]]) -> None:
        counts = [Counter(doc) for doc in documents]
        self.vocabulary: dict[str, int] = {}
        for doc in counts:
            for term in doc:
                self.vocabulary.setdefault(term, len(self.vocabulary))
        n_docs = max(len(counts), 1)
        df = np.zeros(len(self.vocabulary))
        for doc in counts:
            df[[self.vocabulary[t] for t in doc]] += 1
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self.unseen_idf = math.log(1.0 + (n_docs + 0.5) / 0.5)
        self.weights = self._weights(counts)

    def _weights(self, counts: list[Counter[str]]) -> np.ndarray:
        lengths = np.asarray([sum(doc.values()) for doc in counts], dtype=np.float64)
        avg = float(lengths.mean()) if len(lengths) else 1.0
        weights = np.zeros((len(counts), len(self.vocabulary)), dtype=np.float64)
        for row, doc in enumerate(counts):
            cols = [self.vocabulary[t] for t in doc]
            tf = np.fromiter(doc.values(), dtype=np.float64, count=len(doc))
            norm = K1 * (1.0 - B + B * lengths[row] / max(avg, 1e-9))
            # (k1 + 1) / (1 + norm) makes a single occurrence in an average document worth
            # exactly its IDF, so coverage reaches 1 when every query term is present once.
            weights[row, cols] = self.idf[cols] * tf * (K1 + 1.0) / (tf + norm)
        return weights

    def coverage(self, query_terms: Iterable[str]) -> np.ndarray:
        """Per document, the BM25 score of the query over the query's IDF mass, in 0..1."""
        unique = set(query_terms)
        if not unique or not len(self.weights):
            return np.zeros(len(self.weights))
        cols = [self.vocabulary[t] for t in unique if t in self.vocabulary]
        mass = float(self.idf[cols].sum()) + self.unseen_idf * (len(unique) - len(cols))
        if not cols:
            return np.zeros(len(self.weights))
        covered: np.ndarray = np.minimum(self.weights[:, cols].sum(axis=1) / mass, 1.0)
        return covered


class IdfTable:
    """Document frequencies of a corpus of sentences, for `pair_similarity`."""

    def __init__(self, sentences: Iterable[Iterable[str]]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for sentence in sentences:
            df.update(set(sentence))
            n += 1
        self._n = max(n, 1)
        self._idf = {t: math.log(1.0 + (self._n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._unseen = math.log(1.0 + (self._n + 0.5) / 0.5)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen)


def pair_similarity(a: Sequence[str], b: Sequence[str], idf: IdfTable) -> float:
    """Symmetric IDF-weighted coverage of two term lists (the mean of both directions)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    shared = sum(idf.idf(t) for t in sa & sb)
    return 0.5 * (shared / sum(idf.idf(t) for t in sa) + shared / sum(idf.idf(t) for t in sb))
