"""profiles/slurm on a real SLURM: a single-node cluster (munge, slurmctld, slurmd) on localhost.

The tiny config's shapes_vae chain up to the flow (shapes_dataset -> train_vae -> extract_latents
-> train_flow) runs through ``snakemake --profile profiles/slurm`` with the executor plugin
``slurm``: every job is an ``sbatch`` job. The test node advertises one pretend GPU (a gres
backed by /dev/null), so the real profile runs unchanged: rules with ``gpu=1`` go to the GPU
partition with ``--gpus=1`` (the job then finds no CUDA and trains on CPU) and CPU-only rules go
to the CPU partition without a GPU. On top comes only what a cluster without job accounting
needs, tests/slurm/profile (job states from squeue, no account).

Debian's slurmctld, slurmd, slurm-client and munge are installed when missing (as root or with
passwordless sudo); a SLURM cluster that already answers ``sinfo`` is reused as it is. The test
skips, saying why, only where the machine cannot run SLURM daemons.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from plugen import io
from tests.paths import ROOT, TINY

PROFILE = ROOT / "profiles" / "slurm"
OVERLAY = ROOT / "tests" / "slurm" / "profile"
START = ROOT / "tests" / "slurm" / "start_cluster.sh"
STOP = ROOT / "tests" / "slurm" / "stop_cluster.sh"
TARGET = "results/shapes_vae/models/plugin.pt"
PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
BINARIES = ["munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scontrol", "srun"]

SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


def _run(cmd, timeout=60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def _tail(text: str, n: int = 3000) -> str:
    return text[-n:] if text else ""


def _as_root() -> list[str] | None:
    """Command prefix that runs as root: nothing, ``sudo -n``, or None when neither works."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and _run(["sudo", "-n", "true"]).returncode == 0:
        return ["sudo", "-n"]
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running_cluster(env: dict) -> bool:
    """A SLURM cluster already answers with a usable node (system config or $SLURM_CONF)."""
    if not shutil.which("sinfo"):
        return False
    try:
        proc = _run(["sinfo", "-h", "-o", "%T"], timeout=20, env=env)
    except subprocess.TimeoutExpired:
        return False
    states = proc.stdout.split()
    return proc.returncode == 0 and any(
        s.rstrip("*~#$@").startswith(("idle", "mix", "alloc", "compl")) for s in states
    )


def _install(root: list[str]) -> None:
    if not shutil.which("apt-get"):
        pytest.skip("SLURM is not installed and apt-get is not available to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*root, "apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    proc = _run(install, timeout=600, env=env)
    if proc.returncode != 0:  # stale package lists on a fresh machine: update once, retry
        _run([*root, "apt-get", "update", "-q"], timeout=600, env=env)
        proc = _run(install, timeout=600, env=env)
    if proc.returncode != 0:
        pytest.skip(
            f"apt-get could not install {' '.join(PACKAGES)} (no package mirror?):\n"
            + _tail(proc.stdout + proc.stderr, 1500)
        )


def _partitions() -> tuple[list[str], list[str]]:
    """(CPU partitions, GPU partitions) of profiles/slurm/partitions.yaml."""
    parts = yaml.safe_load((PROFILE / "partitions.yaml").read_text())["partitions"]
    gpu = [p for p, lim in parts.items() if (lim or {}).get("max_gpu", 0) > 0]
    return [p for p in parts if p not in gpu], gpu


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """Environment for SLURM clients, plus what the test may assume about the cluster."""
    times = {}
    env = {**os.environ}
    if _running_cluster(env):
        yield {"env": env, "own": False, "times": times}
        return
    root = _as_root()
    if root is None:
        pytest.skip("no SLURM cluster running, and neither root nor passwordless sudo to start one")
    t0 = time.monotonic()
    if not all(shutil.which(b) for b in BINARIES):
        _install(root)
    times["install"] = time.monotonic() - t0
    if not all(shutil.which(b) for b in BINARIES):
        missing = [b for b in BINARIES if not shutil.which(b)]
        pytest.skip(f"SLURM programs still missing after installing {PACKAGES}: {missing}")

    cpu, gpu = _partitions()
    # A short path: the munge socket lives in here and unix socket paths end at 108 bytes.
    state = Path(tempfile.mkdtemp(prefix="plugen-slurm-", dir="/tmp"))
    settings = {
        "SLURM_TEST_PARTITIONS": " ".join(cpu + gpu),
        "SLURM_TEST_GPUS": "1",
        "SLURMCTLD_PORT": str(_free_port()),
        "SLURMD_PORT": str(_free_port()),
    }
    t0 = time.monotonic()
    start = [*root, "env", *(f"{k}={v}" for k, v in settings.items()), str(START), str(state)]
    try:
        proc = _run(start, timeout=120)
        if proc.returncode != 0:
            pytest.skip(
                f"the SLURM daemons did not start here (exit {proc.returncode}):\n"
                + _tail(proc.stdout + proc.stderr, 2500)
            )
        times["start"] = time.monotonic() - t0
        yield {
            "env": {**env, "SLURM_CONF": str(state / "slurm.conf")},
            "own": True,
            "cpu": cpu,
            "gpu": gpu,
            "state": state,
            "times": times,
        }
    finally:
        _run([*root, str(STOP), str(state)], timeout=60)
        _run([*root, "rm", "-rf", str(state)], timeout=60)


def _snakemake_blocks(log: str) -> dict[int, dict]:
    """Snakemake's job blocks: jobid -> {rule, log, resources}."""
    jobs, rule, current = {}, None, None
    for line in log.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):$", line):
            rule, current = m.group(1), {}
        elif rule and (m := re.match(r"^\s+(jobid|log|resources): (.*)$", line)):
            current[m.group(1)] = m.group(2)
            if m.group(1) == "jobid":
                jobs[int(m.group(2))] = current
                current["rule"] = rule
    for job in jobs.values():
        res = dict(kv.split("=", 1) for kv in job.get("resources", "").split(", ") if "=" in kv)
        job["resources"] = res
    return jobs


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm_wf")
    cfg = yaml.safe_load(TINY.read_text())
    cfg["experiments"] = ["shapes_vae"]
    (work / "slurm.yaml").write_text(yaml.safe_dump(cfg))
    env = dict(slurm_cluster["env"])
    # Jobs start from this environment (sbatch --export=ALL): put this interpreter's venv first.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["OMP_NUM_THREADS"] = "1"
    sinfo = _run(["sinfo", "-h", "-o", "%c %m"], env=env, timeout=20).stdout.split()
    node_cpus, node_mem = (int(x.rstrip("+")) for x in sinfo[:2])
    cmd = [
        sys.executable, "-m", "snakemake", TARGET,
        "-s", str(ROOT / "workflow" / "Snakefile"),
        "-d", str(work),
        "--configfile", "slurm.yaml",
        "--profile", str(PROFILE),
        "--workflow-profile", str(OVERLAY),
        "--max-threads", str(node_cpus),
    ]  # fmt: skip
    if slurm_cluster["own"]:
        cmd += ["--resources", f"mem_mb={node_mem}"]  # a small machine: cap the requests
    else:
        # Someone else's cluster: its partition names and GPUs are unknown, so use its default
        # partition and turn the GPU requests off per rule (a global `--resources gpu=0` caps
        # the sbatch request but not the job's own srun inside the allocation).
        parts = work / "partitions.yaml"
        default = _run(["sinfo", "-h", "-o", "%P"], env=env).stdout.split()
        name = next((p for p in default if p.endswith("*")), default[0]).rstrip("*")
        parts.write_text(yaml.safe_dump({"partitions": {name: {}}}))
        dry = _run([*cmd, "-n"], timeout=120, cwd=work, env=env)
        jobs = _snakemake_blocks(dry.stdout + dry.stderr).values()
        no_gpu = sorted(
            {f"{j['rule']}:gpu=0" for j in jobs if j["resources"].get("gpu", "0") != "0"}
        )
        cmd += ["--slurm-partition-config", str(parts), "--resources", f"mem_mb={node_mem}"]
        cmd += ["--set-resources", *no_gpu] if no_gpu else []
    t0 = time.monotonic()
    try:
        proc = _run(cmd, timeout=900, cwd=work, env=env)
    except subprocess.TimeoutExpired as e:
        out = f"{e.stdout}\n{e.stderr}"
        raise AssertionError(f"snakemake on SLURM did not finish in 900 s:\n{out}") from None
    seconds = time.monotonic() - t0
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        ctld = ""
        if slurm_cluster["own"]:
            ctld = _tail((slurm_cluster["state"] / "slurmctld.log").read_text(), 1500)
        raise AssertionError(f"snakemake on SLURM failed:\n{_tail(log, 5000)}\n{ctld}")
    times = {**slurm_cluster["times"], "snakemake": seconds}
    print("SLURM test times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in times.items()))
    return {"work": work, "log": log, "env": env, "jobs": _snakemake_blocks(log)}


def _submissions(run) -> dict[int, tuple[int, Path]]:
    """Snakemake jobid -> (SLURM job id, SLURM log file), from the executor's messages."""
    return {int(j): (int(s), Path(p)) for j, s, p in SUBMITTED.findall(run["log"])}


@pytest.mark.slow
def test_target_is_built_and_readable(slurm_run):
    res = slurm_run["work"] / "results" / "shapes_vae"
    assert (res / "models" / "plugin.pt").stat().st_size > 0
    hist, _ = io.read_table(res / "history" / "plugin.parquet", io.HISTORY)
    assert len(hist) >= 1 and hist["train_loss"].notna().all()


@pytest.mark.slow
def test_every_job_went_through_sbatch(slurm_run):
    subs = _submissions(slurm_run)
    jobs = slurm_run["jobs"]
    assert len(subs) >= 3, slurm_run["log"][-3000:]
    assert set(subs) == set(jobs), f"jobs not submitted to SLURM: {set(jobs) - set(subs)}"
    assert len({s for s, _ in subs.values()}) == len(subs)  # distinct SLURM job ids
    for jobid, (slurm_id, slurm_log) in subs.items():
        # the plugin's per-job log is named after the SLURM job id ...
        assert slurm_log.name == f"{slurm_id}.log" and slurm_log.is_file()
        assert f"rule_{jobs[jobid]['rule']}" in slurm_log.parts
        # ... and the job itself saw that id (plugen.runtime logs SLURM_JOB_ID to the rule's log)
        text = slurm_log.read_text()
        rule_log = slurm_run["work"] / jobs[jobid].get("log", "-")
        if rule_log.is_file():
            text += rule_log.read_text()
        seen = set(re.findall(r"SLURM_JOB_ID\W{1,3}(\d+)", text))
        assert seen == {str(slurm_id)}, f"{jobs[jobid]['rule']}: SLURM_JOB_ID {seen}"


@pytest.mark.slow
def test_gpu_rules_get_a_gpu_partition_and_cpu_rules_never_ask(slurm_run, slurm_cluster):
    if not slurm_cluster["own"]:
        pytest.skip("an existing cluster was reused: its partitions and GPUs are its own")
    kinds = set()
    for jobid, (slurm_id, _) in _submissions(slurm_run).items():
        job = slurm_run["jobs"][jobid]
        wants_gpu = int(job["resources"].get("gpu", 0)) > 0
        kinds.add(wants_gpu)
        info = _run(["scontrol", "show", "job", "-o", str(slurm_id)], env=slurm_run["env"])
        fields = dict(kv.split("=", 1) for kv in info.stdout.split() if "=" in kv)
        assert fields.get("JobState") == "COMPLETED", info.stdout + info.stderr
        got_gpu = "gpu" in fields.get("TresPerJob", "") + fields.get("TresPerNode", "")
        assert got_gpu == wants_gpu, f"{job['rule']}: {fields.get('TresPerJob')}"
        expected = slurm_cluster["gpu"] if wants_gpu else slurm_cluster["cpu"]
        assert fields["Partition"] in expected, f"{job['rule']} ran on {fields['Partition']}"
    assert kinds == {True, False}, "the target's jobs should include GPU and CPU-only rules"


@pytest.mark.parametrize("profile", ["slurm", "local-gpu"])
def test_profile_keeps_gpu_requests_of_gpu_rules_only(profile, tmp_path):
    """Dry run (no cluster needed): the profile parses, GPU rules keep gpu=1, others have none."""
    shutil.copy(TINY, tmp_path / "tiny.yaml")
    cmd = [
        sys.executable, "-m", "snakemake", "-n",
        "-s", str(ROOT / "workflow" / "Snakefile"), "-d", str(tmp_path),
        "--configfile", "tiny.yaml",
        "--profile", str(ROOT / "profiles" / profile), "--workflow-profile", "none",
        TARGET,
    ]  # fmt: skip
    proc = _run(cmd, timeout=120, cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, _tail(log)
    gpus = {j["rule"]: j["resources"].get("gpu") for j in _snakemake_blocks(log).values()}
    assert gpus.get("train_vae") == "1" and gpus.get("train_flow") == "1", gpus
    assert gpus.get("shapes_dataset") is None, gpus
