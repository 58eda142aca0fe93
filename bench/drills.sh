#!/usr/bin/env bash
# Failure drills: under steady login load, (1) SIGKILL one of two silos, (2) restart PostgreSQL, (3) stop one of two
# gateways. For each: requests failed, time to recover, and what the database holds afterwards. Loopback only.
# Usage: bench/drills.sh [login rate per second, default 30] [seconds of load, default 60; the fault comes at a third]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-30}
DURATION=${2:-60}
FAULT_AT=$((DURATION / 3))
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/drills-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-drills.XXXXXX)
chmod 755 "$WORK"
. bench/common.sh

qrm_start_postgres

bench_settings
export Storage__Provider=PostgreSql Cluster__Provider=PostgreSql

drill() { # name fault-command
  local name=$1 fault=$2 db="drill_${1//-/_}"
  psql_q postgres "CREATE DATABASE $db" >/dev/null
  export Cluster__ClusterId=$db Storage__ConnectionString="Host=127.0.0.1;Port=$QRM_PG_PORT;Username=postgres;Database=$db;Maximum Pool Size=200"
  SILOS=(); GATEWAYS=(); TARGETS=()
  for i in 1 2; do
    Cluster__SiloPort=$(free_port) Cluster__GatewayPort=$(free_port) dotnet "$SILO_DLL" > "$WORK/$name-silo-$i.log" 2>&1 &
    SILOS+=($!); PIDS+=($!)
  done
  for _ in $(seq 1 120); do [ "$(psql_q "$db" 'SELECT COUNT(*) FROM qrm_membership WHERE status = 3' 2>/dev/null || echo 0)" = 2 ] && break; sleep 0.5; done
  for i in 1 2; do
    local port; port=$(free_port)
    Gateway__CoHostSilo=false Urls="http://127.0.0.1:$port" dotnet "$GATEWAY_DLL" > "$WORK/$name-gateway-$i.log" 2>&1 &
    GATEWAYS+=($!); PIDS+=($!); TARGETS+=("http://127.0.0.1:$port")
  done
  for t in "${TARGETS[@]}"; do wait_ready "$t"; done

  echo "== drill $name: $RATE logins/s for $DURATION s, fault at $FAULT_AT s"
  (sleep "$FAULT_AT"; eval "$fault"; date +%s.%N > "$WORK/$name.fault") &
  local fault_pid=$!
  local started; started=$(date +%s.%N)
  $DRIVER --label "drill/$name" --workload login --rate "$RATE" --duration "$DURATION" --outbox "$WORK/sms-outbox.jsonl" \
    --target "$(IFS=,; echo "${TARGETS[*]}")" --phone-offset $((RANDOM * 100)) --trace "$WORK/$name.trace" --out "$WORK/$name.json" > /dev/null
  wait "$fault_pid"

  # What the database holds: one user per phone that logged in, and every binding has its user.
  local fault_at; fault_at=$(python3 -c "print(round($(cat "$WORK/$name.fault") - $started, 2))")
  local phones; phones=$(awk '$2 == 1 {print $3}' "$WORK/$name.trace" | sort -u | tr '\n' ',' | sed 's/,$//')
  psql_q "$db" "SELECT convert_from(payload, 'UTF8')::jsonb->>'phone' FROM qrm_grain_state WHERE state_name = 'user' AND payload IS NOT NULL" | sort > "$WORK/$name.users"
  psql_q "$db" "SELECT key_string FROM qrm_grain_state WHERE state_name = 'binding'" | sort > "$WORK/$name.bindings"
  python3 bench/drill_report.py "$WORK/$name.json" "$WORK/$name.trace" "$WORK/$name.users" "$WORK/$name.bindings" "$fault_at" "$name" >> "$RESULTS"
  tail -1 "$RESULTS"
  for pid in "${SILOS[@]}" "${GATEWAYS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

drill silo-sigkill 'kill -9 ${SILOS[0]}'
drill postgres-restart 'qrm_restart_postgres'
drill gateway-stop 'kill -TERM ${GATEWAYS[1]}'
echo "== done: $RESULTS"
