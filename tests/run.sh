#!/usr/bin/env bash
# The test command of README.md. On a fresh machine it brings what the tests need (system
# packages, PostgreSQL, the npm and Python test peers, and as root the PAM test account and the
# local Slurm cluster), runs every test of the workspace, and ends with a summary: tests run,
# passed, failed, and skipped with the reason per peer. What it cannot bring it names in one
# line with the command that brings it; those tests are then skipped, visibly (in CI they fail).
#
#   bash tests/run.sh            set up, then run the tests
#   bash tests/run.sh --lints    set up, check formatting and clippy, then run the tests
#   bash tests/run.sh --fuzz     also a short fuzzing run of every cargo-fuzz target (CI passes
#                                --lints --fuzz; tests/fuzz/README.md has the long run)
#   bash tests/run.sh -- ARGS    extra arguments for `cargo test` (a filter, say)
set -uo pipefail
cd "$(dirname "$0")/.."

lints=0
fuzz=0
cargo_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lints) lints=1 ;;
    --fuzz) fuzz=1 ;;
    --) shift; cargo_args=("$@"); break ;;
    *) echo "tests/run.sh: unknown argument $1 (use --lints, or -- followed by cargo test arguments)" >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/hpc-billing"
mkdir -p "$cache"
ci=0
case "${CI:-}" in ""|false|0) ;; *) ci=1 ;; esac
root=0
[ "$(id -u)" = 0 ] && root=1

step() { printf '\n=== %s ===\n' "$*"; }
# A peer that cannot be brought: one line with the way to get it. Fatal in CI.
missing=()
lack() {
  missing+=("$1: $2")
  echo "missing: $1: $2" >&2
  if [ "$ci" = 1 ]; then
    echo "tests/run.sh: CI needs every test peer" >&2
    exit 1
  fi
}
has_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

step "system packages"
command -v cargo >/dev/null || { echo "tests/run.sh: cargo is not on PATH: install Rust with rustup first" >&2; exit 1; }
need=()
has_pkg libpam0g-dev || need+=(libpam0g-dev)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
has_pkg fonts-thai-tlwg || need+=(fonts-thai-tlwg)
command -v psql >/dev/null || need+=(postgresql-client)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$root" = 1 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
      || lack "system packages" "apt-get install ${need[*]} failed"
  else
    lack "system packages" "${need[*]} (sudo apt-get install ${need[*]})"
  fi
fi
echo "ok"

step "PostgreSQL"
pg_url="${HPC_BILLING_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [ -z "${HPC_BILLING_TEST_PG_URL:-}" ] && command -v pg_isready >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 && [ "$root" = 1 ] && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 && ! psql "$pg_url" -qtAc 'select 1' >/dev/null 2>&1 && [ "$root" = 1 ]; then
    # A fresh Debian cluster wants a password on TCP: give the postgres role one for the tests.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    pg_url="postgres://postgres:postgres@127.0.0.1:5432/postgres"
  fi
fi
if psql "$pg_url" -qtAc 'select 1' >/dev/null 2>&1; then
  export HPC_BILLING_TEST_PG_URL="$pg_url"
  psql "$pg_url" -qtAc 'show server_version'
else
  lack postgresql "no server answers at ${pg_url%%\?*} (start PostgreSQL, or set HPC_BILLING_TEST_PG_URL)"
fi

features=(--all-features)
step "PAM test account"
if ! has_pkg libpam0g-dev; then
  features=()
  lack pam "libpam0g-dev is not installed, so the PAM tests are not built (sudo apt-get install libpam0g-dev)"
elif [ -n "${HPC_BILLING_TEST_PAM_USER:-}" ]; then
  echo "given: $HPC_BILLING_TEST_PAM_USER"
elif [ "$root" = 1 ]; then
  pam_user=hpcb-pam-test
  pam_password="pam-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  id "$pam_user" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$pam_user"
  echo "$pam_user:$pam_password" | chpasswd
  printf 'auth    required pam_unix.so\naccount required pam_unix.so\n' > /etc/pam.d/hpc-billing-test
  export HPC_BILLING_TEST_PAM_USER="$pam_user" HPC_BILLING_TEST_PAM_PASSWORD="$pam_password" \
    HPC_BILLING_TEST_PAM_SERVICE=hpc-billing-test
  echo "ok: $pam_user"
else
  lack pam "creating the PAM test account needs root (run as root, or set HPC_BILLING_TEST_PAM_USER/PASSWORD/SERVICE)"
fi

step "Slurm test cluster"
slurm_started=0
stop_slurm() { [ "$slurm_started" = 0 ] || bash tests/slurm/down.sh >/dev/null 2>&1 || true; }
trap stop_slurm EXIT
if [ -n "${HPC_BILLING_TEST_SLURMRESTD_URL:-}" ]; then
  echo "given: $HPC_BILLING_TEST_SLURMRESTD_URL"
elif [ "$root" = 1 ]; then
  # A fresh accounting database each run, so the jobs under test are exactly this run's.
  bash tests/slurm/down.sh >/dev/null 2>&1 || true
  if HPCB_SLURM_RESET=1 bash tests/slurm/up.sh && bash tests/slurm/jobs.sh && slurm_env="$(bash tests/slurm/env.sh)"; then
    eval "$slurm_env"
    slurm_started=1
  else
    lack slurm "tests/slurm/up.sh could not bring up the test cluster (its output is above)"
  fi
else
  lack slurm "the local Slurm cluster needs root (run as root, or bring one up and export tests/slurm/env.sh)"
fi

step "npm test peers"
if command -v npm >/dev/null && npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; then
  echo "ok"
else
  lack "npm peers" "npm ci --prefix tests/node failed or npm is missing"
fi

step "Python test peers"
# localstripe (a fake Stripe server) and schemathesis (schema-driven API fuzzing), in a
# virtualenv of their own (kept between runs).
py_env="$cache/py"
localstripe_version=1.15.10
schemathesis_version=4.32.5
if ! "$py_env/bin/python" -c "import importlib.metadata as m; assert m.version('localstripe') == '$localstripe_version' and m.version('schemathesis') == '$schemathesis_version'" >/dev/null 2>&1; then
  python3 -m venv "$py_env" >/dev/null 2>&1 \
    && "$py_env/bin/pip" install -q --disable-pip-version-check "localstripe==$localstripe_version" "schemathesis==$schemathesis_version" \
    || lack "python peers" "pip install localstripe==$localstripe_version schemathesis==$schemathesis_version into $py_env failed"
fi
[ -x "$py_env/bin/python" ] && export HPC_BILLING_TEST_PYTHON="$py_env/bin/python"
echo "ok"

if [ "$lints" = 1 ]; then
  step "format and lints"
  cargo fmt --all --check || exit 1
  cargo clippy --workspace --all-targets "${features[@]}" --locked -- -D warnings || exit 1
fi

step "tests"
skip_log="$(mktemp)"
out_log="$(mktemp)"
figures="$(mktemp)"
trap 'rm -f "$skip_log" "$out_log" "$figures"; stop_slurm' EXIT
export HPC_BILLING_TEST_SKIP_LOG="$skip_log" HPC_BILLING_TEST_FIGURES="$figures"
start=$(date +%s)
# Into a file, followed live: a pipe is shared with every server the tests start, and one that
# turns on non-blocking mode for it would make libtest's own writes fail (EAGAIN); a regular
# file never refuses a write.
cargo test --workspace "${features[@]}" --no-fail-fast "${cargo_args[@]}" > "$out_log" 2>&1 &
test_pid=$!
tail -n +1 --pid="$test_pid" -f "$out_log"
wait "$test_pid"
status=$?
elapsed=$(( $(date +%s) - start ))

# libtest prints one "test result:" line per test binary; a skipped test passed as far as
# libtest knows, so it is taken out of "passed" and counted apart.
read -r passed failed ignored < <(awk '
  /^test result: / {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^failed/) f += $i
      if ($(i+1) ~ /^ignored/) g += $i
    }
  }
  END { print p + 0, f + 0, g + 0 }' "$out_log")
# A test binary that died before its result line still shows its failed tests by name.
failed_named=$(grep -c -E '^test .* \.\.\. FAILED$' "$out_log" || true)
[ "$failed_named" -gt "$failed" ] && failed=$failed_named
binaries=$(grep -c -E '^\s+Running ' "$out_log" || true)
results=$(grep -c '^test result: ' "$out_log" || true)
doctests=$(grep -c -E '^\s+Doc-tests ' "$out_log" || true)
unfinished=$(( binaries + doctests - results ))
[ "$unfinished" -gt 0 ] && failed=$(( failed + unfinished ))
skipped=$(cut -f2 "$skip_log" | sort -u | grep -c . || true)
pam_unbuilt=0
if [ "${#features[@]}" = 0 ]; then pam_unbuilt=1; fi
passed=$(( passed - skipped ))

fuzz_failed=0
fuzz_targets=0
if [ "$fuzz" = 1 ]; then
  step "fuzzing: a short run of every target"
  fuzz_log="$(mktemp)"
  if bash tests/fuzz/run.sh --seconds "${HPC_BILLING_TEST_FUZZ_SECONDS:-10}" > "$fuzz_log" 2>&1; then :; else fuzz_failed=1; fi
  grep -E '^(fuzz:|target |[a-z_]+ +[0-9?]+ +[0-9]+ +[0-9]+$|    )' "$fuzz_log" || tail -20 "$fuzz_log"
  fuzz_targets=$(grep -cE '^[a-z_]+ +[0-9?]+ +[0-9]+ +[0-9]+$' "$fuzz_log" || true)
  rm -f "$fuzz_log"
  [ "$fuzz_failed" = 1 ] && status=1
fi

if [ -s "$figures" ]; then
  step "figures measured by the tests"
  sort "$figures" | awk -F '\t' '{ printf "  %s: %s\n", $1, $2 }'
fi

step "summary"
if [ "$fuzz" = 1 ]; then
  if [ "$fuzz_failed" = 1 ]; then
    echo "fuzzing: $fuzz_targets targets run; a target crashed or did not build (see above)"
    failed=$(( failed + 1 ))
  else
    echo "fuzzing: $fuzz_targets targets, no crash"
  fi
fi
echo "ran $(( passed + failed + skipped )) tests in ${elapsed}s: $passed passed, $failed failed, $skipped skipped, $ignored ignored"
if [ "$skipped" -gt 0 ] || [ "$pam_unbuilt" = 1 ]; then
  echo "skipped, by peer:"
  [ "$pam_unbuilt" = 1 ] && echo "  pam: the PAM tests were not built: libpam0g-dev is not installed (sudo apt-get install libpam0g-dev)"
  # peer <tab> test <tab> reason: count the tests per peer and show one reason.
  sort -t $'\t' -k1,1 -k2,2 -u "$skip_log" | awk -F '\t' '
    { n[$1]++; if (!($1 in why)) why[$1] = $3 }
    END { for (p in n) printf "  %s: %d test%s: %s\n", p, n[p], n[p] == 1 ? "" : "s", why[p] }' | sort
fi
if [ "$unfinished" -gt 0 ]; then
  echo "$unfinished test binaries ended without their result line (crashed or aborted); their tests are not all counted: see above"
fi
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  echo "cargo test exited with $status before every test ran (a build error?); see above"
fi
echo "summary: $passed passed, $failed failed, $skipped skipped"
exit "$status"
