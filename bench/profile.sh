#!/usr/bin/env bash
# Where the CPU goes: one configuration under steady load, a CPU-sampling trace (dotnet-trace) of each of its
# processes, and each trace's top methods by exclusive samples. Loopback only; bounded in time.
# Usage: bench/profile.sh <embedded|pg-one|cluster|memory> [send|login = send] [trace seconds = 10] [concurrency = 16]
#        Storage__Writer=AdoNet bench/profile.sh ... profiles the ADO.NET writer instead.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:?usage: bench/profile.sh <embedded|pg-one|cluster|memory> [send|login] [seconds] [concurrency]}
WORKLOAD=${2:-send}
TRACE_SECONDS=${3:-10}
CONCURRENCY=${4:-16}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-trace >/dev/null || dotnet tool install -g dotnet-trace --version 10.0.750501 >/dev/null

mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="bench/results/profile-$CONFIG-$WORKLOAD-$STAMP.jsonl"
WORK=$(mktemp -d /tmp/qrm-profile.XXXXXX)
. bench/common.sh
bench_settings
start_one() { # storage-variables...: one process with a co-hosted silo -> T, CLUSTER_PIDS
  local port silo_port; port=$(free_port); silo_port=$(free_port)
  env "$@" Cluster__Provider=Localhost Urls="http://127.0.0.1:$port" Cluster__SiloPort="$silo_port" \
    Cluster__PrimarySiloPort="$silo_port" Cluster__GatewayPort="$(free_port)" dotnet "$GATEWAY_DLL" > "$WORK/$CONFIG.log" 2>&1 &
  CLUSTER_PIDS=($!); PIDS+=($!)
  T="http://127.0.0.1:$port"
  wait_ready "$T"
}
case "$CONFIG" in
  embedded) start_one Storage__Provider=Sqlite Storage__ConnectionString="Data Source=$WORK/embedded.db" ;;
  memory) start_one Storage__Provider=Memory ;;
  pg-one) qrm_start_postgres
    qrm_as_postgres "$qrm_pg_bin/createdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres profile
    start_one Storage__Provider=PostgreSql Storage__ConnectionString="Host=127.0.0.1;Port=$QRM_PG_PORT;Username=postgres;Database=profile;Maximum Pool Size=200" ;;
  cluster) qrm_start_postgres; start_cluster profile 2 ;;
  *) echo "unknown configuration '$CONFIG'"; exit 2 ;;
esac

OUTBOX=()
[ "$WORKLOAD" = login ] && OUTBOX=(--outbox "$Sms__FilePath")
echo "== warm-up, then $TRACE_SECONDS s of traces under load"
$DRIVER --label "profile/$CONFIG/warmup" --workload "$WORKLOAD" --concurrency "$CONCURRENCY" --duration 15 --target "$T" --phone-offset 1000000 "${OUTBOX[@]}" --out "$WORK/warmup.jsonl" >/dev/null
pids=$(IFS=,; echo "${CLUSTER_PIDS[*]}")
$DRIVER --label "profile/$CONFIG/$WORKLOAD" --workload "$WORKLOAD" --concurrency "$CONCURRENCY" --duration $((TRACE_SECONDS + 6)) --target "$T" --phone-offset 2000000 "${OUTBOX[@]}" --out "$RESULTS" --pids "$pids" &
DRIVER_PID=$!
sleep 3
TRACERS=()
for pid in "${CLUSTER_PIDS[@]}"; do
  dotnet-trace collect-linux -p "$pid" --profile cpu-sampling --duration "00:00:00:$(printf %02d "$TRACE_SECONDS")" -o "$WORK/trace-$pid.nettrace" > "$WORK/trace-$pid.log" 2>&1 &
  TRACERS+=($!)
done
wait "$DRIVER_PID" "${TRACERS[@]}" || true
for pid in "${CLUSTER_PIDS[@]}"; do
  name=$(tr '\0' ' ' < /proc/"$pid"/cmdline | grep -o 'QrMahalla\.[A-Za-z]*' | head -1)
  echo "== $name (pid $pid): top methods by exclusive CPU samples"
  dotnet-trace report "$WORK/trace-$pid.nettrace" topN -n 25 2>&1 | tee "bench/results/profile-$CONFIG-$WORKLOAD-$STAMP-$pid.txt"
  cp "$WORK/trace-$pid.nettrace" "bench/results/profile-$CONFIG-$WORKLOAD-$STAMP-$pid.nettrace"
done
echo "== done: $RESULTS"
