"""Train the hidden-rule decision model on labelled images (all but the test split of its
table); score it on the real test images."""

from pathlib import Path

import numpy as np
import pandas as pd

from plugen import io
from plugen.explain.cnn import fit_decision_model
from plugen.explain.rule import Rule
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
log, device = setup_job(sm)
rule = Rule(sm.params.rule, sm.params.kinds)
df, _ = io.read_table(sm.input.table, io.DATASET)
df = df[df["split"] != "test"].reset_index(drop=True)
images = io.read_images(df["image_path"], Path(sm.input.table).parent)
cfg = TrainConfig.from_section(sm.params.cfg["train"], sm.params.seed, progress=False)
model, hist = fit_decision_model(
    images, rule(df), cfg, sm.params.cfg["widths"], device, History("decision", log)
)
model.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
test, _ = io.read_table(sm.input.test, io.DATASET)
test = test[test["split"] == "test"].reset_index(drop=True)
truth = rule(test)
accept = model.predict(io.read_images(test["image_path"], Path(sm.input.test).parent)) > 0
table = pd.DataFrame(
    {
        "rule": [sm.params.rule],
        "data": ["real test images"],
        "n": [float(len(test))],
        "accept_rate": [float(truth.mean())],
        "accuracy": [float(np.mean(accept == truth))],
    }
)
io.write_table(sm.output.metrics, table, io.METRICS)
log.info("decision model for %r:\n%s", sm.params.rule, table.to_string())
