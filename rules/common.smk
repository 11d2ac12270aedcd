# Helpers shared by the rules: validated config, path builders, library inputs.
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)
from plugen.config import validate_config  # noqa: E402

config.update(validate_config(config, Path(workflow.basedir) / "config/schema/config.schema.json"))

RESULTS = "results"
LIB = str(Path(workflow.basedir) / "plugen")


def out(exp, *parts):
    """results/<experiment>/<parts...>"""
    return str(Path(RESULTS, exp, *parts))


def logp(exp, name):
    return str(Path("logs", exp, f"{name}.log"))


def bench(exp, name):
    return str(Path("benchmarks", "runs", exp, f"{name}.tsv"))


def lib(*modules):
    """Library modules a rule depends on: editing them reruns the rule."""
    return [str(Path(LIB, m)) for m in modules]


# Each experiment's rules file registers what the summary reads and the figure folder it draws:
#   SUMMARY_TABLES[exp] = [metrics parquet paths]   (results/<exp>/metrics/<table>.parquet)
#   FIGURES[exp] = [figure directories] (outputs of its rules, wrapped in report())
SUMMARY_TABLES = {}
FIGURES = {}


def sections():
    """Summary sections in order: the shared shapes data first when a shapes experiment runs."""
    exps = list(config["experiments"])
    return (["shapes"] if any(e.startswith("shapes_") for e in exps) else []) + exps


def all_outputs():
    return ["results/summary.md"]


def per_attempt(amount):
    """A resource that grows with each retry (attempt 1, 2, 3: x1, x2, x3), so a job that ran
    out of memory or time on a cluster is resubmitted with more."""
    return lambda wildcards, attempt: amount * attempt
