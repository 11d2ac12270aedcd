"""shapenet_pc: real ShapeNet point clouds read by path (PointFlow's ``ShapeNetCore.v2.PC15k``
folders or a ``shapenet.hdf5`` file; :mod:`.data`), with one-vs-rest category labels and
geometric labels measured off each cloud; the point-cloud family's PointNet autoencoder, judge,
tasks and metrics (:class:`plugen.experiments.shapes3d.PointCloudExperiment`). Nothing is
downloaded: ``shapenet_pc.data.path`` names the user's copy. Rules:
``workflow/rules/shapenet_pc.smk`` (the data set) and ``workflow/rules/shapes3d.smk``."""

from __future__ import annotations

from pathlib import Path

from plugen.experiments.shapes3d import PointCloudExperiment
from plugen.experiments.spec import Config, register


class ShapeNetPC(PointCloudExperiment):
    def attributes(self, config: Config) -> dict[str, str]:
        from plugen.experiments.shapenet_pc.data import label_kinds

        return label_kinds(config[self.name]["data"]["categories"])

    def input_files(self, config: Config) -> list[str]:
        path = config[self.name]["data"]["path"]
        return [path] if path else []

    def check(self, config: Config) -> list[str]:
        data = config[self.name]["data"]
        if not data["path"]:
            return [
                "shapenet_pc.data.path: not set; name your copy of ShapeNetCore.v2.PC15k "
                "(format pc15k) or shapenet.hdf5 (format hdf5)"
            ]
        path = Path(data["path"])
        want_dir = data["format"] == "pc15k"
        if not (path.is_dir() if want_dir else path.is_file()):
            what = "a ShapeNetCore.v2.PC15k folder" if want_dir else "a shapenet.hdf5 file"
            return [f"shapenet_pc.data.path: {path} is not {what} (format {data['format']})"]
        try:
            self.attributes(config)
        except ValueError as exc:
            return [f"shapenet_pc.data.categories: {exc}"]
        return super().check(config)


SPEC = register(
    ShapeNetPC(
        "shapenet_pc",
        payload="cloud",
        rival_note="Flow Plugin Network (Wielopolski et al. 2022), a conditional flow on a "
        "frozen point-cloud autoencoder's latent, is the cFlow rival here. Edits into a "
        "combination of category labels the data never shows (two categories at once) are "
        "reported as unseen.",
    )
)
