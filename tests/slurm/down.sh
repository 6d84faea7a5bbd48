#!/usr/bin/env bash
# tests/slurm/down.sh: stop the daemons tests/slurm/up.sh started, newest first, by the pids it
# recorded in $HPCB_SLURM_RUN (each checked against /proc/PID/comm; nothing is killed by name).
# A MariaDB server that up.sh reused rather than started has no pid file here and keeps running.
# Jobs still queued or running are cancelled first, so no slurmstepd outlives its slurmd.
set -uo pipefail
RUN=${HPCB_SLURM_RUN:-/run/hpcb-slurm}
T0=${EPOCHREALTIME/./}
say() { local now=${EPOCHREALTIME/./}; printf '[%6.1fs] %s\n' "$(((now - T0) / 100000))e-1" "$*"; }

if [[ -s $RUN/slurmctld.pid ]] && scontrol ping 2>/dev/null | grep -q UP; then
  mapfile -t queued < <(squeue -h -o %A 2>/dev/null)
  if ((${#queued[@]} > 0)); then
    scancel "${queued[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
      sleep 0.2
    done
    say "cancelled ${#queued[@]} queued or running job(s)"
  fi
fi

# stop NAME COMM [SIGNAL]: signal the recorded pid if it is still that daemon, wait up to 30 s
stop() {
  local name=$1 comm=$2 signal=${3:-TERM} file=$RUN/$1.pid pid
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  if [[ ! -d /proc/$pid || $(cat /proc/"$pid"/comm 2>/dev/null) != "$comm"* ]]; then
    say "$name: pid $pid is gone (stale pid file removed)"
    rm -f "$file"
    return 0
  fi
  kill -s "$signal" "$pid"
  for ((i = 0; i < 150; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.2
  done
  if [[ -d /proc/$pid ]]; then
    say "$name: still running after 30 s, sending KILL to $pid"
    kill -KILL "$pid"
    sleep 0.5
  fi
  rm -f "$file"
  say "$name stopped (pid $pid)"
}

# slurmctld flushes its job records to slurmdbd on the way down, so slurmdbd goes after it
stop slurmrestd slurmrestd INT
stop slurmd slurmd
stop slurmctld slurmctld
stop slurmdbd slurmdbd
stop mariadb mariadbd
stop munged munged
rm -f /run/munge/munged.pid
say "all down"
