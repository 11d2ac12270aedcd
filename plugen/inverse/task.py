"""The workflow's ``inpaint`` task: which masked observations are made, how each method fills
them, and the metrics table (used by workflow/scripts/inpaint*.py; pandas and scipy)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from plugen.backbones.image_vae import tensor_to_images, unit_images
from plugen.evaluate.restoration import fill_diversity, image_diversity, psnr, ssim
from plugen.inverse.classical import harmonic_fill
from plugen.inverse.masks import make_masks
from plugen.inverse.operators import Mask
from plugen.inverse.search import SearchSettings, solve

SEARCHES = ("plugen", "l2", "none")
METHODS = (*SEARCHES, "encoder", "harmonic")
FULL = "full"  # the identity mask: plain reconstruction of the whole image
KEY = ["source_id", "mask", "request"]  # what identifies an observation of the plan


def plan(
    sources: pd.DataFrame,
    attributes: Sequence[str],
    section: Mapping[str, Any],
    size: int,
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The observations: (rows, keep masks ``(m, 1, size, size)``), one row per (source image,
    mask) and per (source, request), then the full-image reconstructions (mask ``full``).

    Row columns: ``source_index`` (position in ``sources``), ``source_id``, ``mask``,
    ``request`` (the requested attribute, "" for none), ``target_<attr>`` (float32, NaN = free;
    ``flip``: 1 - the source's true value)."""
    n = len(sources)
    masks = {
        name: make_masks(spec, n, size, seed + i)
        for i, (name, spec) in enumerate(section["masks"].items())
    }
    masks[FULL] = np.ones((n, 1, size, size), np.float32)
    parts, keeps = [], []

    def add(mask: str, request: str = "", values: np.ndarray | None = None) -> None:
        part = pd.DataFrame(
            {
                "source_index": np.arange(n),
                "source_id": sources["id"].astype(str).to_numpy(),
                "mask": mask,
                "request": request,
            }
        )
        for a in attributes:
            part[f"target_{a}"] = np.float32(np.nan)
        if request:
            part[f"target_{request}"] = values.astype(np.float32)
        parts.append(part)
        keeps.append(masks[mask])

    for name in section["masks"]:
        add(name)
    for req in section["requests"]:
        a, value = req["attribute"], req.get("value", "flip")
        truth = sources[a].to_numpy(dtype=float)  # NaN (unknown): nothing to flip
        flipped = np.where(np.isnan(truth), np.nan, 1.0 - (truth > 0.5))
        add(req["mask"], a, flipped if value == "flip" else np.full(n, float(value)))
    add(FULL)
    return pd.concat(parts, ignore_index=True), np.concatenate(keeps)


def fill(
    method: str,
    rows: pd.DataFrame,
    keep: np.ndarray,
    truth: torch.Tensor,
    *,
    decoder: Callable | None = None,
    plugin=None,
    latent_dim: int | None = None,
    encoder: Callable | None = None,
    k: int = 1,
    settings: SearchSettings | None = None,
    logger=None,
) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Fill the observations of :func:`plan` with ``method``: (table rows with ``k`` (int32)
    added, latents ``(r, d)`` or None, composites ``(r, 3, H, W)`` float, decodes or None).

    Searches give ``k`` fillings per observation (one for the full image), the encoder and the
    classical fill one; only ``plugen`` answers requests (the other methods skip those rows).
    ``truth``: the source images ``(n, 3, H, W)`` on [0, 1]."""
    if method not in METHODS:
        raise ValueError(f"inpaint method must be one of {METHODS}, got {method!r}")
    if method != "plugen":
        keep = keep[(rows["request"] == "").to_numpy()]
        rows = rows[rows["request"] == ""].reset_index(drop=True)
    x = truth[torch.as_tensor(rows["source_index"].to_numpy(dtype=np.int64, copy=True))]
    keep_t = torch.from_numpy(keep).to(truth.device)
    y = x * keep_t
    if method in SEARCHES:
        labels = None
        if method == "plugen":
            cols = [f"target_{a}" for a in plugin.attributes]
            labels = torch.from_numpy(rows[cols].to_numpy(np.float32))
        parts = []
        full = (rows["mask"] == FULL).to_numpy()
        for sel, kk in ((~full, k), (full, 1)):
            idx = torch.as_tensor(np.nonzero(sel)[0])
            if len(idx) == 0:
                continue
            res = solve(
                decoder,
                y[idx],
                Mask(keep_t[idx]),
                k=kk,
                prior=method,
                plugin=plugin if method == "plugen" else None,
                labels=None if labels is None else labels[idx],
                latent_dim=latent_dim,
                settings=settings,
                logger=logger,
            )
            parts.append((idx, kk, res))
        return _stack(rows, parts)
    if method == "encoder":
        if encoder is None:
            raise ValueError("inpaint method 'encoder' needs the backbone's encoder")
        with torch.no_grad():
            z = encoder(y)
            decoded = decoder(z)
        composite = keep_t * y + (1 - keep_t) * decoded
        out = rows.assign(k=np.int32(0))
        return out, z.cpu().numpy(), composite.cpu().numpy(), decoded.cpu().numpy()
    filled = harmonic_fill(y.cpu().numpy(), keep)
    return rows.assign(k=np.int32(0)), None, filled, None


def _stack(rows: pd.DataFrame, parts: list) -> tuple:
    frames, zs, filled, decoded = [], [], [], []
    for idx, kk, res in parts:
        sub = rows.iloc[idx.numpy()].reset_index(drop=True)
        for j in range(kk):
            frames.append(sub.assign(k=np.int32(j)))
            zs.append(res.z[:, j].numpy())
            filled.append(res.filled[:, j].numpy())
            decoded.append(res.images[:, j].numpy())
    table = pd.concat(frames, ignore_index=True)
    return table, np.concatenate(zs), np.concatenate(filled), np.concatenate(decoded)


def sample_ids(table: pd.DataFrame) -> list[str]:
    """``<source>_<mask>[_<request>]_<k>`` per row (file names of the images)."""
    return [
        "_".join(p for p in (s, m, r, str(k)) if p)
        for s, m, r, k in zip(table["source_id"], table["mask"], table["request"], table["k"])
    ]


def evaluate(
    rows: pd.DataFrame,
    keep: np.ndarray,
    truth: np.ndarray,
    fills: Mapping[str, tuple[pd.DataFrame, np.ndarray, np.ndarray | None]],
    judge: Callable[[np.ndarray], pd.DataFrame],
    binary: Sequence[str],
    sources: pd.DataFrame,
    fids: Mapping[str, Callable[[np.ndarray], float]] | None = None,
    counterfactuals: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The task's metrics table: :func:`metrics` of every method, one after another.

    rows/keep: the :func:`plan`; truth: the sources ``(n, 3, H, W)`` on [0, 1]; fills: method ->
    (its table, uint8 fillings ``(r, H, W, 3)``, decodes ``(r, 3, H, W)`` or None);
    counterfactuals: attribute -> the sources re-rendered with it flipped (``(n, 3, H, W)``),
    which tell the attributes each observation shows. Observed regions are compared with the
    plain reconstruction of the full image: the encoder's where there is one, else PluGeN's
    search on the unmasked image."""
    position = rows.set_index(KEY).index
    ref = next((m for m in ("encoder", "plugen") if m in fills), None)
    reference = None
    if ref is not None:
        reference = reference_psnr(rows, keep, fills[ref][0], fills[ref][2], truth)
    parts = []
    for method, (table, filled, decoded) in fills.items():
        kept = keep[position.get_indexer(table.set_index(KEY).index)]
        src = table["source_index"].to_numpy()
        shown = {
            a: attribute_shown(truth, cf, kept, src) for a, cf in (counterfactuals or {}).items()
        }
        parts.append(
            metrics(
                method,
                table,
                unit_images(filled),
                decoded,
                truth,
                kept,
                judge(filled),
                binary,
                sources,
                reference=reference,
                fids=fids,
                shown=shown or None,
            )
        )
    return pd.concat(parts, ignore_index=True)


def metrics(
    method: str,
    table: pd.DataFrame,
    filled: np.ndarray,
    decoded: np.ndarray | None,
    truth: np.ndarray,
    keep: np.ndarray,
    preds: pd.DataFrame,
    binary: Sequence[str],
    sources: pd.DataFrame,
    reference: Mapping[str, np.ndarray] | None = None,
    fids: Mapping[str, Callable[[np.ndarray], float]] | None = None,
    shown: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per (mask, request) of one method's fillings.

    filled/decoded: ``(r, 3, H, W)`` aligned with ``table``; truth ``(n, 3, H, W)`` (sources);
    keep: ``(r, 1, H, W)``; preds: the judge's ``pred_<attr>`` per row; reference: mask ->
    per-source observed-region PSNR of the plain reconstruction; fids: column -> the FID of
    uint8 images ``(m, H, W, 3)`` against real ones (one feature backend each); shown:
    attribute -> ``(r,)`` whether the observation shows it (:func:`attribute_shown`).
    Columns: ``psnr_hidden``/``ssim_hidden`` (composite), ``psnr_observed``/``ssim_observed``
    (the decode itself) beside ``psnr_observed_reference``; ``diversity``
    (mean pairwise RMS of the k fillings on the hidden region) and ``diversity_ratio`` (over
    the RMS between different images there); ``acc_<attr>`` (judge vs the source's truth);
    for a request ``requested_acc`` (vs its target) and, with ``shown``,
    ``requested_acc_hidden`` on the observations that hide the attribute (``n_hidden`` of
    them); ``kept_min`` (lowest acc of the other attributes) and, with ``shown``,
    ``kept_shown``: accuracy over the (filling, attribute) pairs the observation shows."""
    out = []
    src = table["source_index"].to_numpy()
    for (mask, request), group in table.groupby(["mask", "request"], sort=False):
        if mask == FULL:
            continue
        i = group.index.to_numpy()
        row: dict[str, Any] = {"method": method, "mask": mask, "request": request or "none"}
        row["n"] = len(i)
        row.update(
            _region_scores(
                filled[i], None if decoded is None else decoded[i], truth[src[i]], keep[i]
            )
        )
        ref = (reference or {}).get(mask)
        row["psnr_observed_reference"] = float(np.nanmean(ref)) if ref is not None else np.nan
        row.update(_diversity(group, filled, truth, keep))
        row.update(_judged(group, preds, binary, sources, request, shown))
        u8 = tensor_to_images(torch.from_numpy(filled[i]))
        row.update({column: score(u8) for column, score in (fids or {}).items()})
        out.append(row)
    return pd.DataFrame(out)


def _region_scores(filled, decoded, truth, keep) -> dict[str, float]:
    hidden = 1.0 - keep
    seen = {"psnr_observed": np.nan, "ssim_observed": np.nan}
    if decoded is not None:  # the decode itself (the composite copies the observation there)
        seen["psnr_observed"] = float(np.nanmean(psnr(decoded, truth, keep)))
        seen["ssim_observed"] = float(np.nanmean(ssim(decoded, truth, keep)))
    return {
        "psnr_hidden": float(np.nanmean(psnr(filled, truth, hidden))),
        "ssim_hidden": float(np.nanmean(ssim(filled, truth, hidden))),
        **seen,
    }


def _diversity(group: pd.DataFrame, filled, truth, keep) -> dict[str, float]:
    ks = sorted(group["k"].unique())
    order = [group.index[(group["k"] == j).to_numpy()].to_numpy() for j in ks]
    region = 1.0 - keep[order[0]]
    between = image_diversity(truth[group.loc[order[0], "source_index"].to_numpy()], region)
    if len(ks) < 2:
        return {"diversity": np.nan, "diversity_ratio": np.nan}
    div = fill_diversity(np.stack([filled[o] for o in order], 1), region)
    return {"diversity": float(div.mean()), "diversity_ratio": float(div.mean() / between.mean())}


def _judged(group, preds, binary, sources, request, shown) -> dict[str, float]:
    """Judge accuracies of one (mask, request) group; unknown truths and targets are left out."""
    i = group.index.to_numpy()
    truth = sources.iloc[group["source_index"].to_numpy()]
    right, known = {}, {}
    for a in binary:
        y = truth[a].to_numpy(dtype=float)
        right[a] = (preds.loc[i, f"pred_{a}"].to_numpy() > 0.5) == (y > 0.5)
        known[a] = ~np.isnan(y)
    row = {f"acc_{a}": _mean(right[a][known[a]]) for a in binary}
    row["requested_acc"] = row["requested_acc_hidden"] = row["n_hidden"] = np.nan
    if request:
        target = group[f"target_{request}"].to_numpy(dtype=float)
        asked = ~np.isnan(target)
        ok = (preds.loc[i, f"pred_{request}"].to_numpy() > 0.5) == (target > 0.5)
        row["requested_acc"] = _mean(ok[asked])
        row[f"acc_{request}"] = np.nan  # judged against the request, not the truth
        if shown is not None:
            hid = asked & ~shown[request][i]
            row["n_hidden"] = int(hid.sum())
            row["requested_acc_hidden"] = _mean(ok[hid])
        right.pop(request, None)
    kept = [row[f"acc_{a}"] for a in right]
    row["kept_min"] = float(np.nanmin(kept)) if kept and not np.isnan(kept).all() else np.nan
    row["kept_shown"] = np.nan
    if shown is not None and right:
        pairs = [r[known[a] & shown[a][i]] for a, r in right.items()]
        row["kept_shown"] = _mean(np.concatenate(pairs))
    return row


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else np.nan


def attribute_shown(
    truth: np.ndarray,
    counterfactual: np.ndarray,
    keep: np.ndarray,
    source_index: np.ndarray,
    threshold: float = 0.15,
) -> np.ndarray:
    """``(r,)``: whether each observation shows an attribute: its observed pixels differ by
    more than ``threshold`` somewhere between the source image ``truth`` ``(n, C, H, W)`` and
    its ``counterfactual`` (the same image with the attribute flipped, every nuisance equal);
    keep ``(r, 1, H, W)`` and ``source_index`` ``(r,)`` per observation."""
    diff = np.abs(truth - counterfactual).max(1, keepdims=True)  # (n, 1, H, W)
    return ((diff[source_index] > threshold) & (keep > 0.5)).any((1, 2, 3))


def reference_psnr(
    rows: pd.DataFrame,
    keep: np.ndarray,
    table: pd.DataFrame,
    decoded: np.ndarray,
    truth: np.ndarray,
) -> dict[str, np.ndarray]:
    """Mask -> per-source PSNR ``(n,)`` on that mask's observed region of the full-image
    reconstructions in ``table``/``decoded`` (its mask ``full``, first filling): the plain
    reconstruction the searches' observed regions are compared with. ``rows``/``keep``: the
    :func:`plan` of the task."""
    full = table[((table["mask"] == FULL) & (table["k"] == 0)).to_numpy()]
    recon = decoded[full.index.to_numpy()][np.argsort(full["source_index"].to_numpy())]
    out = {}
    for mask in rows.loc[rows["mask"] != FULL, "mask"].unique():
        sel = ((rows["mask"] == mask) & (rows["request"] == "")).to_numpy()
        if not sel.any():
            sel = (rows["mask"] == mask).to_numpy()
        part = rows[sel]
        region = keep[sel][np.argsort(part["source_index"].to_numpy())]
        out[mask] = psnr(recon, truth, region)
    return out
