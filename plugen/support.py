"""What a plugin's training labels support, and warnings for requests outside it.

A plugin records, when it is fitted, the range of each continuous attribute's known labels and
how often each combination of binary attributes occurs among the rows whose binary labels are
all known (:func:`label_support`). :func:`request_warnings` then says, one line each, when a
request asks for a continuous value outside that range or a binary combination the labels
never show: PluGeN still answers (the prior is defined everywhere), but the backbone has seen
nothing like it, so the result is an extrapolation.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

#: Combinations are not recorded beyond this many distinct ones (many binary attributes).
MAX_COMBINATIONS = 4096


def label_support(
    y: np.ndarray, attributes: Sequence[str], kinds: Mapping[str, str]
) -> dict[str, object]:
    """Ranges and binary combinations of labels ``y: (n, k)`` (user units, NaN = unknown):
    ``{"ranges": {attr: [low, high]}, "combinations": {"101": count, ...} | None,
    "binary": [names in the combinations' order], "n_complete": rows counted}``.
    ``combinations`` is None when there are more than :data:`MAX_COMBINATIONS` distinct ones."""
    ranges = {}
    for j, a in enumerate(attributes):
        col = y[:, j][~np.isnan(y[:, j])]
        if kinds[a] == "continuous" and len(col):
            ranges[a] = [float(col.min()), float(col.max())]
    binary = [a for a in attributes if kinds[a] == "binary"]
    cols = y[:, [attributes.index(a) for a in binary]] if binary else np.zeros((len(y), 0))
    complete = cols[~np.isnan(cols).any(axis=1)] > 0.5
    keys, counts = np.unique(complete.astype(np.uint8), axis=0, return_counts=True)
    combos = None
    if binary and len(keys) <= MAX_COMBINATIONS:
        combos = {"".join(map(str, k)): int(c) for k, c in zip(keys.tolist(), counts.tolist())}
    return {"ranges": ranges, "combinations": combos, "binary": binary, "n_complete": len(complete)}


def request_warnings(
    support: Mapping[str, object] | None,
    values: Mapping[str, float],
    pos_rate: Mapping[str, float] | None = None,
) -> list[str]:
    """One line per part of the request ``values`` (user units) the training labels do not
    support: a continuous value outside its labels' range, or a binary combination they never
    show. ``pos_rate`` (attribute -> training frequency): the binary attributes left free are
    drawn with these probabilities (generation), and the line says which fraction of samples
    lands in an unseen combination; None: they are kept from each source (manipulation), and
    only the requested combination is checked. Empty when ``support`` is None (a plugin saved
    before it was recorded).
    """
    if not support:
        return []
    if pos_rate is None:
        support = _marginal(support, [a for a in support["binary"] if a in values])
    lines = []
    for name, value in values.items():
        if name in support["ranges"]:
            low, high = support["ranges"][name]
            if not low <= value <= high:
                lines.append(
                    f"{name}={value:g} is outside the training labels' range "
                    f"[{low:.4g}, {high:.4g}]: an extrapolation"
                )
    combos, binary = support["combinations"], support["binary"]
    fixed = {a: int(values[a] > 0.5) for a in binary if a in values}
    if combos is None or not fixed:
        return lines
    free = [a for a in binary if a not in values]
    rates = pos_rate or {}
    unseen, described = 0.0, " & ".join(f"{a}={v}" for a, v in fixed.items())
    matching = 0
    for bits in itertools.product((0, 1), repeat=len(free)):
        setting = {**fixed, **dict(zip(free, bits))}
        key = "".join(str(setting[a]) for a in binary)
        p = float(
            np.prod([rates.get(a, 0.5) if b else 1 - rates.get(a, 0.5) for a, b in zip(free, bits)])
        )
        count = combos.get(key, 0)
        matching += count
        if count == 0:
            unseen += p
    n = support["n_complete"]
    if matching == 0:
        lines.append(
            f"{described} never occurs in the training labels (0 of {n} fully labelled rows): "
            "an extrapolation"
        )
    elif unseen > 0:
        lines.append(
            f"{described} occurs in {matching} of {n} fully labelled rows, but with "
            f"{', '.join(free)} drawn freely {unseen:.0%} of samples fall in combinations the "
            "training labels never show; set them to stay within the data"
        )
    return lines


def _marginal(support: Mapping[str, object], names: Sequence[str]) -> dict[str, object]:
    """``support`` restricted to the binary attributes ``names`` (their combinations' counts
    summed over the others)."""
    combos, index = support["combinations"], [support["binary"].index(a) for a in names]
    out: dict[str, int] | None = None
    if combos is not None:
        out = {}
        for key, count in combos.items():
            sub = "".join(key[i] for i in index)
            out[sub] = out.get(sub, 0) + count
    return {**support, "binary": list(names), "combinations": out}


def combination_mask(frame, combinations: Sequence[Mapping[str, float]], where: str) -> np.ndarray:
    """Boolean mask ``(n,)`` of the rows of ``frame`` (a DataFrame) whose binary columns match
    any of ``combinations`` (``{column: 0 | 1}``), values compared after rounding (so
    probabilities or targets work too). Raises ValueError naming ``where`` when a column a
    combination names is missing."""
    mask = np.zeros(len(frame), dtype=bool)
    for combo in combinations:
        missing = [k for k in combo if k not in frame.columns]
        if missing:
            raise ValueError(f"{where}: column(s) {missing} missing, expected {list(combo)}")
        hit = np.ones(len(frame), dtype=bool)
        for k, v in combo.items():
            hit &= np.round(frame[k].to_numpy(dtype=float)) == v
        mask |= hit
    return mask
