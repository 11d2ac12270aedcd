"""Train an image experiment's judge (the external attribute classifier) on the train rows of its
training table (the shapes classifier's own crossed rendering, all train; CelebA's train split);
score it on the data set's held-out test split."""

import sys
from pathlib import Path

from plugen import io
from plugen.evaluate.classifier import evaluate_classifier, fit_classifier
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.clf_table, io.DATASET)
df = df[df["split"] == "train"]
images = io.read_images(df["image_path"], Path(sm.input.clf_table).parent)
cfg = TrainConfig.from_section(sm.params.cfg["train"], sm.params.seed)
# interned names: equal strings are one object, so the checkpoint's pickle is the same bytes
# whether the kinds came from a module's constants or through Snakemake's params
kinds = {sys.intern(str(a)): sys.intern(str(k)) for a, k in sm.params.kinds.items()}
arch = {k: sm.params.cfg[k] for k in ("widths", "feature_dim", "blocks") if k in sm.params.cfg}
clf, hist = fit_classifier(
    images,
    df,
    kinds,
    cfg,
    device,
    clf_kwargs=arch,
    history=History("classifier", log),
)
clf.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
test, _ = io.read_table(sm.input.table, io.DATASET)
test = test[test["split"] == "test"].reset_index(drop=True)
test_images = io.read_images(test["image_path"], Path(sm.input.table).parent)
table = evaluate_classifier(clf, test_images, test, data="real test images")
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("classifier on real test images:\n%s", table.to_string())
