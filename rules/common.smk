# Helpers shared by the rules: validated config, experiment specs, path builders, library inputs.
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)
from plugen import experiments  # noqa: E402
from plugen.experiments import RIVAL_OPERATIONS, parse_run, run_path  # noqa: E402
from plugen.experiments import IMAGE_RIVALS  # noqa: E402
from plugen.config import read_yaml, validate_config  # noqa: E402

for (
    _file
) in workflow.configfiles:  # refuse duplicate keys, which Snakemake's loader drops
    read_yaml(_file)
# schema, defaults, then each experiment's cross-key checks (and the user's files): before any job
config.update(
    validate_config(config, Path(workflow.basedir) / "config/schema/config.schema.json")
)

LIB = str(Path(workflow.basedir) / "plugen")
EXPERIMENTS = {name: experiments.get(name) for name in config["experiments"]}
# wildcard patterns from the registry: the rules serve every registered experiment of a kind
ALL_EXPS = "|".join(experiments.names())
IMAGE_EXPS = "|".join(
    n for n in experiments.names() if experiments.get(n).payload == "image"
)
USER_EXPS = "|".join(
    n for n in experiments.names() if experiments.get(n).latents == "user"
)
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
    """Library modules a job depends on, as inputs: editing them reruns its jobs."""
    return [str(Path(LIB, m)) for m in modules]


def sections():
    """Summary sections in order: shared sections (the shapes data) first, then experiments."""
    shared = [s for e in EXPERIMENTS.values() for s in e.shared]
    return list(dict.fromkeys(shared)) + list(EXPERIMENTS)


def summary_tables(section):
    if section == "shapes":
        return [out("shapes", "metrics", "classifier.parquet")]
    return [
        out(section, "metrics", f"{t}.parquet")
        for t in spec(section).summary_tables(config)
    ]


def timing_tables():
    """Section -> its tables of wall-clock measurements (they go to results/timings.md)."""
    return {s: list(spec(s).timing_tables(config)) for s in EXPERIMENTS}


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


# ---- input functions of the image-task and rival rules
RIVALS = "|".join(RIVAL_OPERATIONS)


RUNS = f"({IMAGE_EXPS})(/baselines/({RIVALS}))?"


def decoder(exp):
    d = spec(exp).decoder(config)
    return d.as_dict() if d else None


def judge(exp):
    j = spec(exp).judge(config)
    if j is None:
        raise ValueError(
            f"{exp}: no judge is configured, so its images cannot be scored"
        )
    return j.as_dict()


def judged_binary(exp):
    binary = spec(exp).binary(config)
    return [a for a in spec(exp).judged(config) if a in binary]


def decoder_file(wc):
    d = spec(exp_of(wc)).decoder(config)
    return d.files() if d else []


def exp_of(wc):
    """The experiment of a rule's wildcards ({exp}, or the experiment of {run})."""
    return wc.exp if "exp" in wc.keys() else parse_run(wc.run)[0]


def task_sources(wc):
    """Latents of the images a task edits (inverted real images for shapes_gan's flip_real)."""
    return out(exp_of(wc), spec(exp_of(wc)).task_source(wc.task))


def editor_model(wc):
    """PluGeN's plugin, or a rival's model.pt."""
    exp, method = parse_run(wc.run)
    if method == "plugen":
        return out(exp, "models", "plugin.pt")
    return run_path(exp, method, "model.pt")


def editor_lib(wc):
    method = parse_run(wc.run)[1]
    if method == "plugen":
        return lib("tasks.py", "model.py", "backbones/__init__.py")
    image = ("baselines/image.py",) if method in IMAGE_RIVALS else ()
    return lib(
        "tasks.py",
        "backbones/__init__.py",
        "baselines/base.py",
        f"baselines/{method}.py",
        *image,
    )


def rival_dataset(wc):
    """The image dataset table an image rival trains on and edits (none for other editors)."""
    if "method" in wc.keys():
        exp, method = wc.exp, wc.method
    else:
        exp, method = parse_run(wc.run)
    return [spec(exp).real_images(config)] if method in IMAGE_RIVALS else []


def figure_tables(wc):
    return [
        out(wc.exp, "samples", f"{t}.parquet")
        for t in spec(wc.exp).figure_tasks(config)
    ]


def fid_tables(wc):
    sets = spec(wc.exp).fid_sets(config)
    return [
        out(wc.exp, "samples", f"{t}.parquet") for t in sets if t != "reconstruction"
    ]


def rival_lib(wc):
    if wc.method in IMAGE_RIVALS:
        trained = ("baselines/image.py", "nn.py", "train.py")
    elif wc.method != "interfacegan":
        trained = ("baselines/cflow.py", "train.py")
    else:
        trained = ()
    return lib(
        "baselines/__init__.py",
        "baselines/base.py",
        f"baselines/{wc.method}.py",
        *trained,
    )


def compared_metrics(wc):
    methods = spec(wc.exp).compared_methods(config, wc.task)
    return [run_path(wc.exp, m, "metrics", f"{wc.task}.parquet") for m in methods]


def training_methods(exp):
    return ["plugen", *spec(exp).rivals(config)]


def epoch_cap(exp, method):
    """The epoch cap of a method's training (None: a closed-form fit)."""
    if method == "plugen":
        return config[exp]["flow"]["train"]["epochs"]
    section = config[exp]["baselines"][method]
    return section["train"]["epochs"] if "train" in section else None
