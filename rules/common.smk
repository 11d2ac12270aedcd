# Helpers shared by the rules: validated config, experiment specs, path builders, library inputs.
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)
from plugen import experiments  # noqa: E402
from plugen.config import read_yaml, validate_config  # noqa: E402

for _file in workflow.configfiles:  # refuse duplicate keys, which Snakemake's loader drops
    read_yaml(_file)
# schema, defaults, then each experiment's cross-key checks (and the user's files): before any job
config.update(validate_config(config, Path(workflow.basedir) / "config/schema/config.schema.json"))

LIB = str(Path(workflow.basedir) / "plugen")
EXPERIMENTS = {name: experiments.get(name) for name in config["experiments"]}
# wildcard patterns from the registry: the rules serve every registered experiment of a kind
ALL_EXPS = "|".join(experiments.names())
IMAGE_EXPS = "|".join(n for n in experiments.names() if experiments.get(n).payload == "image")
USER_EXPS = "|".join(n for n in experiments.names() if experiments.get(n).latents == "user")
IMAGE_TASKS = "|".join(experiments.IMAGE_TASKS)


def spec(exp):
    return experiments.get(exp)


def out(exp, *parts):
    """results/<experiment>/<parts...>"""
    return experiments.results_path(exp, *parts)


def logp(exp, name):
    return str(Path("logs", exp, f"{name}.log"))


def bench(exp, name):
    return str(Path("benchmarks", "runs", exp, f"{name}.tsv"))


def lib(*modules):
    """Library modules a rule depends on: editing them reruns the rule."""
    return [str(Path(LIB, m)) for m in modules]


def sections():
    """Summary sections in order: shared sections (the shapes data) first, then experiments."""
    shared = [s for e in EXPERIMENTS.values() for s in e.shared]
    return list(dict.fromkeys(shared)) + list(EXPERIMENTS)


def summary_tables(section):
    if section == "shapes":
        return [out("shapes", "metrics", "classifier.parquet")]
    return [out(section, "metrics", f"{t}.parquet") for t in spec(section).summary_tables(config)]


def figure_folders(section):
    if section not in EXPERIMENTS:
        return []
    return [out(section, f) for f in spec(section).figure_folders(config)]


def all_outputs():
    return ["results/summary.md"]


def per_attempt(amount):
    """A resource that grows with each retry (attempt 1, 2, 3: x1, x2, x3), so a job that ran
    out of memory or time on a cluster is resubmitted with more."""
    return lambda wildcards, attempt: amount * attempt
