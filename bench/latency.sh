#!/usr/bin/env bash
# Tail latency at a fixed rate: one 2-silo + 1-gateway cluster on PostgreSQL, a 5 s warm-up, then several open-loop
# send-code runs at the same rate, so the spread of p99 between runs is visible. Loopback only; bounded in time.
# Usage: bench/latency.sh [rate per second = 620] [runs = 4] [seconds per run = 15]
# Variants by environment: PG_OPTIONS="-c synchronous_commit=off" (is the tail the database's commit?),
# SILO_OWN_OUTBOX=1 (is it the shared File-sink outbox's cross-process lock?).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-620}
RUNS=${2:-4}
SECONDS_PER_RUN=${3:-15}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p bench/results
RESULTS="bench/results/latency-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
WORK=$(mktemp -d /tmp/qrm-latency.XXXXXX)
. bench/common.sh

echo "{\"machine\": \"$(nproc) cores\", \"rate\": $RATE, \"runs\": $RUNS, \"seconds_per_run\": $SECONDS_PER_RUN, \"pg_options\": \"${PG_OPTIONS:-}\", \"silo_own_outbox\": \"${SILO_OWN_OUTBOX:-}\"}" | tee -a "$RESULTS"
bench_settings
# shellcheck disable=SC2086
qrm_start_postgres ${PG_OPTIONS:-}
start_cluster latency 2
OFFSET=90000000
$DRIVER --label latency/warmup --workload send --concurrency 16 --duration 5 --target "$T" --phone-offset $OFFSET --out "$WORK/warmup.jsonl" >/dev/null
for run in $(seq 1 "$RUNS"); do
  OFFSET=$((OFFSET + 1000000))
  $DRIVER --label "latency/open-$RATE/$run" --workload send --rate "$RATE" --duration "$SECONDS_PER_RUN" --target "$T" \
    --phone-offset $OFFSET --out "$RESULTS" --pids "$(IFS=,; echo "${CLUSTER_PIDS[*]}")"
done
stop_cluster
echo "== done: $RESULTS"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and '"p99_ms"' in l]
p99 = [r["p99_ms"] for r in rows]
print(json.dumps({"p99_ms": p99, "median_p99_ms": statistics.median(p99), "p50_ms": [r["p50_ms"] for r in rows]}))
PY
