#!/usr/bin/env bash
# Benchmarks: every figure of one run lands in bench/results/run-<time>.jsonl, with the machine and the ceilings
# measured in the same run, so results read as ratios. Loopback only; every step is bounded in time.
# Usage: bench/run.sh [seconds per measurement, default 15] [concurrency, default 16] [phones for the scale run, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-15}
CONCURRENCY=${2:-16}
SCALE_PHONES=${3:-100000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/run-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-bench.XXXXXX)
. bench/common.sh

echo "{\"machine\": \"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)\", \"dotnet\": \"$(dotnet --version)\", \"seconds_per_run\": $SECONDS_PER_RUN, \"concurrency\": $CONCURRENCY}" >> "$RESULTS"

# Every request uses a new phone, so the resend cooldown never applies; all load comes from 127.0.0.1.
bench_settings

drive() { # label workload [extra driver args...]
  local label=$1 workload=$2; shift 2
  $DRIVER --label "$label" --workload "$workload" --duration "$SECONDS_PER_RUN" --out "$RESULTS" "$@"
}
PHONE_OFFSET=0
next_offset() { PHONE_OFFSET=$((PHONE_OFFSET + 1000000)); }

echo "== embedded: one process, co-hosted silo, SQLite"
GW_PORT=$(free_port); SILO_PORT=$(free_port)
Storage__ConnectionString="Data Source=$WORK/embedded.db" Urls="http://127.0.0.1:$GW_PORT" \
  Cluster__SiloPort=$SILO_PORT Cluster__PrimarySiloPort=$SILO_PORT Cluster__GatewayPort=$(free_port) \
  dotnet "$GATEWAY_DLL" > "$WORK/embedded.log" 2>&1 &
EMBEDDED=$!; PIDS+=("$EMBEDDED")
wait_ready "http://127.0.0.1:$GW_PORT"
T="http://127.0.0.1:$GW_PORT"
drive embedded/ceiling-sqlite-upsert sqlite-upsert --concurrency "$CONCURRENCY" --db "$WORK/ceiling.db" --target "$T"
drive embedded/ceiling-http empty --concurrency "$CONCURRENCY" --target "$T" --pids "$EMBEDDED"
next_offset; drive embedded/send send --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --pids "$EMBEDDED"
# Open loop at half the measured send maximum: the latency a user sees on a half-loaded embedded default.
EMBEDDED_HALF=$(grep '"embedded/send"' "$RESULTS" | tail -1 | python3 -c 'import json,sys; print(max(1, int(json.load(sys.stdin)["per_second"] / 2)))')
next_offset; drive embedded/send-open-half send --rate "$EMBEDDED_HALF" --target "$T" --phone-offset $PHONE_OFFSET --pids "$EMBEDDED"
next_offset; drive embedded/login login --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --outbox "$WORK/sms-outbox.jsonl" --pids "$EMBEDDED"
next_offset; drive embedded/refresh refresh --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --outbox "$WORK/sms-outbox.jsonl" --pids "$EMBEDDED"
kill -9 "$EMBEDDED"

echo "== PostgreSQL (durable: fsync and synchronous commit on)"
qrm_start_postgres
PGBIN=$qrm_pg_bin

# The database's own ceiling for the same durable work: one single-row upsert per transaction, same concurrency.
pg_upsert_ceiling postgres/ceiling-upsert

for silos in 2 1; do
  echo "== cluster: $silos silo(s) + 1 gateway on PostgreSQL"
  start_cluster "bench_${silos}silo" "$silos"
  PID_LIST=$(IFS=,; echo "${CLUSTER_PIDS[*]}")
  drive "cluster-$silos/ceiling-http" empty --concurrency "$CONCURRENCY" --target "$T" --pids "$PID_LIST"
  next_offset; drive "cluster-$silos/send" send --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --pids "$PID_LIST"
  if [ "$silos" = 2 ]; then
    # The same load through a second gateway that keeps per-address limits on (set so high they never refuse):
    # the cost of the extra grain hop that a limit of 0 skips.
    LPORT=$(free_port)
    Gateway__CoHostSilo=false RateLimiting__SendPerIpPerMinute=100000 RateLimiting__VerifyPerIpPerMinute=100000 \
      Urls="http://127.0.0.1:$LPORT" dotnet "$GATEWAY_DLL" > "$WORK/limited-gateway.log" 2>&1 &
    LIMITED=$!; PIDS+=("$LIMITED"); wait_ready "http://127.0.0.1:$LPORT"
    next_offset; drive "cluster-$silos/send-address-limit-on" send --concurrency "$CONCURRENCY" --target "http://127.0.0.1:$LPORT" --phone-offset $PHONE_OFFSET
    kill -9 "$LIMITED"
  fi
  next_offset; drive "cluster-$silos/login" login --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --outbox "$WORK/sms-outbox.jsonl" --pids "$PID_LIST"
  if [ "$silos" = 2 ]; then
    next_offset; drive "cluster-$silos/refresh" refresh --concurrency "$CONCURRENCY" --target "$T" --phone-offset $PHONE_OFFSET --outbox "$WORK/sms-outbox.jsonl" --pids "$PID_LIST"
    # Open loop at half the measured send maximum: the latency a user sees on a half-loaded cluster.
    MAX=$(grep '"cluster-2/send"' "$RESULTS" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["per_second"])')
    HALF=$(python3 -c "print(max(1, int($MAX / 2)))")
    next_offset; drive "cluster-$silos/send-open-half" send --rate "$HALF" --target "$T" --phone-offset $PHONE_OFFSET --pids "$PID_LIST"
  fi
  stop_cluster
done

echo "== scale: $SCALE_PHONES distinct phones through send-code, then idle deactivation"
export Cluster__GrainCollection__CollectionAge=00:01:00 Cluster__GrainCollection__CollectionQuantum=00:00:10
start_cluster bench_scale 2
SILO_PIDS=("${CLUSTER_PIDS[@]:0:2}")
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$1/status"; }
BASE="{\"silo1_mb\": $(rss "${SILO_PIDS[0]}"), \"silo2_mb\": $(rss "${SILO_PIDS[1]}")}"
next_offset
SCALE_SECONDS=600
$DRIVER --label scale/send-100k --workload send --concurrency 32 --duration $SCALE_SECONDS --max "$SCALE_PHONES" \
  --target "$T" --phone-offset $PHONE_OFFSET --out "$RESULTS" --pids "$(IFS=,; echo "${SILO_PIDS[*]}")"
AFTER="{\"silo1_mb\": $(rss "${SILO_PIDS[0]}"), \"silo2_mb\": $(rss "${SILO_PIDS[1]}")}"
$DRIVER --label scale/activations-after-sends --workload activations --cluster-connection "$Storage__ConnectionString" --cluster-id bench_scale --out "$RESULTS"
sleep 90  # the benchmark's own idle period: grains unused for CollectionAge (60 s) are deactivated
IDLE="{\"silo1_mb\": $(rss "${SILO_PIDS[0]}"), \"silo2_mb\": $(rss "${SILO_PIDS[1]}")}"
$DRIVER --label scale/activations-after-idle --workload activations --cluster-connection "$Storage__ConnectionString" --cluster-id bench_scale --out "$RESULTS"
echo "{\"label\": \"scale/working-set\", \"before\": $BASE, \"after_sends\": $AFTER, \"after_idle\": $IDLE}" | tee -a "$RESULTS"
stop_cluster

echo "== done: $RESULTS"
python3 bench/summarize.py "$RESULTS"
