#!/bin/sh
# The part of the official postgres image's entrypoint that compose relies on: on the first start
# an empty PGDATA becomes a cluster whose superuser is POSTGRES_USER with POSTGRES_PASSWORD, with
# the database POSTGRES_DB (default: the user's name); connections from the network need that
# password (scram-sha-256). The server then runs as `postgres`, never as root.
set -eu
if [ "${1:-}" = postgres ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required (the superuser password)}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chown postgres "$pwfile"
    runuser -u postgres -- initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
      echo "CREATE DATABASE \"$db\";" | runuser -u postgres -- postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "docker-entrypoint.sh: made the cluster in $PGDATA (superuser $user, database $db)"
  fi
  exec runuser -u postgres -- "$@"
fi
exec "$@"
