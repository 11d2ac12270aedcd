"""csv -> canonical, RDKit-labelled molecules with splits, and the labeling report.

Invalid rows are counted in the report and the log; so are, with the JT-VAE backbone, the
molecules it cannot encode (left out of the data set). A csv without any valid molecule stops
the job with one line naming the file.
"""

from plugen import io
from plugen.experiments.molecules.data import prepare_molecules
from plugen.runtime import setup

sm = snakemake  # noqa: F821
log, _ = setup(sm.log[0], 1, uses_torch=False)
c = sm.params.cfg
check = None
if sm.params.backbone == "jtvae":
    from plugen.backbones.jtvae.weights import load_vocab
    from plugen.experiments.molecules.jtvae import not_encodable

    vocab = load_vocab(sm.input.wheel[0])

    def check(smiles, processes):
        return not_encodable(smiles, vocab, processes)


df, report = prepare_molecules(
    sm.input.csv,
    limit=c["n_molecules"],
    max_length=c["max_length"],
    val_fraction=c["val_fraction"],
    test_fraction=c["test_fraction"],
    seed=sm.params.seed,
    processes=sm.threads,
    column=c["column"],
    progress=True,
    not_encodable=check,
)
log.info("labeling report: %s", report)
if report.n_invalid:
    log.warning(
        "%s: %d of %d rows are not valid SMILES (empty or unparsable), e.g. %s",
        sm.input.csv,
        report.n_invalid,
        report.n_input,
        report.invalid_examples[:3],
    )
io.write_table(sm.output.table, df, io.DATASET)
io.write_table(sm.output.report, report.to_frame(), io.METRICS)
