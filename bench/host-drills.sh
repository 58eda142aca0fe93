#!/usr/bin/env bash
# Failure drills on hosts: network namespaces made by tools/netns.sh (root). Two silos (hosts 1 and 2) and two
# pure-client gateways (hosts 3 and 4), each with its own address, on a PostgreSQL with fsync and synchronous_commit on
# that listens on the hosts' bridge; steady login load from the machine's own namespace. The drills:
#   host-vanish       host 1's link down and every process in it SIGKILLed (the machine is gone; no FIN or RST)
#   host-cutoff       host 1's link down for 30 s, then up; the silo, declared dead, stops and is restarted (a supervisor)
#   postgres-sigkill  the PostgreSQL postmaster SIGKILLed, then started again
#   rolling-restart   each silo in turn: SIGTERM, wait for it to exit, start it, wait until it is active
# Each reports failed requests, the window of errors, when the last error came after the fault, and what the database
# holds (lost users, duplicate users, bindings without a user). Traffic stays on the bridge and loopback.
# TLS=1 runs every cluster connection on mutual TLS (certificates from tools/cluster-certs.sh).
# Usage: [TLS=1] bench/host-drills.sh [login rate per second, default 30] [seconds of load, default 90] [drill ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-30}
DURATION=${2:-90}
shift $(($# < 2 ? $# : 2))
DRILLS=("$@")
[ ${#DRILLS[@]} -gt 0 ] || DRILLS=(host-vanish host-cutoff postgres-sigkill rolling-restart)
FAULT_AT=$((DURATION / 3))
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/host-drills-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-host-drills.XXXXXX)
chmod 755 "$WORK"
. bench/common.sh
trap 'cleanup; tools/netns.sh down' EXIT

tools/netns.sh up 4
read -r qrm_pg_dir QRM_PG_PORT < <(tools/netns.sh pg -c fsync=on -c synchronous_commit=on)
qrm_pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
BRIDGE=10.199.77.1
active() { psql_q "$1" 'SELECT COUNT(*) FROM qrm_membership WHERE status = 3' 2>/dev/null || echo 0; }
wait_active() { for _ in $(seq 1 240); do [ "$(active "$1")" = "$2" ] && return 0; sleep 0.5; done; echo "not $2 active silos"; return 1; }

bench_settings
export Storage__Provider=PostgreSql Cluster__Provider=PostgreSql
SILO_TLS=() GATEWAY_TLS=()
if [ "${TLS:-0}" = 1 ]; then
  for made in "ca" "silo silo" "client gateway"; do tools/cluster-certs.sh ${made%% *} "$WORK/certs" ${made#* } > /dev/null; done
  SILO_TLS=(Cluster__Tls__CertificatePath="$WORK/certs/silo.pem" Cluster__Tls__CaPath="$WORK/certs/ca.pem")
  GATEWAY_TLS=(Cluster__Tls__CertificatePath="$WORK/certs/gateway.pem" Cluster__Tls__CaPath="$WORK/certs/ca.pem")
fi
# Gateways learn of a rejoined silo within a second.
export Cluster__GatewayListRefreshPeriod=00:00:01
# Every log line carries its time, and membership says when it suspects and declares, for the drill's timeline.
export Logging__Console__TimestampFormat="HH:mm:ss.fff " Logging__Console__UseUtcTimestamp=true
MEMBERSHIP_LOG=("Logging__LogLevel__Orleans.Runtime.MembershipService=Information")

declare -A SILO
start_silo() { # host drill
  local host=$1 address; address=$(tools/netns.sh addr "$1")
  env "${SILO_TLS[@]}" "${MEMBERSHIP_LOG[@]}" Cluster__AdvertisedAddress=$address Cluster__SiloPort=11111 Cluster__GatewayPort=30000 \
    ip netns exec "qrm-h$host" dotnet "$SILO_DLL" >> "$WORK/$2-silo-$host.log" 2>&1 &
  SILO[$host]=$!; PIDS+=($!)
}
supervise() { # host drill: a silo declared dead stops itself; start it again, as a supervisor would
  for _ in $(seq 1 240); do kill -0 "${SILO[$1]}" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "${SILO[$1]}" 2>/dev/null; then echo "silo on host $1 still running after the cut" >> "$WORK/$2.notes"; return; fi
  date +%s.%N >> "$WORK/$2.restarted"
  start_silo "$1" "$2"
}
rolling_restart() { # drill database
  for host in 1 2; do
    kill -TERM "${SILO[$host]}"
    while kill -0 "${SILO[$host]}" 2>/dev/null; do sleep 0.1; done
    start_silo "$host" "$1"
    wait_active "$2" 2
  done
}
postgres_sigkill() { # the postmaster and every backend at once (its process group), as when the database host dies
  local postmaster group; postmaster=$(head -1 "$qrm_pg_dir/data/postmaster.pid")
  group=$(ps -o pgid= "$postmaster" | tr -d ' ')
  # pg_ctl makes the postmaster lead a group of its own; never signal a group it does not lead (this script's).
  [ "$group" = "$postmaster" ] || { echo "postmaster $postmaster does not lead its process group" >&2; return 1; }
  kill -9 -- "-$group"
  while kill -0 "$postmaster" 2>/dev/null; do sleep 0.1; done
  # Crash recovery replays the WAL; restart reuses the options it was started with (postmaster.opts).
  qrm_as_postgres "$qrm_pg_bin/pg_ctl" -D "$qrm_pg_dir/data" -w -t 120 -l "$qrm_pg_dir/server.log" restart
}

drill() { # name fault-command
  local name=$1 fault=$2 db="host_${1//-/_}"
  [ "${TLS:-0}" = 1 ] && name="$name-tls"
  psql_q postgres "CREATE DATABASE $db" >/dev/null
  export Cluster__ClusterId=$db Storage__ConnectionString="Host=$BRIDGE;Port=$QRM_PG_PORT;Username=postgres;Database=$db;Maximum Pool Size=200"
  local targets=() gateways=()
  for host in 1 2 3 4; do tools/netns.sh mend "$host"; done
  start_silo 1 "$name"; start_silo 2 "$name"
  wait_active "$db" 2
  for host in 3 4; do
    local url; url="http://$(tools/netns.sh addr "$host"):5080"
    env "${GATEWAY_TLS[@]}" Gateway__CoHostSilo=false Urls=$url ip netns exec "qrm-h$host" dotnet "$GATEWAY_DLL" > "$WORK/$name-gateway-$host.log" 2>&1 &
    gateways+=($!); PIDS+=($!); targets+=("$url")
  done
  for t in "${targets[@]}"; do wait_ready "$t"; done

  echo "== drill $name: $RATE logins/s for $DURATION s, fault at $FAULT_AT s, cluster TLS ${TLS:-0}"
  (sleep "$FAULT_AT"; date +%s.%N > "$WORK/$name.fault"; eval "$fault") > "$WORK/$name-fault.log" 2>&1 &
  local fault_pid=$!
  local started; started=$(date +%s.%N)
  $DRIVER --label "host-drill/$name" --workload login --rate "$RATE" --duration "$DURATION" --outbox "$WORK/sms-outbox.jsonl" \
    --target "$(IFS=,; echo "${targets[*]}")" --phone-offset $((RANDOM * 100)) --trace "$WORK/$name.trace" --out "$WORK/$name.json" > /dev/null
  wait "$fault_pid" || true

  local fault_at; fault_at=$(python3 -c "print(round($(cat "$WORK/$name.fault") - $started, 2))")
  psql_q "$db" "SELECT convert_from(payload, 'UTF8')::jsonb->>'phone' FROM qrm_grain_state WHERE state_name = 'user' AND payload IS NOT NULL" | sort > "$WORK/$name.users"
  psql_q "$db" "SELECT key_string FROM qrm_grain_state WHERE state_name = 'binding'" | sort > "$WORK/$name.bindings"
  python3 bench/drill_report.py "$WORK/$name.json" "$WORK/$name.trace" "$WORK/$name.users" "$WORK/$name.bindings" "$fault_at" "$name" "$(active "$db")" >> "$RESULTS"
  tail -1 "$RESULTS"
  [ -f "$WORK/$name.notes" ] && cat "$WORK/$name.notes"
  # The fault ran in a subshell: silos it restarted are not in SILO here, so every process of every host goes.
  for host in 1 2 3 4; do tools/netns.sh kill "$host"; done
}

for name in "${DRILLS[@]}"; do
  case "$name" in
    host-vanish) drill host-vanish 'tools/netns.sh vanish 1';;
    host-cutoff) drill host-cutoff 'tools/netns.sh cut 1; sleep 30; tools/netns.sh mend 1; supervise 1 host-cutoff';;
    postgres-sigkill) drill postgres-sigkill 'postgres_sigkill';;
    rolling-restart) drill rolling-restart 'rolling_restart rolling-restart host_rolling_restart';;
    *) echo "unknown drill $name" >&2; exit 2;;
  esac
done
echo "== done: $RESULTS"
