"""Which samples a view draws when there are too many: a bounded sample, stratified by
class (every class keeps its share, and at least one sample while room allows), the same
every time for the same data (a fixed seed), so a redraw does not shuffle the picture."""

from __future__ import annotations

import numpy as np


def sample_indices(n: int, limit: int, classes: np.ndarray | None = None,
                   seed: int = 0) -> np.ndarray:
    """Sorted indices of at most ``limit`` of ``n`` samples (all of them when ``n`` is
    within ``limit``); with ``classes`` (an int per sample) stratified by class."""
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if classes is None:
        return np.sort(rng.choice(n, size=limit, replace=False))
    classes = np.asarray(classes).reshape(-1)[:n]
    labels, counts = np.unique(classes, return_counts=True)
    take = per_class_counts(counts, limit)
    picked = [rng.choice(np.flatnonzero(classes == c), size=k, replace=False)
              for c, k in zip(labels, take, strict=True) if k]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def per_class_counts(counts: np.ndarray, limit: int) -> np.ndarray:
    """How many of each class a sample of ``limit`` takes: proportional shares (largest
    remainder), at least one of every class while ``limit`` allows."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total <= limit:
        return counts.copy()
    share = counts * limit / total
    take = np.floor(share).astype(np.int64)
    take = np.minimum(np.maximum(take, (counts > 0).astype(np.int64)), counts)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    i = 0
    while take.sum() < limit and i < 2 * len(order):
        j = order[i % len(order)]
        if take[j] < counts[j]:
            take[j] += 1
        i += 1
    while take.sum() > limit:  # the minimum of one each overshot: trim the largest
        take[int(np.argmax(take))] -= 1
    return take


def shown_text(shown: int, total: int, what: str = "points") -> str:
    """"showing 5,000 of 60,000 points" when not all are drawn, else ""."""
    return f"showing {shown:,} of {total:,} {what}" if shown < total else ""
