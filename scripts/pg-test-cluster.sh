#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the fleet bench, from
# Debian's postgresql package (scripts/setup.sh --test installs it): its data
# directory and its unix socket live in a temp dir, it listens on no TCP port
# (so no port can collide), trust authentication on the socket only.
#
#   scripts/pg-test-cluster.sh start DIR   → prints the connection URL
#   scripts/pg-test-cluster.sh stop DIR    → stops the server and removes DIR
#
# initdb refuses root: as root the cluster belongs to the `postgres` user
# (created by the package) and runs as it; otherwise as the current user.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for v in 17 16 15; do [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && { bindir=/usr/lib/postgresql/$v/bin; break; }; done
fi
if [ -z "$bindir" ]; then echo "pg-test-cluster: no PostgreSQL server found (apt install postgresql; scripts/setup.sh --test does)" >&2; exit 1; fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    if ! as_owner test -w "$dir"; then
      echo "pg-test-cluster: $dir is not reachable by the cluster's owner (every parent directory must be searchable; use one like \$(mktemp -d))" >&2
      exit 1
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # No TCP; the socket in DIR; small and fast (a test cluster: no fsync).
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    # The socket directory must be reachable by the (root) test process: it is.
    chmod 755 "$dir"
    as_owner "$bindir/createdb" -h "$dir" -U postgres virt
    echo "postgres://postgres@localhost/virt?host=$dir"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
