# Sourced by test.sh and the bench scripts: a private PostgreSQL in a temp folder on 127.0.0.1, installed with
# apt-get when its binaries are missing. qrm_start_postgres [server options...] exports QRM_PG_PORT and
# QRM_PG_CONNECTION; qrm_stop_postgres stops it and removes the folder.

qrm_pg_dir=""
qrm_pg_bin=""

qrm_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

qrm_start_postgres() {
  qrm_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$qrm_pg_bin" ] || [ ! -x "$qrm_pg_bin/initdb" ]; then
    echo "PostgreSQL is missing; installing it with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    qrm_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  qrm_pg_dir=$(mktemp -d /tmp/qrm-pg.XXXXXX)
  chmod 755 "$qrm_pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$qrm_pg_dir"
  qrm_as_postgres "$qrm_pg_bin/initdb" -D "$qrm_pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$qrm_pg_dir/initdb.log" 2>&1 \
    || { cat "$qrm_pg_dir/initdb.log"; return 1; }
  qrm_as_postgres "$qrm_pg_bin/pg_ctl" -D "$qrm_pg_dir/data" -w -t 60 -l "$qrm_pg_dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $qrm_pg_dir -c max_connections=400 $*" start >/dev/null \
    || { cat "$qrm_pg_dir/server.log"; return 1; }
  export QRM_PG_PORT=$port
  export QRM_PG_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "PostgreSQL $("$qrm_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

qrm_restart_postgres() {
  qrm_as_postgres "$qrm_pg_bin/pg_ctl" -D "$qrm_pg_dir/data" -w -t 60 -m fast restart >/dev/null
}

qrm_stop_postgres() {
  if [ -n "$qrm_pg_dir" ] && [ -d "$qrm_pg_dir/data" ]; then
    qrm_as_postgres "$qrm_pg_bin/pg_ctl" -D "$qrm_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$qrm_pg_dir"
  fi
}
