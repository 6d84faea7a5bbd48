#!/usr/bin/env bash
# tests/slurm/jobs.sh: submit hpc-billing's job mix to the cluster of up.sh, wait until every job
# has ended and is recorded in slurmdbd, and write what ran to $HPCB_SLURM_RUN/jobs.env.
#
# The mix (users alice, bob, carol, dave; accounts physics, chemistry, biology):
#   sleep-small   alice  1 CPU, --mem=100M                      COMPLETED
#   cpuburn       alice  2 CPUs busy for 4 s, --mem=500M         COMPLETED, TotalCPU > 0
#   fails         bob    exit 3                                  FAILED 3:0
#   tocancel      bob    sleep 120, cancelled by bob once running CANCELLED by <bob's uid>
#   arr           carol  --array=1-3                             three tasks N_1, N_2, N_3
#   multistep     carol  3 srun steps, the last one `false`      COMPLETED, step .2 FAILED
#   gpujob        alice  -p gpu --gres=gpu:fake:1 --mem=1G       gres/gpu=1 and gres/gpu:fake=1
#   memhog        dave   -n2 --mem-per-cpu=100M, holds ~40 MiB   AveRSS well above the rest
#   later         alice  --begin=now+2hours                      stays PENDING (no end)
#   requeued      alice  requeued once running, then sleep 4     two runs: REQUEUED, then COMPLETED
#   held          bob    --hold, cancelled by bob while held      CANCELLED, never eligible: in no window
#   (WITH_TIMEOUT=1) timeout  bob  -t 1 sleep 300                TIMEOUT after ~70 s
# plus one submission that Slurm must refuse (bob has no association with physics).
# The requeued job's first run waits (SLURM_RESTART_COUNT unset) until it is requeued a second
# after it started, and ends as REQUEUED; Slurm would hold the next run for two minutes
# (BeginTime), so its begin time is set to now at once.
# No heterogeneous job: on one node its components wait for each other's resources forever
# (observed: both stay PENDING (Resources)). The parser fixtures keep such a pending pair.
set -euo pipefail
RUN=${HPCB_SLURM_RUN:-/run/hpcb-slurm}
WORK=/tmp/hpcb-slurm-jobs
mkdir -p "$WORK"
chmod 1777 "$WORK"
T0=${EPOCHREALTIME/./}
say() { local now=${EPOCHREALTIME/./}; printf '[%6.1fs] %s\n' "$(((now - T0) / 100000))e-1" "$*"; }

# wait_until SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds, or fail the script
wait_until() {
  local tries=$(($1 * 5)) what=$2
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "jobs.sh: gave up waiting for $what" >&2
  squeue >&2 || true
  exit 1
}

FROM_MS=$(($(date +%s%3N) - 1000))
# submit USER ARGS...: sbatch as USER, prints the job id
submit() {
  local user=$1
  shift
  runuser -u "$user" -- sbatch --parsable -D "$WORK" -o "$WORK/%x-%j.out" "$@" | cut -d';' -f1
}

ids=()
ids+=("$(submit alice -A physics -J sleep-small -n 1 --mem=100M --wrap 'sleep 2')")
ids+=("$(submit alice -A physics -J cpuburn -n 2 --mem=500M \
  --wrap 'timeout 4 sh -c "while :; do :; done" & timeout 4 sh -c "while :; do :; done"; wait')")
ids+=("$(submit bob -A chemistry -J fails -n 1 --mem=64M --wrap 'sleep 1; exit 3')")
cancel_id=$(submit bob -A chemistry -J tocancel -n 1 --mem=64M --wrap 'sleep 120')
ids+=("$cancel_id")
# shellcheck disable=SC2016 # $SLURM_RESTART_COUNT is for the job's shell
requeue_id=$(submit alice -A physics -J requeued -n 1 --mem=64M \
  --wrap 'if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then sleep 300; else sleep 4; fi')
ids+=("$requeue_id")
held_id=$(submit bob -A chemistry -J held --hold -n 1 --mem=32M --wrap 'sleep 1')
ids+=("$held_id")
runuser -u bob -- scancel "$held_id"
ids+=("$(submit carol -A chemistry -J arr --array=1-3 -n 1 --mem=50M --wrap 'sleep 2')")
ids+=("$(submit carol -A physics -J multistep -n 2 --mem=200M \
  --wrap 'srun -n 2 sleep 2; srun -n 1 hostname; srun -n 1 false; echo done')")
# shellcheck disable=SC2016 # $CUDA_VISIBLE_DEVICES is for the job's shell
ids+=("$(submit alice -p gpu -A physics -J gpujob --gres=gpu:fake:1 -n 1 --mem=1G \
  --wrap 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"; sleep 2')")
# `tail -n 1` keeps the whole newline-free stream in memory until its input ends
ids+=("$(submit dave -A biology -J memhog -n 2 --mem-per-cpu=100M \
  --wrap '(head -c 40M /dev/zero; sleep 4) | tail -n 1 | wc -c')")
pending_id=$(submit alice -A physics -J later -n 1 --mem=32M --begin=now+2hours --wrap 'sleep 1')
if [[ ${WITH_TIMEOUT:-0} == 1 ]]; then
  ids+=("$(submit bob -A chemistry -J timeout -t 1 -n 1 --mem=32M --wrap 'sleep 300')")
fi
if submit bob -A physics -J wrongacct --wrap 'sleep 1' 2>"$WORK/rejected.err"; then
  echo "jobs.sh: Slurm accepted a job for an account bob has no association with" >&2
  exit 1
fi
say "submitted ${ids[*]} (and $pending_id, left pending; $held_id cancelled while held); refused as expected: $(<"$WORK/rejected.err")"

# bob cancels his long job once it runs
wait_until 120 "job $cancel_id to run" bash -c "[[ \$(squeue -h -j $cancel_id -o %T) == RUNNING ]]"
sleep 1
runuser -u bob -- scancel "$cancel_id"

# the operator requeues alice's job once it runs, and lets the next run start at once
wait_until 120 "job $requeue_id to run" bash -c "[[ \$(squeue -h -j $requeue_id -o %T) == RUNNING ]]"
sleep 1
scontrol requeue "$requeue_id"
wait_until 30 "job $requeue_id to be pending again" bash -c "[[ \$(squeue -h -j $requeue_id -o %T) == PENDING ]]"
scontrol update JobId="$requeue_id" StartTime=now
say "requeued $requeue_id"

csv=$(
  IFS=,
  echo "${ids[*]}"
)
wait_until 300 "the jobs to leave the queue" bash -c "[[ -z \$(squeue -h -j $csv) ]]"
# slurmdbd receives the end records a little later than squeue forgets the jobs
wait_until 30 "slurmdbd to record every end" bash -c \
  "! sacct -n -X -P --allusers -j $csv -o State | grep -qE 'RUNNING|PENDING|COMPLETING|REQUEUED'"
TO_MS=$(($(date +%s%3N) + 1000))

cat >"$RUN/jobs.env" <<EOF
HPCB_SLURM_JOBS_FROM_MS=$FROM_MS
HPCB_SLURM_JOBS_TO_MS=$TO_MS
HPCB_SLURM_JOB_IDS=$csv
HPCB_SLURM_PENDING_JOB_ID=$pending_id
HPCB_SLURM_REQUEUED_JOB_ID=$requeue_id
HPCB_SLURM_HELD_JOB_ID=$held_id
EOF
say "all ended; window [$FROM_MS, $TO_MS) ms written to $RUN/jobs.env"
