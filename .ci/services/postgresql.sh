# Sourced by .ci/run (set -euo pipefail). Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the storage tests,
# exports its connection string in HOOKS_POSTGRES (with it set, PostgreSQL tests fail when the server does not
# answer; without it they are skipped), and stops it and removes the cluster when .ci/run exits.

hooks_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

if ! hooks_pg_bin >/dev/null; then
  echo "PostgreSQL not found: installing it for the storage tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
hooks_pg_dir="$(hooks_pg_bin)"

# PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user (the Debian package makes it).
hooks_pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

hooks_pg_root="$(mktemp -d -t hooks-pg.XXXXXX)"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$hooks_pg_root"
fi
hooks_pg_as "$hooks_pg_dir/initdb" -D "$hooks_pg_root/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$hooks_pg_root/initdb.log" 2>&1 \
  || { cat "$hooks_pg_root/initdb.log" >&2; exit 1; }

hooks_pg_stop() {
  if [ -n "${hooks_pg_root:-}" ] && [ -d "$hooks_pg_root/data" ]; then
    hooks_pg_as "$hooks_pg_dir/pg_ctl" -D "$hooks_pg_root/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${hooks_pg_root:-}" ] && rm -rf "$hooks_pg_root"
}
# Keep any exit trap set before this script, and run ours after it.
hooks_pg_previous_trap="$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")"
# shellcheck disable=SC2064
trap "${hooks_pg_previous_trap:+$hooks_pg_previous_trap; }hooks_pg_stop" EXIT

# A free port: pick one nobody listens on; if another process takes it before the server binds, try another.
hooks_pg_port=""
for _ in 1 2 3 4 5 6 7 8; do
  candidate=$((20000 + RANDOM % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    continue
  fi
  if hooks_pg_as "$hooks_pg_dir/pg_ctl" -D "$hooks_pg_root/data" -l "$hooks_pg_root/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $candidate -k $hooks_pg_root -c fsync=off -c max_connections=200" start >/dev/null; then
    hooks_pg_port="$candidate"
    break
  fi
done
if [ -z "$hooks_pg_port" ]; then
  echo "PostgreSQL did not start:" >&2
  cat "$hooks_pg_root/server.log" >&2 || true
  exit 1
fi

hooks_pg_as "$hooks_pg_dir/createdb" -h 127.0.0.1 -p "$hooks_pg_port" -U postgres hooks_tests
export HOOKS_POSTGRES="Host=127.0.0.1;Port=$hooks_pg_port;Username=postgres;Database=hooks_tests"
echo "PostgreSQL $("$hooks_pg_dir/postgres" --version | awk '{print $3}') on 127.0.0.1:$hooks_pg_port for the storage tests (HOOKS_POSTGRES)"
