"""The evaluation tasks of the image experiments (paper Tables 2-3 analogues).

Each task is two pure steps: build a request table (what is asked of the plugin), then score
the external classifier's predictions on the decoded images against it. Requests carry
``target_<attr>`` columns (NaN = not requested) and a ``group`` naming the condition.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plugen.evaluate.metrics import accuracy, f1_score, roc_auc, spearman

if TYPE_CHECKING:  # the model (and torch) only for hints: scoring jobs stay torch-free
    from plugen.baselines.base import LatentEditor
    from plugen.model import PluGeN

    Editor = PluGeN | LatentEditor

TASKS = ("generation", "manipulation", "gradual", "flip", "flip_real")


def _targets(attributes: Sequence[str]) -> list[str]:
    return [f"target_{a}" for a in attributes]


def generation_requests(
    binary: Sequence[str],
    attributes: Sequence[str],
    n_per_combo: int,
    max_combinations: int | None = None,
    seed: int = 0,
    continuous: Mapping[str, Sequence[float]] | None = None,
    combinations: Sequence[Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Every combination of the binary attributes, ``n_per_combo`` samples each; when there are
    more than ``max_combinations``, that many distinct combinations drawn at random (seeded);
    ``combinations`` (rows of 0/1 in ``binary`` order) instead: exactly those.
    ``continuous``: attribute -> values; each sample also requests one value per such
    attribute (the values cycled, in a seeded order per attribute and combination); the other
    continuous attributes are drawn freely (NaN targets)."""
    if combinations is None:
        combos = _combinations(len(binary), max_combinations, seed)
    else:
        combos = [tuple(float(v) for v in c) for c in combinations]
    rng = np.random.default_rng(seed)
    # each attribute's values cycled over all samples (every value appears even when a
    # combination has fewer samples than values), shuffled within each combination
    cycled = {
        a: np.resize(np.asarray(v, dtype=float), len(combos) * n_per_combo)
        for a, v in (continuous or {}).items()
    }
    rows = []
    for k, combo in enumerate(combos):
        group = "".join(str(int(v)) for v in combo)
        part = slice(k * n_per_combo, (k + 1) * n_per_combo)
        levels = {a: v[part][rng.permutation(n_per_combo)] for a, v in cycled.items()}
        for i in range(n_per_combo):
            row = {f"target_{a}": np.nan for a in attributes}
            row.update({f"target_{a}": v for a, v in zip(binary, combo)})
            row.update({f"target_{a}": float(v[i]) for a, v in levels.items()})
            rows.append({"sample_id": f"gen_{group}_{i}", "group": group, **row})
    return pd.DataFrame(rows).astype({t: np.float32 for t in _targets(attributes)})


def _combinations(k: int, limit: int | None, seed: int) -> list[tuple[float, ...]]:
    """All 2^k binary combinations in product order, or ``limit`` distinct ones at random."""
    if limit is None or 2**k <= limit:
        return list(itertools.product((0.0, 1.0), repeat=k))
    codes = np.random.default_rng(seed).choice(2**k, size=limit, replace=False)
    return [tuple(float((int(c) >> (k - 1 - i)) & 1) for i in range(k)) for c in sorted(codes)]


def manipulation_requests(
    sources: pd.DataFrame,
    binary: Sequence[str],
    attributes: Sequence[str],
    n_per_pair: int,
    seed: int,
) -> pd.DataFrame:
    """For every pair of binary attributes, ``n_per_pair`` source images set to the values
    they do not have (both attributes flipped). ``sources``: ``id`` + attribute columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in itertools.combinations(binary, 2):
        pool = np.flatnonzero((sources[a].notna() & sources[b].notna()).to_numpy())
        pick = pool[rng.choice(len(pool), size=min(n_per_pair, len(pool)), replace=False)]
        for i in pick:
            src = sources.iloc[i]
            row = {f"target_{x}": np.nan for x in attributes}
            row[f"target_{a}"] = 1.0 - src[a]
            row[f"target_{b}"] = 1.0 - src[b]
            rows.append(
                {
                    "sample_id": f"man_{a}_{b}_{src['id']}",
                    "source_id": src["id"],
                    "group": f"{a}+{b}",
                    **row,
                }
            )
    return pd.DataFrame(rows).astype({t: np.float32 for t in _targets(attributes)})


def flip_requests(
    sources: pd.DataFrame,
    binary: Sequence[str],
    attributes: Sequence[str],
    n_per_value: int,
    seed: int,
) -> pd.DataFrame:
    """For every binary attribute and value v, ``n_per_value`` sources known not to have v,
    set to v (one attribute changed at a time, as in the paper's Table 1)."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in binary:
        for v in (0.0, 1.0):
            known = sources[a].notna().to_numpy()
            pool = np.flatnonzero(known & (sources[a].to_numpy() != v))
            pick = rng.choice(pool, size=min(n_per_value, len(pool)), replace=False)
            for i in sorted(pick):
                src = sources.iloc[i]
                row = {f"target_{x}": np.nan for x in attributes}
                row[f"target_{a}"] = v
                rows.append(
                    {
                        "sample_id": f"flip_{a}{int(v)}_{src['id']}",
                        "source_id": src["id"],
                        "group": f"{a}={int(v)}",
                        **row,
                    }
                )
    return pd.DataFrame(rows).astype({t: np.float32 for t in _targets(attributes)})


def gradual_requests(
    sources: pd.DataFrame,
    attribute: str,
    attributes: Sequence[str],
    values: Sequence[float],
    n_sources: int,
) -> pd.DataFrame:
    """``n_sources`` images, each moved through ``values`` of one (continuous) attribute."""
    rows = []
    for _, src in sources.head(n_sources).iterrows():
        for step, v in enumerate(values):
            row = {f"target_{x}": np.nan for x in attributes}
            row[f"target_{attribute}"] = float(v)
            rows.append(
                {
                    "sample_id": f"grad_{src['id']}_{step}",
                    "source_id": src["id"],
                    "group": attribute,
                    "step": step,
                    **row,
                }
            )
    out = pd.DataFrame(rows).astype({t: np.float32 for t in _targets(attributes)})
    return out.astype({"step": np.int32})


def gradual_attribute(cfg: Mapping, kinds: Mapping[str, str]) -> str | None:
    """The attribute a gradual task moves: ``cfg["attribute"]``, else the first continuous one
    of ``kinds`` (None when there is none)."""
    if cfg.get("attribute"):
        return cfg["attribute"]
    return next((a for a, k in kinds.items() if k == "continuous"), None)


def build_requests(
    task: str,
    cfg: Mapping,
    sources: pd.DataFrame,
    kinds: Mapping[str, str],
    seed: int,
) -> pd.DataFrame:
    """The request table of one image task (``generation``, ``manipulation``, ``gradual``,
    or ``flip``/``flip_real``; an experiment's own task has its own builder) from its
    config section, over the test ``sources`` (``id`` + attribute columns, NaN = unknown).
    ``gradual`` without an ``attribute`` moves the first continuous one; without ``values`` it
    steps through the 10/30/50/70/90th percentiles of the sources' known values.
    ``generation`` with ``combinations: observed`` asks only for the binary combinations the
    fully labelled sources show (e.g. one-vs-rest category labels)."""
    attrs = list(kinds)
    binary = [a for a, k in kinds.items() if k == "binary"]
    if task == "generation":
        limit = cfg.get("max_combinations")
        values = cfg.get("continuous_values")
        continuous = {a: values for a, k in kinds.items() if k == "continuous"} if values else None
        n = cfg["n_per_combination"]
        observed = None
        if cfg.get("combinations", "all") == "observed":  # those of the fully labelled sources
            known = sources[binary].dropna().to_numpy(dtype=float)
            observed = sorted({tuple(row) for row in known})
        return generation_requests(binary, attrs, n, limit, seed, continuous, observed)
    if task == "manipulation":
        return manipulation_requests(sources, binary, attrs, cfg["n_per_pair"], seed)
    if task in ("flip", "flip_real"):
        return flip_requests(sources, binary, attrs, cfg["n_per_value"], seed)
    if task == "gradual":
        attribute = gradual_attribute(cfg, kinds)
        if attribute is None:
            raise ValueError("gradual: no attribute given and none is continuous")
        values = cfg.get("values")
        if values is None:
            known = sources[attribute].dropna().to_numpy()
            values = np.percentile(known, [10, 30, 50, 70, 90]).round(6).tolist()
        return gradual_requests(sources, attribute, attrs, values, cfg["n_sources"])
    raise ValueError(f"unknown image task {task!r}; known: {TASKS}")


def score_task(
    task: str,
    requests: pd.DataFrame,
    scores: pd.DataFrame,
    sources: pd.DataFrame,
    binary: Sequence[str],
    heldout: Sequence[Mapping[str, float]] = (),
) -> pd.DataFrame:
    """The metrics table of one task from its requests and the judge's ``scores``; ``binary``:
    the binary attributes the judge reads."""
    if task == "generation":
        return score_generation(requests, scores, binary)
    if task == "manipulation":
        return score_manipulation(requests, scores, sources, binary, heldout)
    if task in ("flip", "flip_real"):
        return score_flips(requests, scores, sources, binary)
    if task == "gradual":
        return score_gradual(requests, scores, requests["group"].iloc[0])
    raise ValueError(f"unknown image task {task!r}; known: {TASKS}")


def source_labels(sources: pd.DataFrame, attributes: Sequence[str]) -> dict[str, np.ndarray]:
    """Each source's labels ``(k,)`` (user units, NaN = unknown), by ``id``, for rivals that
    condition an edit on them (cFlow, CNF): the ``attributes`` columns of the sources table; a
    binary label left unknown takes the judge's probability ``prob_<attr>`` rounded, where the
    table has one. Raises ValueError naming a missing attribute column."""
    missing = [a for a in attributes if a not in sources.columns]
    if missing:
        raise ValueError(f"sources: missing label column(s) {missing}")
    labels = sources[list(attributes)].to_numpy(dtype=np.float32, copy=True)
    for j, a in enumerate(attributes):
        if f"prob_{a}" in sources.columns:
            rounded = np.round(sources[f"prob_{a}"].to_numpy(dtype=np.float32))
            labels[:, j] = np.where(np.isnan(labels[:, j]), rounded, labels[:, j])
    return dict(zip(sources["id"], labels))


def run_requests(
    model: Editor,
    requests: pd.DataFrame,
    source_z: Mapping[str, np.ndarray] | None,
    temperature: float = 1.0,
    seed: int = 0,
    source_labels: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Latents ``(n, d)`` answering each request row: generate when it has no ``source_id``,
    otherwise manipulate the source latent (rows with equal targets are batched).

    ``model``: PluGeN or a latent rival (:class:`plugen.baselines.LatentEditor`);
    ``source_labels``: each source's labels ``(k,)`` by id (:func:`source_labels`), passed to
    the rival's ``manipulate`` (cFlow and CNF need them; PluGeN reads them off the latent).
    """
    z = np.zeros((len(requests), model.latent_dim), dtype=np.float32)
    tcols = _targets(model.attributes)
    key = requests[tcols].fillna(-999.0).astype(str).agg("|".join, axis=1)
    has_source = "source_id" in requests and requests["source_id"].notna().any()
    for g, (_, idx) in enumerate(requests.groupby(key, sort=False).groups.items()):
        rows = requests.loc[idx]
        first = rows.iloc[0]
        values = {
            a: float(first[f"target_{a}"])
            for a in model.attributes
            if not np.isnan(first[f"target_{a}"])
        }
        pos = requests.index.get_indexer(idx)
        if has_source:
            src = np.stack([source_z[s] for s in rows["source_id"]])
            if source_labels is None:
                z[pos] = model.manipulate(src, values)
            else:
                labels = np.stack([source_labels[s] for s in rows["source_id"]])
                z[pos] = model.manipulate(src, values, source_labels=labels)
        else:
            z[pos] = model.generate(values, n=len(rows), temperature=temperature, seed=seed + g)
    return z


def _binary_report(targets: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    hard = (probs > 0.5).astype(float)
    return {
        "accuracy": accuracy(targets, hard),
        "f1": f1_score(targets, hard),
        "auc": roc_auc(targets, probs),
    }


def score_generation(
    requests: pd.DataFrame, scores: pd.DataFrame, binary: Sequence[str]
) -> pd.DataFrame:
    """Per-attribute accuracy/F1/AUC of requested vs measured binary attributes (Table 3); for
    continuous attributes requested in every row and read by the judge, also the Spearman
    correlation and mean absolute error of requested vs measured values (columns added only
    then)."""
    merged = requests.merge(scores, on="sample_id", validate="one_to_one")
    rows = []
    for a in binary:
        rows.append(
            {
                "attribute": a,
                **_binary_report(merged[f"target_{a}"].to_numpy(), merged[f"pred_{a}"].to_numpy()),
            }
        )
    for col in _targets([c[len("target_") :] for c in merged if c.startswith("target_")]):
        a = col[len("target_") :]
        target = merged[col].to_numpy(dtype=float)
        if a in binary or f"pred_{a}" not in merged or np.isnan(target).any():
            continue
        measured = merged[f"pred_{a}"].to_numpy(dtype=float)
        error = float(np.mean(np.abs(target - measured)))
        rows.append(
            {"attribute": a, "spearman": spearman(target, measured), "mean_abs_error": error}
        )
    table = pd.DataFrame(rows)
    mean = table.drop(columns="attribute").mean().to_dict()
    return pd.concat([table, pd.DataFrame([{"attribute": "mean", **mean}])], ignore_index=True)


def score_manipulation(
    requests: pd.DataFrame,
    scores: pd.DataFrame,
    sources: pd.DataFrame,
    binary: Sequence[str],
    heldout: Sequence[Mapping[str, float]],
) -> pd.DataFrame:
    """Accuracy of the requested pair and preservation of the other binary attributes, per
    pair, split into combinations seen in training and held-out ones (Table 2). Without
    declared ``heldout`` combinations, an edit whose resulting binary combination never occurs
    in the train/val rows of ``sources`` (their known labels) counts as ``unseen``."""
    merged = requests.merge(scores, on="sample_id", validate="one_to_one").merge(
        sources.rename(columns={"id": "source_id"}), on="source_id", how="left"
    )
    in_labels = _label_combinations(sources, binary) if not heldout else None
    rows = []
    for _, r in merged.iterrows():
        a, b = r["group"].split("+")
        if a not in binary or b not in binary:  # a pair the judge cannot read
            continue
        final = {x: r[f"target_{x}"] if x in (a, b) else r[x] for x in binary}
        is_heldout = any(all(final.get(k) == v for k, v in combo.items()) for combo in heldout)
        seen = "held-out" if is_heldout else "seen"
        if in_labels is not None and not _occurs(final, binary, in_labels):
            seen = "unseen"
        pred = {x: float(r[f"pred_{x}"] > 0.5) for x in binary}
        requested = pred[a] == final[a] and pred[b] == final[b]
        others = [pred[x] == final[x] for x in binary if x not in (a, b) and not np.isnan(final[x])]
        rows.append(
            {
                "pair": r["group"],
                "combination": seen,
                "pair_accuracy": float(requested),
                "preserved": float(np.mean(others)) if others else np.nan,
            }
        )
    per = pd.DataFrame(rows)
    table = per.groupby(["combination", "pair"], as_index=False).agg(
        n=("pair_accuracy", "size"),
        pair_accuracy=("pair_accuracy", "mean"),
        preserved=("preserved", "mean"),
    )
    overall = per.groupby("combination", as_index=False).agg(
        n=("pair_accuracy", "size"),
        pair_accuracy=("pair_accuracy", "mean"),
        preserved=("preserved", "mean"),
    )
    overall["pair"] = "all"
    return pd.concat([overall, table], ignore_index=True)[
        ["combination", "pair", "n", "pair_accuracy", "preserved"]
    ]


def _label_combinations(sources: pd.DataFrame, binary: Sequence[str]) -> np.ndarray:
    """The binary labels ``(m, len(binary))`` of the train/val rows of ``sources`` (0/1, NaN =
    unknown): what the plugin was trained on."""
    if "split" not in sources:
        return sources[list(binary)].to_numpy(np.float32)
    rows = sources["split"].isin(["train", "val"]).to_numpy()
    return sources.loc[rows, list(binary)].to_numpy(np.float32)


def _occurs(final: Mapping[str, float], binary: Sequence[str], labels: np.ndarray) -> bool:
    """Whether some row of ``labels`` has every known value of ``final`` (rows with an unknown
    label among those attributes do not count)."""
    want = np.array([final[x] for x in binary], dtype=np.float32)
    known = ~np.isnan(want)
    return bool((labels[:, known] == want[known]).all(axis=1).any())


def score_gradual(requests: pd.DataFrame, scores: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Spearman correlation of requested and measured values of one continuous attribute."""
    merged = requests.merge(scores, on="sample_id", validate="one_to_one")
    target = merged[f"target_{attribute}"].to_numpy()
    measured = merged[f"pred_{attribute}"].to_numpy()
    per_source = [
        spearman(g[f"target_{attribute}"], g[f"pred_{attribute}"])
        for _, g in merged.groupby("source_id")
    ]
    return pd.DataFrame(
        [
            {
                "attribute": attribute,
                "spearman": spearman(target, measured),
                "mean_spearman_per_image": float(np.nanmean(per_source)),
                "mean_abs_error": float(np.mean(np.abs(target - measured))),
                "n": len(merged),
            }
        ]
    )


def score_flips(
    requests: pd.DataFrame,
    scores: pd.DataFrame,
    sources: pd.DataFrame,
    binary: Sequence[str],
) -> pd.DataFrame:
    """Per attribute (and value): accuracy of the requested value and preservation of the other
    binary attributes (vs the source's labels), as measured by the classifier (Table 1)."""
    merged = requests.merge(scores, on="sample_id", validate="one_to_one").merge(
        sources.rename(columns={"id": "source_id"})[["source_id", *binary]],
        on="source_id",
        how="left",
        validate="many_to_one",
    )
    rows = []
    for _, r in merged.iterrows():
        a, v = r["group"].split("=")
        if a not in binary:  # an attribute the judge cannot read
            continue
        pred = {x: float(r[f"pred_{x}"] > 0.5) for x in binary}
        others = [pred[x] == r[x] for x in binary if x != a and not np.isnan(r[x])]
        rows.append(
            {
                "attribute": a,
                "value": int(v),
                "accuracy": float(pred[a] == float(v)),
                "preserved": float(np.mean(others)) if others else np.nan,
            }
        )
    per = pd.DataFrame(rows)
    stats = {"n": ("accuracy", "size"), "accuracy": ("accuracy", "mean")}
    stats["preserved"] = ("preserved", "mean")
    by_value = per.groupby(["attribute", "value"], as_index=False, sort=False).agg(**stats)
    by_value["value"] = by_value["value"].astype(str)
    by_attr = per.groupby("attribute", as_index=False, sort=False).agg(**stats)
    by_attr["value"] = "both"
    mean = {"attribute": "mean", "value": "both", "n": len(per)}
    mean.update(accuracy=float(by_attr["accuracy"].mean()))
    mean.update(preserved=float(by_attr["preserved"].mean()))
    table = pd.concat([pd.DataFrame([mean]), by_attr, by_value], ignore_index=True)
    return table[["attribute", "value", "n", "accuracy", "preserved"]]


def manipulation_latency(
    model: PluGeN,
    z: np.ndarray,
    values: Mapping[str, float],
    decode: Callable[[np.ndarray], np.ndarray] | None = None,
    batch_sizes: Sequence[int] = (1, 256),
    min_seconds: float = 0.5,
) -> pd.DataFrame:
    """Wall-clock milliseconds per image of ``model.manipulate`` (and of manipulate + decode)
    at each batch size: the median call of those made in ``min_seconds`` after one warm-up
    call (a median, so one scheduler stall on a shared machine does not skew it)."""

    def per_image(fn, batch: np.ndarray) -> float:
        fn(batch)  # warm-up
        times: list[float] = []
        start = time.perf_counter()
        while not times or time.perf_counter() - start < min_seconds:
            t0 = time.perf_counter()
            fn(batch)
            times.append(time.perf_counter() - t0)
        return 1e3 * float(np.median(times)) / len(batch)

    rows = []
    for b in batch_sizes:
        batch = np.resize(z, (b, z.shape[1])).astype(np.float32)
        row = {
            "batch_size": b,
            "flow_ms_per_image": per_image(lambda x: model.manipulate(x, values), batch),
        }
        if decode is not None:
            row["flow_decode_ms_per_image"] = per_image(
                lambda x: decode(model.manipulate(x, values)), batch
            )
        rows.append(row)
    return pd.DataFrame(rows)
