#!/usr/bin/env bash
# Start, stop and show Downtown's services for the demo towns (deploy/local/towns/*.env).
# The stack (Kafka, PostgreSQL, venv) must be up first: `bash deploy/local/stack.sh up`.
#
#   bash deploy/local/services.sh start   # provision, start API + worker per town, seed, print where to look
#   bash deploy/local/services.sh stop    # stop every service process started here
#   bash deploy/local/services.sh status
#
# Each town is a separate instance: its own database (downtown_<town>_catalog), topic
# prefix (<town>.catalog.*), ports and secrets. DOWNTOWN_KAFKA_BOOTSTRAP and
# DOWNTOWN_DATABASE_URL (a server URL; the town's database name is filled in) point the
# services at an existing broker and PostgreSQL instead of the local ones.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN="$ROOT/.downtown/venv/bin"
RUN="$ROOT/.downtown/run"
LOGS="$ROOT/.downtown/logs"
TOWNS_DIR="$ROOT/deploy/local/towns"
KAFKA=${DOWNTOWN_KAFKA_BOOTSTRAP:-127.0.0.1:19092}
DATABASE_SERVER=${DOWNTOWN_DATABASE_URL:-postgresql://downtown@127.0.0.1:15432/postgres}
mkdir -p "$RUN" "$LOGS"

say() { printf '==> %s\n' "$*"; }
towns() { for file in "$TOWNS_DIR"/*.env; do basename "$file" .env; done; }

town_secrets() {  # .downtown/towns/<town>.secrets.env: made once per installation, never committed
    local file="$ROOT/.downtown/towns/$1.secrets.env"
    mkdir -p "$(dirname "$file")"
    (
        umask 077
        touch "$file"
        if ! grep -q '^DOWNTOWN_TOKEN_SIGNING_KEY=' "$file"; then
            "$BIN/python" -c 'from downtown_events.runtime.identity import new_signing_key
print(f"DOWNTOWN_TOKEN_SIGNING_KEY={new_signing_key()}")' >>"$file"
        fi
        if ! grep -q '^DOWNTOWN_ASSOCIATION_TOKEN=' "$file"; then
            "$BIN/python" -c 'import secrets; print(f"DOWNTOWN_ASSOCIATION_TOKEN={secrets.token_urlsafe(24)}")' >>"$file"
        fi
    )
    echo "$file"
}

town_env() {  # the environment of one town's processes, in the current shell
    local town=$1 secrets_file
    secrets_file=$(town_secrets "$town")
    set -a
    # shellcheck disable=SC1090
    source "$TOWNS_DIR/$town.env"
    # shellcheck disable=SC1090
    source "$secrets_file"
    set +a
    export DOWNTOWN_KAFKA_BOOTSTRAP="$KAFKA"
    DOWNTOWN_DATABASE_URL=$("$BIN/python" -c 'import sys, urllib.parse as u
print(u.urlsplit(sys.argv[1])._replace(path="/" + sys.argv[2]).geturl())' "$DATABASE_SERVER" "downtown_${town}_catalog")
    export DOWNTOWN_DATABASE_URL
    export DOWNTOWN_PHOTO_DIR="$ROOT/.downtown/photos"
    export DOWNTOWN_WORKER_DATA_DIR="$ROOT/.downtown/worker-data"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_process() {  # name, command...
    local name=$1; shift
    local pidfile="$RUN/$name.pid"
    if running "$pidfile"; then
        say "$name already running (pid $(cat "$pidfile"))"
        return
    fi
    nohup "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    say "$name started (pid $!, log .downtown/logs/$name.log)"
}

wait_ready() {  # name, url
    local name=$1 url=$2
    for _ in $(seq 1 90); do
        if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
        if ! running "$RUN/$name.pid"; then
            echo "!! $name exited; last lines of .downtown/logs/$name.log:" >&2
            tail -n 20 "$LOGS/$name.log" >&2
            return 1
        fi
        sleep 1
    done
    echo "!! $name not ready after 90 s at $url; see .downtown/logs/$name.log" >&2
    return 1
}

start() {
    for town in $(towns); do
        (
            town_env "$town"
            say "$town: provisioning database, topics and migrations"
            "$BIN/catalog-admin" provision --create-database
            start_process "$town-catalog-api" "$BIN/catalog-api"
            start_process "$town-catalog-worker" "$BIN/catalog-worker"
            wait_ready "$town-catalog-api" "http://127.0.0.1:$DOWNTOWN_HTTP_PORT/healthz/ready"
            wait_ready "$town-catalog-worker" "http://127.0.0.1:$DOWNTOWN_WORKER_PORT/healthz/ready"
            "$BIN/python" deploy/local/seed.py --town "$town" --api "http://127.0.0.1:$DOWNTOWN_HTTP_PORT"
        )
    done
    print_guide
}

stop() {
    for pidfile in "$RUN"/*.pid; do
        [ -e "$pidfile" ] || continue
        local name pid
        name=$(basename "$pidfile" .pid)
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
            say "$name stopped"
        fi
        rm -f "$pidfile"
    done
}

status() {
    for town in $(towns); do
        for process in catalog-api catalog-worker; do
            if running "$RUN/$town-$process.pid"; then
                echo "$town-$process: running (pid $(cat "$RUN/$town-$process.pid"))"
            else
                echo "$town-$process: stopped"
            fi
        done
    done
}

print_guide() {
    echo
    echo "Downtown is running. Per town:"
    for town in $(towns); do
        (
            town_env "$town"
            local api="http://127.0.0.1:$DOWNTOWN_HTTP_PORT"
            echo
            echo "  $DOWNTOWN_TOWN_NAME ($town)"
            echo "    API docs      $api/docs"
            echo "    search        curl '$api/catalog?q=wein'"
            echo "    directory     curl '$api/directory?open_now=true'"
            echo "    register      curl -X POST $api/merchants -H 'Content-Type: application/json' \\"
            echo "                    -d '{\"name\":\"Mein Laden\",\"category\":\"Geschenke\",\"address\":{\"street\":\"Markt 1\",\"postal_code\":\"$DOWNTOWN_TOWN_POSTAL_CODE\",\"city\":\"$DOWNTOWN_TOWN_NAME\"},\"phone\":\"0255 1\",\"email\":\"laden@example.de\"}'"
            echo "    list product  curl -X POST $api/offers/products -H 'Authorization: Bearer <token>' \\"
            echo "                    -F photo=@bottle.jpg -F price=12,90 -F title='Riesling 2023'"
            echo "    worker health $(printf 'http://127.0.0.1:%s/healthz/ready' "$DOWNTOWN_WORKER_PORT")"
            echo "    rebuild       make rebuild TOWN=$town PROJECTION=town_catalog"
            echo "    association   token in .downtown/towns/$town.secrets.env (suspend merchants, replace lost tokens)"
        )
    done
    echo
    echo "Logs: .downtown/logs/   Stop everything: make stop"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) town_env "${2:?town}"; env | grep '^DOWNTOWN_' ;;
    *) echo "usage: $0 start|stop|status|env TOWN" >&2; exit 2 ;;
esac
