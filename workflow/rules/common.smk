# Helpers shared by the rules: validated config, experiment specs, path builders, library inputs.
import sys
from pathlib import Path

# the repository root (workflow.basedir is workflow/): its plugen/ is the library the rules use
ROOT = Path(workflow.basedir).parent
sys.path.insert(0, str(ROOT))
from plugen import experiments  # noqa: E402
from plugen.experiments import RIVAL_OPERATIONS, parse_run, run_path  # noqa: E402
from plugen.experiments import IMAGE_RIVALS  # noqa: E402
from plugen.codedeps import library_files  # noqa: E402
from plugen.config import read_yaml, validate_config  # noqa: E402

for (
    _file
) in workflow.configfiles:  # refuse duplicate keys, which Snakemake's loader drops
    read_yaml(_file)
# schema, defaults, then each experiment's cross-key checks (and the user's files): before any job
config.update(validate_config(config))

LIB = str(ROOT / "plugen")
# torch threads of the training and encoding jobs (config "threads")
THREADS = config["threads"]
EXPERIMENTS = {name: experiments.get(name) for name in config["experiments"]}
# wildcard patterns from the registry: the rules serve every registered experiment of a kind
ALL_EXPS = "|".join(experiments.names())
# experiments served by the image-task rules: images, and point clouds (judged as clouds, drawn
# as their renderings)
IMAGE_EXPS = "|".join(
    n for n in experiments.names() if experiments.get(n).payload in ("image", "cloud")
)
USER_EXPS = "|".join(
    n for n in experiments.names() if experiments.get(n).latents == "user"
)
IMAGE_TASKS = "|".join(experiments.IMAGE_TASKS)


def experiment_rules():
    """rules/<package>.smk of every registered experiment folder that has its own rules."""
    here = Path(workflow.basedir) / "rules"
    return [
        f"rules/{p}.smk" for p in experiments.PACKAGES if (here / f"{p}.smk").is_file()
    ]


def spec(exp):
    return experiments.get(exp)


def out(exp, *parts):
    """results/<experiment>/<parts...>"""
    return experiments.results_path(exp, *parts)


def logp(exp, name):
    return str(Path("logs", exp, f"{name}.log"))


def bench(exp, name):
    return str(Path("benchmarks", "runs", exp, f"{name}.tsv"))


def code(script, *modules):
    """The library files workflow/scripts/<script>.py runs through its imports, and through
    ``modules`` it imports by a name given as a param (inputs: an edit of any of them reruns
    the job; plugen.codedeps follows the imports)."""
    return library_files(
        str(Path(workflow.basedir, "scripts", f"{script}.py")), LIB, modules
    )


def sections():
    """Summary sections in order: shared sections (the shapes data) first, then experiments."""
    shared = [s for e in EXPERIMENTS.values() for s in e.shared]
    return list(dict.fromkeys(shared)) + list(EXPERIMENTS)


def summary_tables(section):
    if section == "shapes":
        return [out("shapes", "metrics", "classifier.parquet")]
    tables = [*spec(section).summary_tables(config), "training"]
    return [out(section, "metrics", f"{t}.parquet") for t in tables]


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
    return editor_file(*parse_run(wc.run))


def editor_file(exp, method):
    if method == "plugen":
        return out(exp, "models", "plugin.pt")
    return run_path(exp, method, "model.pt")


def generating_editors(wc):
    """The models of PluGeN and every rival that generates, in compared_methods order."""
    methods = spec(wc.exp).compared_methods(config, "generation")
    return [editor_file(wc.exp, m) for m in methods]


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


def fid_runs(wc):
    """(method, task) of every sample set FID scores: PluGeN's fid_sets and each rival's
    sets of the tasks it does."""
    s = spec(wc.exp)
    tasks = [t for t in s.fid_sets(config) if t != "reconstruction"]
    runs = [("plugen", t) for t in tasks]
    for m in s.rivals(config):
        runs += [(m, t) for t in tasks if t in s.rival_tasks(config, m)]
    return runs


def fid_tables(wc):
    return [
        run_path(wc.exp, m if m != "plugen" else None, "samples", f"{t}.parquet")
        for m, t in fid_runs(wc)
    ]


def compared_metrics(wc):
    methods = spec(wc.exp).compared_methods(config, wc.task)
    return [run_path(wc.exp, m, "metrics", f"{wc.task}.parquet") for m in methods]


def training_methods(exp):
    return ["plugen", *spec(exp).rivals(config)]


def training_histories(wc):
    """The training history of PluGeN and of each rival, in training_methods order."""
    return [
        (
            out(wc.exp, "history", "plugin.parquet")
            if m == "plugen"
            else run_path(wc.exp, m, "history.parquet")
        )
        for m in training_methods(wc.exp)
    ]


def method_settings(exp, method):
    """A method's model settings and the generation temperature, for the training table."""
    if method == "plugen":
        settings = {k: v for k, v in config[exp]["flow"].items() if k != "train"}
    else:
        settings = experiments.rival_settings(config, exp, method)
    section = config[exp]
    generation = section.get("tasks", {}).get("generation") or section.get(
        "generation", {}
    )
    return {**settings, "temperature": generation.get("temperature")}


def epoch_cap(exp, method):
    """The epoch cap of a method's training (None: a closed-form fit)."""
    if method == "plugen":
        return config[exp]["flow"]["train"]["epochs"]
    section = config[exp]["baselines"][method]
    return section["train"]["epochs"] if "train" in section else None


# ---- image data sets, VAEs and judges trained in the DAG (rules/shapes*.smk, rules/celeba.smk);
# each experiment's spec says which (the "image data set" methods of plugen.experiments)
# experiments whose VAE train_vae trains
VAE_EXPS = "|".join(
    n for n in experiments.names() if spec(n).vae_config(config) is not None
)
# judges trained in the DAG beside the shapes classifier (train_judge)
JUDGE_EXPS = (
    "|".join(n for n in experiments.names() if spec(n).trains_judge(config)) or "^$"
)


def data_section(name):
    """The section whose data/ an image experiment reads (its spec says); the shared "shapes"
    section (the shapes classifier's) reads its own."""
    return "shapes" if name == "shapes" else spec(name).data_section(config)


def dataset_table(exp):
    """results/<section>/data/dataset.parquet of an image experiment (or "shapes")."""
    return out(data_section(exp), "data", "dataset.parquet")


def dataset_images(exp):
    return out(data_section(exp), "data", "images")


def vae_config(exp):
    return spec(exp).vae_config(config)


def n_images(exp, splits):
    """How many images of ``splits`` an experiment's data set holds (for memory sizing)."""
    return spec(exp).n_images(config, splits)


def image_pixels(exp, splits):
    """Image pixels (count x side^2) of ``splits`` of an experiment's data set."""
    size = config[data_section(exp)]["data"]["size"]
    return n_images(exp, splits) * size**2


def judge_of(wc):
    """The section a train_classifier job serves: {exp}, or "shapes" (its fixed-path rule)."""
    return wc.exp if "exp" in wc.keys() else "shapes"


def judge_config(wc):
    """The judge's architecture and training section."""
    s = judge_of(wc)
    return config["shapes"]["classifier"] if s == "shapes" else config[s]["judge"]


def judge_kinds(wc):
    """Attribute -> kind of the judge a train_classifier job trains."""
    s = judge_of(wc)
    if s == "shapes":
        from plugen.experiments.shapes.data import ATTRIBUTES

        return dict(ATTRIBUTES)
    return spec(s).attributes(config)


def judge_data(wc):
    """The judge's training table (the shapes classifier's own crossed rendering; else the data
    set, whose train split it learns) and the data set whose test split scores it."""
    s = judge_of(wc)
    own = s == "shapes"
    return {
        "clf_table": out(
            s, "data", "classifier_set.parquet" if own else "dataset.parquet"
        ),
        "clf_images": out(s, "data", "clf_images" if own else "images"),
        "table": dataset_table(s),
        "images": dataset_images(s),
    }


# image experiments whose latents extract_latents encodes from their data set
ENCODED_EXPS = "|".join(
    n
    for n in experiments.names()
    if experiments.get(n).latents == "encoded" and experiments.get(n).payload == "image"
)


def vae_splits(exp):
    """The splits a VAE trains on (train_vae.py), then its early-stopping split."""
    return list(spec(exp).vae_splits(config))


def user_encoder(exp):
    """The user's TorchScript encoder section ({path, image_range}), or None."""
    return spec(exp).user_encoder(config)


def encoder_file(wc):
    """The VAE extract_latents encodes with: the one trained in the DAG, or the user's."""
    user = user_encoder(wc.exp)
    return user["path"] if user else out(wc.exp, "models", "vae.pt")


def encoder_spec(wc):
    return user_encoder(wc.exp)


def labels_per_image(wc):
    """k known labels per train/val image (semi-supervised), or None: every label."""
    return spec(wc.exp).labels_per_image(config)


def judge_pixels_mb(wc):
    """uint8 megabytes of the images a train_classifier job holds."""
    s = judge_of(wc)
    if s == "shapes":
        return SH_PIXELS_MB
    return image_pixels(s, ["train", "test"]) * 3 // 1_000_000


# ---- counterfactual explanations (rules/explain.smk)
EXPLAIN_METHODS = ("plugen", "latent")


def explain_cfg(exp):
    """<exp>.explain when the counterfactual task is on (else None)."""
    return spec(exp).explain(config)


def counterfactual_tables(wc):
    return [out(wc.exp, "counterfactuals", f"{m}.parquet") for m in EXPLAIN_METHODS]


def decision_file(wc):
    """The decision model's file, as an input (none for an import path package.module:name)."""
    from plugen.runtime import is_import_path

    path = spec(wc.exp).decision_model(config)["path"]
    return [] if is_import_path(path) else [path]


def explain_decoder(exp):
    """The decoder the decision reads through (None: the decision model reads latents)."""
    return decoder(exp) if spec(exp).explain_images(config) else None


def explain_decoder_file(wc):
    return decoder_file(wc) if spec(wc.exp).explain_images(config) else []


def explain_judge(exp):
    """The judge that reads which attributes the images changed (None without images or
    judge)."""
    j = spec(exp).judge(config)
    return j.as_dict() if j is not None and spec(exp).explain_images(config) else None


def explain_judge_file(wc):
    j = explain_judge(wc.exp)
    return [j["path"]] if j else []


# ---- the point-cloud experiments (rules/shapes3d.smk, rules/shapenet_pc.smk)
CLOUD_EXPS = "|".join(
    n for n in experiments.names() if experiments.get(n).payload == "cloud"
)


def cloud_mb(exp):
    """MB of float32 coordinates of an experiment's clouds (for memory sizing): the configured
    counts of shapes3d, a ShapeNet-sized guess (10k clouds) for data read from files."""
    data = config[exp]["data"]
    n = (
        sum(v for k, v in data.items() if k.startswith("n_") and k != "n_points")
        or 10_000
    )
    return n * data["n_points"] * 12 // 1_000_000


def cloud_data(wc):
    """The data set's table and cloud shards (results/<exp>/data/)."""
    return {
        "table": out(wc.exp, "data", "dataset.parquet"),
        "clouds": out(wc.exp, "data", "clouds"),
    }


def cloud_generators(exp):
    """PluGeN and every rival that generates: their generation samples are scored."""
    return list(spec(exp).compared_methods(config, "generation"))


# ---- input functions of the inpaint rules
def inpaint_table(wc):
    """The dataset table whose test images are masked (real, or the decoded test latents)."""
    return spec(wc.exp).inpaint_images(config)


def inpaint_image_dir(wc):
    return str(Path(inpaint_table(wc)).parent / "images")


def inpaint_methods(wc):
    return spec(wc.exp).inpaint_methods(config)


def counterfactual_module(wc):
    """The module that re-renders test images with an attribute flipped (a rerun input)."""
    renderer = spec(wc.exp).inpaint_counterfactuals(config)
    return [renderer["module"]] if renderer else []


def inpaint_plugin(wc):
    return [] if wc.method == "harmonic" else [out(wc.exp, "models", "plugin.pt")]
