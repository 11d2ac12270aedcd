"""Train the CharVAE backbone on the train split (val split for early stopping).

The training state is kept beside the model (``<model>.resume``, not a declared output, so a
killed job resumes from its last epoch) and deleted once the outputs are written.
"""

from pathlib import Path

from plugen import io
from plugen.experiments.molecules.charvae import fit_charvae
from plugen.runtime import setup_job
from plugen.train import History, TrainConfig

sm = snakemake  # noqa: F821
resume = Path(f"{sm.output.model}.resume")
log, device = setup_job(sm)
df, _ = io.read_table(sm.input.table, io.DATASET)
c = dict(sm.params.cfg)
cfg = TrainConfig.from_section(
    c["train"], sm.params.seed, lr_schedule="none", checkpoint=str(resume)
)
arch = ["representation", "embed_dim", "hidden_dim", "latent_dim", "n_layers", "beta"]
model, hist = fit_charvae(
    df.loc[df["split"] == "train", "smiles"].tolist(),
    cfg,
    {k: c[k] for k in [*arch, "word_dropout"]},
    device,
    val_smiles=df.loc[df["split"] == "val", "smiles"].tolist(),
    kl_anneal_epochs=c["kl_anneal_epochs"],
    history=History("charvae", log),
)
model.save(sm.output.model)
io.write_table(sm.output.history, hist.to_frame(), io.HISTORY)
resume.unlink(missing_ok=True)
