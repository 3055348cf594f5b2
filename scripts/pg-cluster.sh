#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the warehouse tests and benchmark: no system service, a
# temporary folder, a free port on 127.0.0.1, password authentication.
#
#   scripts/pg-cluster.sh start DIR [WATCH_PID]  prints the connection URL; with WATCH_PID the
#                                               cluster stops and DIR is removed when that
#                                               process exits
#   scripts/pg-cluster.sh stop DIR               stops it and removes DIR
#
# Run as root (CI), the server runs as the `postgres` user, which initdb requires.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?a folder for the cluster}

bindir=""
if command -v pg_config >/dev/null 2>&1; then bindir=$(pg_config --bindir); fi
if [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
if [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL is not installed (scripts/setup.sh installs Debian's postgresql)" >&2
  exit 1
fi

as_owner() {
  # From /, which the server user can always enter (the caller's folder may be private).
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$dir"; chmod 700 "$dir"
      # The server user must reach DIR (mktemp makes its folders private to root).
      chmod o+x "$(dirname "$dir")"
    fi
    password=verdict-test
    as_owner bash -c "printf '%s\n' '$password' > '$dir/pw'"
    as_owner "$bindir/initdb" -D "$dir/data" -U verdict --pwfile="$dir/pw" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: the first from a random start that nothing answers on.
    port=$((20000 + RANDOM % 20000))
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    # Throwaway data: no fsync, small memory, enough connections for parallel tests.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -h 127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=256MB -c work_mem=64MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" > "$dir/port"
    if [ -n "${3:-}" ]; then
      watched=$3
      # Detached from the caller's output, so a test harness reading it does not wait on us.
      nohup bash -c "while kill -0 $watched 2>/dev/null; do sleep 1; done; '$0' stop '$dir'" \
        >/dev/null 2>&1 &
    fi
    echo "postgres://verdict:$password@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR [WATCH_PID] | stop DIR" >&2
    exit 2
    ;;
esac
