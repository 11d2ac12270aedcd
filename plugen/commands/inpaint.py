"""``plugen inpaint``: fill the hidden part of images with a user's decoder and plugin."""

from __future__ import annotations

import argparse
from pathlib import Path

from plugen.commands import common

MASK_KINDS = ("box", "half", "strokes")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inpaint",
        help="fill hidden regions of images by latent search under the plugin's prior",
        description="Search latents whose decodes match the observed part of each image, "
        "under the plugin's density (plugen.inverse), with the --set attributes fixed; write "
        "k fillings per image (the observed pixels kept) and their latents.",
        epilog="example: plugen inpaint --plugin plugin.pt --decoder dec.pt --images faces/ "
        "--mask half --set smile=1 --k 8 --out fills/",
    )
    p.add_argument("--plugin", required=True, metavar="PLUGIN.pt")
    p.add_argument("--decoder", required=True, metavar="DEC.pt", help="TorchScript decoder")
    p.add_argument("--images", required=True, metavar="X", help="a PNG image or a folder of PNGs")
    p.add_argument(
        "--mask",
        required=True,
        metavar="M",
        help=f"{' | '.join(MASK_KINDS)} (box: the centre half; half: the lower half; strokes: "
        "random strokes), or a mask file: .npy (1 = observed) or an image (white = hidden)",
    )
    common.add_sets(p, required=False)
    p.add_argument("--k", type=int, default=8, help="fillings per image (%(default)s)")
    p.add_argument(
        "--prior",
        default="plugen",
        choices=("plugen", "l2", "none"),
        help="the search's prior: the plugin's, N(0, I) on z, or none (%(default)s)",
    )
    p.add_argument("--steps", type=int, default=150, help="Adam steps (%(default)s)")
    p.add_argument("--noise", type=float, default=0.05, help="observation noise std (%(default)s)")
    p.add_argument(
        "--langevin", type=int, default=0, help="Langevin steps after Adam (%(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="search seed (%(default)s)")
    common.add_image_range(p)
    p.add_argument("--w-plus-layers", type=int, metavar="L", help="decode W+ (n, L, d)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the fillings")
    common.add_device(p)
    p.set_defaults(func=inpaint)


def _image_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(f for f in path.iterdir() if f.suffix.lower() == ".png")
        if files:
            return files
        raise ValueError(f"--images {path}: the folder holds no .png images")
    raise FileNotFoundError(f"--images {path}: no such file or folder")


def _read_images(files: list[Path]):
    import numpy as np
    from PIL import Image

    images = []
    for f in files:
        with Image.open(f) as img:
            images.append(np.asarray(img.convert("RGB")))
    sizes = {im.shape for im in images}
    if len(sizes) > 1:
        raise ValueError(f"--images: the images differ in size: {sorted(sizes)}")
    return np.stack(images)


def inpaint(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from plugen.backbones.image_vae import tensor_to_images, unit_images
    from plugen.backbones.torchscript import ScriptedDecoder
    from plugen.inverse import Mask, SearchSettings, solve
    from plugen.inverse.masks import make_masks, read_mask
    from plugen.io import write_images
    from plugen.plots import image_grid, masked_view

    if args.k < 1:
        raise ValueError(f"--k must be >= 1, got {args.k}")
    dev = common.device(args.device)
    plugin = common.load_plugin(args.plugin, dev)
    values = common.parse_sets(args.sets, plugin)
    if values and args.prior != "plugen":
        raise ValueError(f"--set needs --prior plugen, got --prior {args.prior}")
    files = _image_files(Path(args.images))
    truth_u8 = _read_images(files)
    n, h, w = truth_u8.shape[:3]
    if args.mask in MASK_KINDS:
        if h != w:
            raise ValueError(f"--mask {args.mask}: needs square images, got {h}x{w}")
        keep = make_masks({"kind": args.mask}, n, h, args.seed)
    else:
        keep = read_mask(args.mask, n, (h, w))
    decoder = ScriptedDecoder(
        args.decoder, dev, layers=args.w_plus_layers, image_range=args.image_range
    )
    decoder.check(plugin.latent_dim)
    x = torch.from_numpy(unit_images(truth_u8)).to(dev)
    keep_t = torch.from_numpy(keep).to(dev)
    labels = None
    if values:
        labels = torch.full((n, len(plugin.attributes)), float("nan"))
        for name, v in values.items():
            labels[:, plugin.attributes.index(name)] = v
    settings = SearchSettings(
        steps=args.steps, noise=args.noise, langevin=args.langevin, seed=args.seed
    )
    result = solve(
        decoder.differentiable,
        x * keep_t,
        Mask(keep_t),
        k=args.k,
        prior=args.prior,
        plugin=plugin,
        labels=labels,
        latent_dim=plugin.latent_dim,
        settings=settings,
    )
    out = Path(args.out)
    names = [f"{f.stem}_{j}" for f in files for j in range(args.k)]
    fills = tensor_to_images(result.filled.flatten(0, 1))
    write_images(fills, out, names)
    np.save(out / "latents.npy", result.z.numpy())
    observed = masked_view(truth_u8, keep)
    rows = [
        np.concatenate([observed[i : i + 1], fills[i * args.k : (i + 1) * args.k]])
        for i in range(n)
    ]
    sheet = image_grid(rows[:16], [f.stem for f in files[:16]], out / "sheet.png")
    print(
        f"wrote {n} x {args.k} fillings to {out}/ with latents.npy ({n}, {args.k}, "
        f"{plugin.latent_dim}); at a glance: {sheet}"
    )
    return 0
