"""``plugen explain``: counterfactual explanations of a decision model through a plugin."""

from __future__ import annotations

import argparse
from pathlib import Path

from plugen.commands import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="find the fewest attribute changes that flip a decision model",
        description="For each latent, search the plugin's attribute coordinates (style kept) "
        "for the fewest, then smallest, changes that flip the decision model's logit: binary "
        "attributes move to their other value, continuous ones along their axis within "
        "--bounds. The model reads the decoded images (--decoder, pixels in --image-range) or, "
        "without a decoder, the latents; it must return one logit per input (> 0: accepted). "
        "Writes one row per input: source_id, flipped, n_changed, changed, f_before, f_after, "
        "delta_<attr> (user units), distance, z (the counterfactual latent) and, with a "
        "decoder, image_path (PNGs in --images, default: a folder named after --out). An "
        "input no allowed change flips is reported with flipped false, not as an error.",
        epilog="example: plugen explain --plugin plugin.pt --decoder dec.pt --model clf.pt "
        "--latents z.npy --out cf.parquet --attributes smile,age --bounds age=20:60",
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    p.add_argument("--model", required=True, metavar="F.pt", help="TorchScript decision model")
    p.add_argument("--latents", required=True, metavar="Z", help=".npy, .pt or .parquet")
    p.add_argument("--out", required=True, metavar="CF.parquet")
    common.add_decoder(p)
    p.add_argument(
        "--attributes", metavar="A,B", help="attributes allowed to change (default: all)"
    )
    p.add_argument(
        "--bounds",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="range of a continuous attribute in its units (repeatable; default: training "
        "mean +- 2 standard deviations)",
    )
    p.add_argument(
        "--max-exact",
        type=int,
        default=3,
        help="largest attribute set searched exhaustively (%(default)s)",
    )
    common.add_w_plus(p)
    common.add_device(p)
    p.set_defaults(func=explain)


def parse_bounds(items: list[str]) -> dict[str, tuple[float, float]]:
    """``["age=20:60"]`` -> ``{"age": (20.0, 60.0)}``; ValueError naming the bad item."""
    bounds = {}
    for item in items:
        name, _, rest = (part.strip() for part in item.partition("="))
        lo, sep, hi = rest.partition(":")
        try:
            if not name or not sep:
                raise ValueError
            bounds[name] = (float(lo), float(hi))
        except ValueError:
            raise ValueError(f"--bounds {item!r}: expected NAME=LOW:HIGH") from None
    return bounds


def explain(args: argparse.Namespace) -> int:
    common.check_suffix(args.out, (".parquet",), "--out")
    if args.images is not None and args.decoder is None:
        raise ValueError("--images needs --decoder")
    if args.max_exact < 1:
        raise ValueError(f"--max-exact must be >= 1, got {args.max_exact}")
    from plugen import io
    from plugen.backbones.torchscript import load_torchscript
    from plugen.explain.decision import Decision
    from plugen.explain.load import tensor_decoder
    from plugen.explain.measures import counterfactual_frame
    from plugen.explain.search import explain as search

    dev = common.device(args.device)
    plugin = common.load_plugin(args.plugin, dev)
    attributes = [a.strip() for a in args.attributes.split(",")] if args.attributes else None
    z, ids, layers = common.read_plugin_latents(args.latents, plugin, args.w_plus)
    decode = None
    if args.decoder is not None:
        decoder = {"kind": "torchscript", "path": args.decoder, "layers": layers}
        decode, _ = tensor_decoder({**decoder, "image_range": args.image_range}, dev)
    model = load_torchscript(args.model, "decision model", dev)
    decision = Decision(model, decode, args.image_range, device=dev, name=args.model)
    cf = search(
        plugin,
        decision,
        z,
        attributes=attributes,
        bounds=parse_bounds(args.bounds),
        max_exact=args.max_exact,
    )
    frame = counterfactual_frame(cf, ids, z)
    if decode is not None:
        folder = args.images or str(Path(args.out).with_suffix(""))
        frame["image_path"] = io.write_images(decision.images(cf.z), folder, frame["source_id"])
    io.write_table(args.out, frame, io.COUNTERFACTUALS, z=cf.z)
    print(
        f"explained {len(frame)} latents: {int(frame['flipped'].sum())} flipped, "
        f"mean attributes changed {frame.loc[frame['flipped'], 'n_changed'].mean():.2f}; "
        f"wrote {args.out}"
    )
    return 0
