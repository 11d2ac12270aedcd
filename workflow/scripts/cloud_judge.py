"""Train the PointNet judge on the train rows of its set (shapes3d: its own crossed clouds;
else the data set); compare it, and the analytic reading where the experiment has one, with the
true labels of the data set's test clouds."""

import importlib
import sys
from pathlib import Path

from plugen import io
from plugen.backbones.pointnet import fit_point_classifier
from plugen.evaluate.pointcloud import judge_table
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
train, _ = io.read_table(sm.input.clf_table, io.DATASET)
train = train[train["split"] == "train"].reset_index(drop=True)
clouds = io.read_clouds(train["cloud_path"], Path(sm.input.clf_table).parent)
cfg = TrainConfig.from_section(sm.params.cfg["train"], sm.params.seed)
# interned names: the checkpoint's pickle is the same bytes however the kinds arrived
kinds = {sys.intern(str(a)): sys.intern(str(k)) for a, k in sm.params.kinds.items()}
clf, hist = fit_point_classifier(
    clouds,
    train,
    kinds,
    cfg,
    device,
    clf_kwargs={"widths": sm.params.cfg["widths"]},
    history=History("judge", log),
    train_points=sm.params.cfg["train_points"],
)
clf.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
df, _ = io.read_table(sm.input.table, io.DATASET)
test = df[df["split"] == "test"].reset_index(drop=True)
test_clouds = io.read_clouds(test["cloud_path"], Path(sm.input.table).parent)
analytic = None
if sm.params.analytic:  # a module reading the attributes off a cloud: measure(clouds)
    analytic = importlib.import_module(sm.params.analytic).measure(test_clouds)
table = judge_table(clf.predict(test_clouds), test, kinds, analytic)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("judge on real test clouds:\n%s", table.to_string())
