#!/usr/bin/env bash
# tests/slurm/up.sh: bring up hpc-billing's test Slurm cluster on this machine (one node, Slurm
# 22.05 from Debian 12): munge, slurmdbd on MariaDB, slurmctld, slurmd and slurmrestd with JWT.
#
#   bash tests/slurm/up.sh                      # install what is missing, configure, start
#   HPCB_SLURM_RESET=1 bash tests/slurm/up.sh   # also wipe the accounting DB and ctld state
#                                               # (daemons must be stopped: run down.sh first)
#
# Idempotent: a daemon already running (per our pid file and /proc/PID/comm) is left alone.
# Everything listens on 127.0.0.1 only. MariaDB: reuses a server that already answers on
# 127.0.0.1:3306 (or the default socket); only when none does, starts its own on 127.0.0.1:3307
# with its own data directory and socket, never touching another server's files. Stop with
# down.sh, which kills exactly the pids recorded in $HPCB_SLURM_RUN.
#
# Settings (environment): HPCB_SLURM_CLUSTER (hpcbtest), HPCB_SLURM_REST_PORT (6820),
# HPCB_SLURM_DB_PORT (3306, the server to reuse), HPCB_SLURM_OWN_DB_PORT (3307),
# HPCB_SLURM_OWN_DB=1 (always start our own MariaDB, even if one already runs).
set -euo pipefail

CLUSTER=${HPCB_SLURM_CLUSTER:-hpcbtest}
REST_PORT=${HPCB_SLURM_REST_PORT:-6820}
DB_PORT=${HPCB_SLURM_DB_PORT:-3306}
OWN_DB_PORT=${HPCB_SLURM_OWN_DB_PORT:-3307}
RUN=${HPCB_SLURM_RUN:-/run/hpcb-slurm}
LOG=/var/log/hpcb-slurm
SPOOL=/var/spool/hpcb-slurm
OWN_DB_DIR=/var/lib/hpcb-slurm/mysql
CONF=/etc/slurm
JWT_KEY=$CONF/jwt_hs256.key
DB_NAME=hpcb_slurm_acct_db
DB_USER=hpcb_slurm
DB_PASS=hpcb-slurm-test-only # loopback-only test database; not a secret
REST_USER=slurmrest           # slurmrestd drops to this user after binding
READER=hpcbill                # the identity hpc-billing's tests read accounting as
# user:account pairs; carol has two accounts, dave is alone in biology
ASSOCS="alice:physics bob:chemistry carol:physics carol:chemistry dave:biology $READER:ops"
PKGS="munge slurmctld slurmd slurmdbd slurm-client slurmrestd slurm-wlm-jwt-plugin mariadb-server mariadb-client curl jq"

T0=${EPOCHREALTIME/./}
say() { local now=${EPOCHREALTIME/./}; printf '[%6.1fs] %s\n' "$(((now - T0) / 100000))e-1" "$*"; }

# running NAME COMM: the pid in $RUN/NAME.pid is alive and its /proc comm starts with COMM
running() {
  local pid
  [[ -s $RUN/$1.pid ]] || return 1
  pid=$(<"$RUN/$1.pid")
  [[ -d /proc/$pid && $(</proc/"$pid"/comm) == "$2"* ]]
}

# retry SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds
retry() {
  local tries=$(($1 * 5)) what=$2
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "up.sh: gave up waiting for $what (see $LOG)" >&2
  return 1
}

[[ $(id -u) == 0 ]] || { echo "up.sh: run as root" >&2; exit 1; }

install_packages() {
  local missing="" p
  for p in $PKGS; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=" $p"
  done
  [[ -z $missing ]] && return 0
  echo "installing:$missing"
  # Debian's maintainer scripts must not try to start services (there is no init system here)
  local policy_made=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_made=1
  fi
  apt-get update -qq
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  if [[ $policy_made == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
}

make_users_and_dirs() {
  local pair user
  for pair in $ASSOCS; do
    user=${pair%%:*}
    id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
  done
  id "$REST_USER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$REST_USER"
  # $RUN stays root-owned: mariadbd and the slurm daemons write their pid files as root
  mkdir -p "$RUN" "$LOG" "$SPOOL/ctld" "$SPOOL/d" "$SPOOL/fakegpu" /run/munge
  chmod 755 "$RUN"
  chown slurm:slurm "$LOG" "$SPOOL/ctld"
  chown munge:munge /run/munge
}

reset_state() {
  local d
  for d in slurmrestd slurmd slurmctld slurmdbd; do
    if running "$d" "$d"; then
      echo "up.sh: HPCB_SLURM_RESET=1 needs the daemons stopped (run down.sh first)" >&2
      exit 1
    fi
  done
  rm -rf "${SPOOL:?}/ctld/"* "${SPOOL:?}/d/"* "$LOG"/slurm*.log
}

start_munge() {
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 600 /etc/munge/munge.key
  if ! running munged munged; then
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid \
      --log-file=/var/log/munge/munged.log
    retry 10 "munged pid file" test -s /run/munge/munged.pid
    cp /run/munge/munged.pid "$RUN/munged.pid"
  fi
  retry 10 "a munge round trip" bash -c 'munge -n | unmunge'
  say "munged up (pid $(<"$RUN/munged.pid"))"
}

# Sets DB_HOST_PORT to where slurmdbd finds MariaDB, reusing a running server when there is one.
start_mariadb() {
  local sql_client
  if [[ ${HPCB_SLURM_OWN_DB:-0} != 1 ]] && ! running mariadb mariadbd &&
    mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$DB_PORT" -u root ping >/dev/null 2>&1; then
    DB_HOST_PORT=$DB_PORT
    sql_client=(mariadb --protocol=tcp -h 127.0.0.1 -P "$DB_PORT" -u root)
    say "mariadb: reusing the server on 127.0.0.1:$DB_PORT"
  elif [[ ${HPCB_SLURM_OWN_DB:-0} != 1 ]] && ! running mariadb mariadbd &&
    mariadb-admin ping >/dev/null 2>&1; then
    # a server on the default socket only (no TCP): slurmdbd reaches it with StorageHost=localhost
    DB_HOST_PORT=socket
    sql_client=(mariadb)
    say "mariadb: reusing the server on the default unix socket"
  else
    DB_HOST_PORT=$OWN_DB_PORT
    # mariadbd runs as mysql: its socket and pid file live in a directory it owns
    local own=$RUN/mysqld
    sql_client=(mariadb --socket="$own/mysqld.sock")
    if ! running mariadb mariadbd; then
      mkdir -p "$own"
      chown mysql:mysql "$own"
      rm -f "$own/mariadbd.pid"
      if [[ ! -d $OWN_DB_DIR/mysql ]]; then
        mkdir -p "$OWN_DB_DIR"
        chown mysql:mysql "$OWN_DB_DIR"
        mariadb-install-db --user=mysql --datadir="$OWN_DB_DIR" --auth-root-authentication-method=socket >/dev/null
      fi
      touch "$LOG/mariadb.log"
      chown mysql:mysql "$LOG/mariadb.log"
      # our own data directory, socket, pid file and port: it cannot collide with another server
      setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$OWN_DB_DIR" \
        --bind-address=127.0.0.1 --port="$OWN_DB_PORT" --socket="$own/mysqld.sock" \
        --pid-file="$own/mariadbd.pid" --log-error="$LOG/mariadb.log" \
        --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900 </dev/null >/dev/null 2>&1 &
      retry 60 "our mariadbd" "${sql_client[@]}" -e 'select 1'
      retry 10 "our mariadbd pid file" test -s "$own/mariadbd.pid"
      cp "$own/mariadbd.pid" "$RUN/mariadb.pid"
    fi
    say "mariadb: our own server on 127.0.0.1:$OWN_DB_PORT (pid $(<"$RUN/mariadb.pid"))"
  fi
  if [[ ${HPCB_SLURM_RESET:-0} == 1 ]]; then
    "${sql_client[@]}" -e "DROP DATABASE IF EXISTS $DB_NAME"
  fi
  # 'localhost' covers socket connections, '127.0.0.1' TCP ones
  "${sql_client[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
SQL
}

write_configs() {
  [[ -s $JWT_KEY ]] || dd if=/dev/urandom of="$JWT_KEY" bs=32 count=1 status=none
  chown slurm:slurm "$JWT_KEY"
  chmod 600 "$JWT_KEY"

  # the node line follows this machine's real topology (slurmd -C); half its memory is offered
  local cpus boards sockets cores threads mem
  read -r cpus boards sockets cores threads mem < <(slurmd -C | head -1 | tr ' ' '\n' | awk -F= '
    $1=="CPUs"{c=$2} $1=="Boards"{b=$2} $1=="SocketsPerBoard"{s=$2} $1=="CoresPerSocket"{k=$2}
    $1=="ThreadsPerCore"{t=$2} $1=="RealMemory"{m=$2} END{print c, b, s, k, t, m}')

  cat >"$CONF/slurm.conf" <<EOF
# written by hpc-billing tests/slurm/up.sh
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$JWT_KEY
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$SPOOL/ctld
SlurmdSpoolDir=$SPOOL/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageEnforce=associations
AccountingStorageTRES=gres/gpu,gres/gpu:fake
GresTypes=gpu
MinJobAge=300
NodeName=localhost CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$((mem / 2)) Gres=gpu:fake:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost Default=NO MaxTime=INFINITE State=UP TRESBillingWeights=CPU=1.0,Mem=0.25G,GRES/gpu=4.0
EOF

  # gres/gpu ignores GPUs without a device file: two /dev/null clones stand in for GPUs
  # (plain files also work when mknod is not allowed; slurmd then only logs a complaint)
  local i
  for i in 0 1; do
    [[ -e $SPOOL/fakegpu/gpu$i ]] || mknod -m 666 "$SPOOL/fakegpu/gpu$i" c 1 3 2>/dev/null ||
      touch "$SPOOL/fakegpu/gpu$i"
  done
  cat >"$CONF/gres.conf" <<EOF
AutoDetect=off
NodeName=localhost Name=gpu Type=fake File=$SPOOL/fakegpu/gpu[0-1]
EOF

  local storage_host=127.0.0.1 storage_port=$DB_HOST_PORT
  if [[ $DB_HOST_PORT == socket ]]; then storage_host=localhost storage_port=3306; fi
  cat >"$CONF/slurmdbd.conf" <<EOF
# written by hpc-billing tests/slurm/up.sh
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$JWT_KEY
CommunicationParameters=NoInAddrAny
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=slurm
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=$storage_host
StoragePort=$storage_port
StorageUser=$DB_USER
StoragePass=$DB_PASS
StorageLoc=$DB_NAME
EOF
  # slurmdbd refuses a config that others can read
  chown slurm:slurm "$CONF/slurmdbd.conf"
  chmod 600 "$CONF/slurmdbd.conf"
  chmod 644 "$CONF/slurm.conf" "$CONF/gres.conf"
  say "configs written (CPUs=$cpus, RealMemory=$((mem / 2)) MB, DB on $storage_host:$storage_port)"
}

start_slurmdbd() {
  running slurmdbd slurmdbd || /usr/sbin/slurmdbd
  retry 60 "slurmdbd to answer sacctmgr" sacctmgr -n show cluster
  say "slurmdbd up (pid $(<"$RUN/slurmdbd.pid"))"
}

add_accounting_objects() {
  local have pair user account
  [[ -n $(sacctmgr -n -P show cluster "$CLUSTER" format=cluster) ]] || sacctmgr -i add cluster "$CLUSTER" >/dev/null
  have=$(sacctmgr -n -P show assoc cluster="$CLUSTER" format=account,user)
  for account in physics chemistry biology ops; do
    grep -qx "$account|" <<<"$have" ||
      sacctmgr -i add account "$account" cluster="$CLUSTER" description="$account" organization=hpcb-test >/dev/null
  done
  for pair in $ASSOCS; do
    user=${pair%%:*} account=${pair#*:}
    grep -qx "$account|$user" <<<"$have" ||
      sacctmgr -i add user "$user" account="$account" cluster="$CLUSTER" >/dev/null
  done
  # the reader sees every job even if a site sets PrivateData
  [[ $(sacctmgr -n -P show user "$READER" format=adminlevel) == Operator ]] ||
    sacctmgr -i modify user "$READER" set adminlevel=Operator >/dev/null
  say "accounts and associations ok"
}

start_slurmctld_and_slurmd() {
  running slurmctld slurmctld || /usr/sbin/slurmctld
  retry 60 "slurmctld ping" bash -c 'scontrol ping | grep -q UP'
  say "slurmctld up (pid $(<"$RUN/slurmctld.pid"))"
  if ! running slurmd slurmd; then
    local started
    started=$(date +%s)
    # the node is called localhost, not this machine's host name
    /usr/sbin/slurmd -N localhost
    # wait for THIS slurmd to register (the saved node state may say idle already)
    retry 60 "slurmd registration" bash -c "t=\$(scontrol show node localhost | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2)
      [[ \$t != None ]] && (( \$(date -d \"\$t\" +%s) >= $started ))"
  fi
  # shellcheck disable=SC2016 # the inner shell expands it
  retry 60 "node localhost to be usable" bash -c '[[ $(sinfo -h -n localhost -o %T | head -1) =~ ^(idle|mixed|allocated)$ ]]'
  say "slurmd up (pid $(<"$RUN/slurmd.pid")), node $(sinfo -h -n localhost -o %T | head -1)"
}

start_slurmrestd() {
  if ! running slurmrestd slurmrestd; then
    # started as root to bind, then drops to $REST_USER; SLURM_JWT=daemon passes each
    # client's token on instead of using munge. It does not daemonise: record $!.
    env SLURM_JWT=daemon setsid /usr/sbin/slurmrestd -a rest_auth/jwt \
      -u "$REST_USER" -g "$REST_USER" "127.0.0.1:$REST_PORT" \
      </dev/null >>"$LOG/slurmrestd.log" 2>&1 &
    echo $! >"$RUN/slurmrestd.pid"
  fi
  # every path needs a token on 22.05 (401 without): any HTTP status means it listens
  retry 30 "slurmrestd to listen" bash -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$REST_PORT/slurm/v0.0.38/ping | grep -q '^[1-5]'"
  local token
  token=$(scontrol token username="$READER" lifespan=120 | sed 's/^SLURM_JWT=//')
  curl -sf -H "X-SLURM-USER-NAME: $READER" -H "X-SLURM-USER-TOKEN: $token" \
    "http://127.0.0.1:$REST_PORT/slurm/v0.0.38/ping" | jq -e '.pings[0].ping == "UP"' >/dev/null
  say "slurmrestd up on 127.0.0.1:$REST_PORT (pid $(<"$RUN/slurmrestd.pid"))"
}

install_packages
say "packages ok"
make_users_and_dirs
if [[ ${HPCB_SLURM_RESET:-0} == 1 ]]; then reset_state; fi
start_munge
start_mariadb
write_configs
start_slurmdbd
add_accounting_objects
start_slurmctld_and_slurmd
start_slurmrestd
say "cluster $CLUSTER is up"
