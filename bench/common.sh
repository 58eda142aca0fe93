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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 120); do curl -sf "$1/health/ready" >/dev/null && return 0; sleep 0.5; done
  echo "not ready: $1"; return 1
}
