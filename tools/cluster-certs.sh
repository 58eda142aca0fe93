#!/usr/bin/env bash
# The cluster's own CA and certificates for Cluster:Tls (README, "Cluster TLS"). Needs openssl.
#   tools/cluster-certs.sh ca DIR            DIR/ca.pem (every process trusts it) and DIR/ca.key (keep it offline)
#   tools/cluster-certs.sh silo DIR NAME     DIR/NAME.pem: a silo's certificate and key (server and client usage)
#   tools/cluster-certs.sh client DIR NAME   DIR/NAME.pem: a pure gateway's or an operator's certificate and key
#                                            (client usage only: it can call grains, never join as a silo)
# Certificates last DAYS days (default 365; the CA 3650). Replace them by a rolling restart (README).
set -euo pipefail
usage() { sed -n '2,7p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
kind=$1 dir=$2 name=${3:-}
umask 077
mkdir -p "$dir"
case "$kind" in
  ca)
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
      -subj "/CN=${name:-QrMahalla cluster CA}" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
      -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    chmod 644 "$dir/ca.pem"
    echo "$dir/ca.pem (trust it everywhere) and $dir/ca.key (keep it offline)";;
  silo|client)
    [ -n "$name" ] || usage
    [ -f "$dir/ca.key" ] || { echo "$dir/ca.key is missing: run '$0 ca $dir' first" >&2; exit 1; }
    extended=clientAuth
    [ "$kind" = silo ] && extended=serverAuth,clientAuth
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
      -subj "/OU=$kind/CN=$name" -keyout "$work/key.pem" -out "$work/request.pem" 2>/dev/null
    printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$extended" > "$work/extensions"
    openssl x509 -req -in "$work/request.pem" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -sha256 -days "${DAYS:-365}" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/extensions" -out "$work/certificate.pem" 2>/dev/null
    cat "$work/certificate.pem" "$work/key.pem" > "$dir/$name.pem"
    echo "$dir/$name.pem ($kind certificate and key; Cluster:Tls:CertificatePath)";;
  *) usage;;
esac
