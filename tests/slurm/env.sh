#!/usr/bin/env bash
# tests/slurm/env.sh: print `export ...` lines that point hpc-billing's tests at the cluster of
# up.sh (and the jobs of jobs.sh, if it ran). Use:  eval "$(bash tests/slurm/env.sh)"
#
#   HPC_BILLING_TEST_SLURMRESTD_URL     http://127.0.0.1:<port>, slurmrestd with JWT auth
#   HPC_BILLING_TEST_SLURM_TOKEN        a JWT for HPC_BILLING_TEST_SLURM_USER (scontrol token)
#   HPC_BILLING_TEST_SLURM_USER         the Slurm user the token belongs to (an Operator)
#   HPC_BILLING_TEST_SACCT              1: `sacct` on PATH reaches this cluster's slurmdbd
#   HPC_BILLING_TEST_SLURM_CLUSTER      the cluster name
#   HPC_BILLING_TEST_SLURM_UTC_OFFSET   the offset of the zone sacct prints times in (+00:00)
#   HPC_BILLING_TEST_SLURM_FROM_MS      jobs.sh: Unix ms just before its first submission
#   HPC_BILLING_TEST_SLURM_TO_MS        jobs.sh: Unix ms just after its last job ended
#   HPC_BILLING_TEST_SLURM_JOB_IDS      jobs.sh: the sbatch ids it submitted (comma-separated)
#   HPC_BILLING_TEST_SLURM_REQUEUED_JOB_ID  jobs.sh: the job that ran twice (requeued once)
#   HPC_BILLING_TEST_SLURM_HELD_JOB_ID  jobs.sh: the job cancelled while held (never eligible)
#
# Prints nothing and exits 1 when the cluster is not up. The token lives
# HPCB_SLURM_TOKEN_LIFESPAN seconds (default 7200).
set -euo pipefail
RUN=${HPCB_SLURM_RUN:-/run/hpcb-slurm}
REST_PORT=${HPCB_SLURM_REST_PORT:-6820}
READER=hpcbill

if ! scontrol ping 2>/dev/null | grep -q UP || ! sacctmgr -n show cluster >/dev/null 2>&1; then
  echo "env.sh: the test cluster is not up (run tests/slurm/up.sh)" >&2
  exit 1
fi
token=$(scontrol token username="$READER" lifespan="${HPCB_SLURM_TOKEN_LIFESPAN:-7200}" | sed -n 's/^SLURM_JWT=//p')
[[ -n $token ]] || { echo "env.sh: scontrol token gave nothing" >&2; exit 1; }
cluster=$(scontrol show config | awk '$1 == "ClusterName" {print $3}')

emit() { printf 'export %s=%q\n' "$1" "$2"; }
emit HPC_BILLING_TEST_SLURMRESTD_URL "http://127.0.0.1:$REST_PORT"
emit HPC_BILLING_TEST_SLURM_TOKEN "$token"
emit HPC_BILLING_TEST_SLURM_USER "$READER"
emit HPC_BILLING_TEST_SACCT 1
emit HPC_BILLING_TEST_SLURM_CLUSTER "$cluster"
emit HPC_BILLING_TEST_SLURM_UTC_OFFSET "$(date +%:z)"
if [[ -s $RUN/jobs.env ]]; then
  # shellcheck source=/dev/null # written by jobs.sh
  source "$RUN/jobs.env"
  emit HPC_BILLING_TEST_SLURM_FROM_MS "$HPCB_SLURM_JOBS_FROM_MS"
  emit HPC_BILLING_TEST_SLURM_TO_MS "$HPCB_SLURM_JOBS_TO_MS"
  emit HPC_BILLING_TEST_SLURM_JOB_IDS "$HPCB_SLURM_JOB_IDS"
  emit HPC_BILLING_TEST_SLURM_REQUEUED_JOB_ID "${HPCB_SLURM_REQUEUED_JOB_ID:-}"
  emit HPC_BILLING_TEST_SLURM_HELD_JOB_ID "${HPCB_SLURM_HELD_JOB_ID:-}"
fi
