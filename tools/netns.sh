#!/usr/bin/env bash
# Hosts as network namespaces, for the host tests and bench/host-drills.sh (root only). Each host qrm-hN has its own
# network stack and one address, 10.199.77.(10+N)/24, on a bridge (qrmbr0, 10.199.77.1) that this script creates and
# removes; the namespaces get no default route, so nothing in them reaches anything but that subnet. PostgreSQL for
# the hosts listens on the bridge address.
#   tools/netns.sh up N            remove a crashed run's leftovers, then make hosts 1..N
#   tools/netns.sh down            kill every process in the hosts, remove them and the bridge
#   tools/netns.sh addr N          print host N's address
#   tools/netns.sh kill N          SIGKILL every process in host N (its kernel still closes their connections)
#   tools/netns.sh vanish N        host N's link down, then every process SIGKILLed: the machine is gone, and no
#                                  connection close reaches anyone (peers learn it from timeouts, as with a dead host)
#   tools/netns.sh cut N | mend N  take host N's link down (a partition) | bring it back
#   tools/netns.sh pg [OPTIONS]    start PostgreSQL on 127.0.0.1 and the bridge; prints "<data folder> <port>"
#   tools/netns.sh pg-stop DIR     stop that PostgreSQL (immediate) and remove its folder
set -euo pipefail
BRIDGE=qrmbr0
SUBNET=10.199.77
PREFIX=qrm-h

addr() { echo "$SUBNET.$((10 + $1))"; }

hosts() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX[0-9]*$" || true; }

down() {
  for host in $(hosts); do
    for pid in $(ip netns pids "$host" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$host" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^qrm-v[0-9]*$' || true); do
    ip link delete "$link" 2>/dev/null || true
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
}

up() {
  local count=$1
  [ "$(id -u)" -eq 0 ] || { echo "tools/netns.sh needs root (network namespaces)" >&2; exit 1; }
  down
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for n in $(seq 1 "$count"); do
    local host="$PREFIX$n" outside="qrm-v$n"
    ip netns add "$host"
    ip link add "$outside" type veth peer name eth0 netns "$host"
    ip link set "$outside" master "$BRIDGE" up
    ip -n "$host" addr add "$(addr "$n")/24" dev eth0
    ip -n "$host" link set lo up
    ip -n "$host" link set eth0 up
  done
  # The bridge forwards at once (no learning delay), so a host is reachable as soon as it is up.
  ip link set "$BRIDGE" type bridge forward_delay 0 2>/dev/null || true
}

pg() {
  cd "$(dirname "$0")/.."
  . tools/postgres.sh
  qrm_start_postgres -c "listen_addresses=127.0.0.1,$SUBNET.1" "$@" >/dev/null
  echo "host all all $SUBNET.0/24 trust" >> "$qrm_pg_dir/data/pg_hba.conf"
  qrm_as_postgres "$qrm_pg_bin/pg_ctl" -D "$qrm_pg_dir/data" reload >/dev/null
  echo "$qrm_pg_dir $QRM_PG_PORT"
}

pg_stop() {
  local dir=$1 bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

command=${1:-}
shift || true
case "$command" in
  up) up "${1:?how many hosts}";;
  down) down;;
  addr) addr "${1:?which host}";;
  kill) for pid in $(ip netns pids "$PREFIX${1:?which host}"); do kill -9 "$pid" 2>/dev/null || true; done;;
  vanish) ip link set "qrm-v${1:?which host}" down
          for pid in $(ip netns pids "$PREFIX$1"); do kill -9 "$pid" 2>/dev/null || true; done;;
  cut) ip link set "qrm-v${1:?which host}" down;;
  mend) ip link set "qrm-v${1:?which host}" up;;
  pg) pg "$@";;
  pg-stop) pg_stop "${1:?which folder}";;
  *) sed -n '2,15p' "$0" >&2; exit 2;;
esac
