"""``plugen generate`` and ``plugen manipulate``: new latents with the requested attributes."""

from __future__ import annotations

import argparse

from plugen.commands import common


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="sample latents with the requested attribute values",
        description="Sample latents whose attributes take the --set values; attributes not "
        "set are drawn from the training distribution. Output by suffix: .npy (n, d) or "
        ".parquet (id, z). With --decoder and --images the latents are also decoded to PNGs.",
        epilog="example: plugen generate --plugin plugin.pt --set smile=1 --set age=40 "
        "--n 64 --out z.npy --decoder dec.pt --images faces/",
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    common.add_sets(p, required=False)
    p.add_argument("--n", type=int, default=64, help="number of latents (%(default)s)")
    p.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="scales the label and style spread (%(default)s; 0: the mode)",
    )
    p.add_argument("--seed", type=int, default=0, help="sampling seed (%(default)s)")
    p.add_argument(
        "--w-plus-layers",
        type=int,
        metavar="L",
        help="write W+ latents (n, L, d), the same latent at every layer (and decode them so)",
    )
    p.add_argument("--out", required=True, metavar="Z", help=".npy or .parquet")
    common.add_decoder(p)
    common.add_device(p)
    p.set_defaults(func=generate)

    p = sub.add_parser(
        "manipulate",
        help="change attributes of existing latents, keep everything else",
        description="Set the --set attributes of each latent and keep its other attributes "
        "and style. W+ input (n, L, d) is reduced with --w-plus and the result written as "
        "(n, L, d), the edited latent at every layer. Output format by suffix (.npy or "
        ".parquet with the input ids).",
        epilog="example: plugen manipulate --plugin plugin.pt --latents z.npy --set smile=0 "
        "--out z2.npy",
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    p.add_argument("--latents", required=True, metavar="Z", help=".npy, .pt or .parquet")
    common.add_sets(p, required=True)
    p.add_argument("--out", required=True, metavar="Z2", help=".npy or .parquet")
    common.add_w_plus(p)
    common.add_decoder(p)
    common.add_device(p)
    p.set_defaults(func=manipulate)


def generate(args: argparse.Namespace) -> int:
    common.check_suffix(args.out, common.LATENT_OUT_SUFFIXES, "--out")
    if not args.temperature >= 0:
        raise ValueError(f"--temperature must be >= 0 (0: the mode), got {args.temperature}")
    if args.w_plus_layers is not None and args.w_plus_layers < 1:
        raise ValueError(f"--w-plus-layers must be >= 1, got {args.w_plus_layers}")
    dev = common.device(args.device)
    model = common.load_plugin(args.plugin, dev)
    values = common.parse_sets(args.sets, model)
    common.warn(args, model.request_warnings(values, free_drawn=True))
    decoder = common.make_decoder(args, dev, model.latent_dim, args.w_plus_layers)
    z = model.generate(values, n=args.n, temperature=args.temperature, seed=args.seed)
    ids = [str(i) for i in range(len(z))]
    common.write_outputs(args, z, ids, args.w_plus_layers, decoder)
    return 0


def manipulate(args: argparse.Namespace) -> int:
    common.check_suffix(args.out, common.LATENT_OUT_SUFFIXES, "--out")
    dev = common.device(args.device)
    model = common.load_plugin(args.plugin, dev)
    values = common.parse_sets(args.sets, model)
    common.warn(args, model.request_warnings(values, free_drawn=False))
    z, ids, layers = common.read_plugin_latents(args.latents, model, args.w_plus)
    decoder = common.make_decoder(args, dev, model.latent_dim, layers)
    common.write_outputs(args, model.manipulate(z, values), ids, layers, decoder)
    return 0
