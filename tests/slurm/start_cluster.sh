#!/usr/bin/env bash
# Start a throw-away single-node SLURM cluster on this machine (root required).
#
#   tests/slurm/start_cluster.sh STATE_DIR     then   export SLURM_CONF=STATE_DIR/slurm.conf
#   tests/slurm/stop_cluster.sh STATE_DIR      stops exactly what was started here
#
# Used by tests/test_slurm.py; also handy to try profiles/slurm on a workstation. Config, munge
# key and socket, state, spool, logs and pid files all live in STATE_DIR (keep its path short:
# the munge socket path must fit in 108 bytes). The one thing outside it is a symlink
# /run/slurm/conf/slurm.conf -> STATE_DIR/slurm.conf (see below). Needs the Debian packages
# slurmctld slurmd slurm-client munge (the test installs them when missing).
#
# Environment (all optional):
#   SLURM_TEST_PARTITIONS  partitions to create, all on this node  [cpu gpu]; the first is Default
#   SLURM_TEST_GPUS        GPUs the node advertises: a gres with File=/dev/null, no real device
#                          (jobs get CUDA_VISIBLE_DEVICES and run on CPU)  [0]
#   SLURMCTLD_PORT / SLURMD_PORT   TCP ports  [6817 / 6818]
#   SLURM_TEST_TIMEOUT     seconds to wait for an idle node  [60]
#
# Exit status: 0 node idle; 2 missing programs; 3 a daemon did not come up (logs printed);
# 4 another SLURM configuration is in the way.
set -euo pipefail

STATE=${1:?usage: start_cluster.sh STATE_DIR}
PARTITIONS=${SLURM_TEST_PARTITIONS:-cpu gpu}
GPUS=${SLURM_TEST_GPUS:-0}
CTLD_PORT=${SLURMCTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}
TIMEOUT=${SLURM_TEST_TIMEOUT:-60}

for b in munged slurmctld slurmd sinfo sbatch srun runuser; do
    command -v "$b" >/dev/null || { echo "start_cluster: $b not found" >&2; exit 2; }
done

# Job steps must find the config without SLURM_CONF: snakemake's slurm-jobstep plugin drops all
# SLURM_* variables (SLURM_CONF included) before it calls srun inside the job, and srun then reads
# /etc/slurm/slurm.conf or else /run/slurm/conf/slurm.conf (where a configless slurmd caches
# it). So: refuse if /etc/slurm/slurm.conf exists (another cluster's), else link the latter.
if [ -e /etc/slurm/slurm.conf ]; then
    echo "start_cluster: /etc/slurm/slurm.conf exists but no cluster answers; start that one" >&2
    exit 4
fi
if [ -e /run/slurm/conf/slurm.conf ] && [ ! -L /run/slurm/conf/slurm.conf ]; then
    echo "start_cluster: /run/slurm/conf/slurm.conf exists (a configless slurmd?)" >&2
    exit 4
fi

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
chmod 755 "$STATE"   # munged runs as user munge and must reach its directory
mkdir -p "$STATE/munge" "$STATE/ctld" "$STATE/spool"

HOST=$(hostname -s)
NCPU=$(nproc)
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
REAL_MB=$((MEM_MB * 9 / 10))   # a little under the total, or slurmd drains the node

fail() {
    echo "start_cluster: $1" >&2
    for f in "$STATE/munge/munged.log" "$STATE/slurmctld.log" "$STATE/slurmd.log"; do
        if [ -f "$f" ]; then echo "--- $f" >&2; tail -n 20 "$f" >&2; fi
    done
    exit 3
}

# --- munge: own key and socket, run as user munge (as Debian's service does) ---
MUNGE_USER=munge
id "$MUNGE_USER" >/dev/null 2>&1 || MUNGE_USER=root
dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
chmod 755 "$STATE/munge"   # munged wants its socket directory world-executable
chmod 400 "$STATE/munge/munge.key"
chown -R "$MUNGE_USER": "$STATE/munge"
MUNGE_SOCKET="$STATE/munge/munge.socket"
MUNGE_ARGS=(--socket="$MUNGE_SOCKET" --key-file="$STATE/munge/munge.key"
    --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log"
    --seed-file="$STATE/munge/munged.seed")
if [ "$MUNGE_USER" = root ]; then
    munged --force "${MUNGE_ARGS[@]}" || fail "munged did not start"
else
    runuser -u "$MUNGE_USER" -- munged "${MUNGE_ARGS[@]}" || fail "munged did not start"
fi

# --- slurm.conf (+ gres.conf for the pretend GPUs) ---
GRES_TYPES=""
GRES_NODE=""
if [ "$GPUS" -gt 0 ]; then
    GRES_TYPES="GresTypes=gpu"
    GRES_NODE="Gres=gpu:$GPUS"
    echo "NodeName=$HOST Name=gpu File=/dev/null Count=$GPUS" > "$STATE/gres.conf"
fi
{
    cat <<CONF
ClusterName=plugentest
SlurmctldHost=$HOST
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
$GRES_TYPES
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$REAL_MB $GRES_NODE State=UNKNOWN
CONF
    default=YES
    for p in $PARTITIONS; do
        echo "PartitionName=$p Nodes=$HOST Default=$default MaxTime=INFINITE State=UP"
        default=NO
    done
} > "$STATE/slurm.conf"
export SLURM_CONF="$STATE/slurm.conf"

mkdir -p /run/slurm/conf
ln -sfn "$SLURM_CONF" /run/slurm/conf/slurm.conf
echo "$SLURM_CONF" > "$STATE/run-link"   # stop_cluster.sh removes the link if still ours

slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N "$HOST" || fail "slurmd did not start"

state=""
for _ in $(seq "$TIMEOUT"); do
    state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle* | mixed* | allocated*)
            echo "start_cluster: node $HOST $state, SLURM_CONF=$SLURM_CONF"
            exit 0
            ;;
    esac
    sleep 1
done
fail "node $HOST not idle after ${TIMEOUT}s (state: ${state:-none})"
