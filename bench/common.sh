# Sourced by bench/run.sh and bench/drills.sh after they set RESULTS and WORK: cleanup on exit (processes,
# PostgreSQL, logs kept beside the results), a Release build, and the helpers both use.
. tools/postgres.sh
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  qrm_stop_postgres
  mkdir -p "${RESULTS%.jsonl}-logs" && cp "$WORK"/*.log "${RESULTS%.jsonl}-logs/" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== build (Release)"
dotnet build QrMahalla.Orleans.sln -c Release -nologo -clp:ErrorsOnly
dotnet build bench/LoadDriver -c Release -nologo -clp:ErrorsOnly
DRIVER="dotnet bench/LoadDriver/bin/Release/net10.0/QrMahalla.LoadDriver.dll"
SILO_DLL=src/Silo/bin/Release/net10.0/QrMahalla.Silo.dll
GATEWAY_DLL=src/Gateway/bin/Release/net10.0/QrMahalla.Gateway.dll

bench_settings() { # what every benchmark process shares: fresh secrets, the File SMS sink, no per-address limits
  export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development Logging__LogLevel__Default=Warning
  export Otp__HashKey=$(openssl rand -base64 32) Jwt__SigningKeys__0__Kid=bench
  export Jwt__SigningKeys__0__Pem="$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)"
  export Sms__Provider=File Sms__FilePath="$WORK/sms-outbox.jsonl"
  export RateLimiting__SendPerIpPerMinute=0 RateLimiting__VerifyPerIpPerMinute=0
}
psql_q() { # database sql: one statement on the benchmark's PostgreSQL, rows unaligned, no headers or command tags
  qrm_as_postgres "$qrm_pg_bin/psql" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres -d "$1" -qtAc "$2"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 120); do curl -sf "$1/health/ready" >/dev/null && return 0; sleep 0.5; done
  echo "not ready: $1"; return 1
}
start_cluster() { # database silos [silo dll] [gateway dll] -> sets CLUSTER_PIDS, T (PostgreSQL must be running)
  local db=$1 silos=$2 silo_dll=${3:-$SILO_DLL} gateway_dll=${4:-$GATEWAY_DLL}
  qrm_as_postgres "$qrm_pg_bin/createdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres "$db"
  export Storage__Provider=PostgreSql Cluster__Provider=PostgreSql Cluster__ClusterId="$db"
  export Storage__ConnectionString="Host=127.0.0.1;Port=$QRM_PG_PORT;Username=postgres;Database=$db;Maximum Pool Size=200"
  CLUSTER_PIDS=()
  for i in $(seq 1 "$silos"); do
    # SILO_OWN_OUTBOX=1 gives each silo its own File-sink outbox (no cross-process lock; no login workload then).
    local outbox=$Sms__FilePath
    [ -n "${SILO_OWN_OUTBOX:-}" ] && outbox="$WORK/$db-outbox-$i.jsonl"
    Sms__FilePath=$outbox Cluster__SiloPort=$(free_port) Cluster__GatewayPort=$(free_port) dotnet "$silo_dll" > "$WORK/$db-silo-$i.log" 2>&1 &
    CLUSTER_PIDS+=($!); PIDS+=($!)
  done
  for _ in $(seq 1 120); do
    [ "$(psql_q "$db" 'SELECT COUNT(*) FROM qrm_membership WHERE status = 3' 2>/dev/null || echo 0)" = "$silos" ] && break
    sleep 0.5
  done
  local port; port=$(free_port)
  Gateway__CoHostSilo=false Urls="http://127.0.0.1:$port" dotnet "$gateway_dll" > "$WORK/$db-gateway.log" 2>&1 &
  CLUSTER_PIDS+=($!); PIDS+=($!)
  T="http://127.0.0.1:$port"
  wait_ready "$T"
}
stop_cluster() { for pid in "${CLUSTER_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; unset Storage__Provider Cluster__Provider; }
pg_upsert_ceiling() { # label: pgbench single-row upserts, one per transaction, at $CONCURRENCY for $SECONDS_PER_RUN
  local label=$1 db="ceiling_$RANDOM"
  qrm_as_postgres "$qrm_pg_bin/createdb" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres "$db"
  qrm_as_postgres "$qrm_pg_bin/psql" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres -d "$db" -qc \
    "CREATE TABLE bench_upsert (k bigint PRIMARY KEY, v bytea NOT NULL, version int NOT NULL)"
  cat > "$WORK/upsert.sql" <<'SQL'
\set k random(1, 1000000)
INSERT INTO bench_upsert (k, v, version) VALUES (:k, decode(repeat('ab', 150), 'hex'), 1)
ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, version = bench_upsert.version + 1;
SQL
  chmod 644 "$WORK/upsert.sql"; chmod 755 "$WORK"
  local out tps lat
  out=$(qrm_as_postgres "$qrm_pg_bin/pgbench" -h 127.0.0.1 -p "$QRM_PG_PORT" -U postgres -n -c "$CONCURRENCY" -j 2 -T "$SECONDS_PER_RUN" -f "$WORK/upsert.sql" "$db" 2>&1)
  tps=$(echo "$out" | awk '/^tps/{print $3; exit}')
  lat=$(echo "$out" | awk '/latency average/{print $4; exit}')
  echo "{\"label\": \"$label\", \"workload\": \"pgbench single-row upsert\", \"mode\": \"closed $CONCURRENCY\", \"per_second\": $tps, \"avg_ms\": $lat}" | tee -a "$RESULTS"
}
