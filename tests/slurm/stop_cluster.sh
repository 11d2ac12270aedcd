#!/usr/bin/env bash
# Stop what tests/slurm/start_cluster.sh started in STATE_DIR: its jobs, then slurmd, slurmctld
# and munged by their pid files, and the /run/slurm/conf link if it still points here.
set -uo pipefail
STATE=${1:?usage: stop_cluster.sh STATE_DIR}
export SLURM_CONF="$STATE/slurm.conf"
if [ -f "$SLURM_CONF" ] && [ -f "$STATE/slurmctld.pid" ] && command -v scancel >/dev/null; then
    timeout 10 scancel --quiet --user "$(id -un)" 2>/dev/null
fi
for name in slurmd slurmctld munge/munged; do
    pidfile="$STATE/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
done
if [ -f "$STATE/run-link" ] \
    && [ "$(readlink /run/slurm/conf/slurm.conf)" = "$(cat "$STATE/run-link")" ]; then
    rm -f /run/slurm/conf/slurm.conf
    rmdir /run/slurm/conf /run/slurm 2>/dev/null
fi
exit 0
