#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Start, stop and show Downtown's services for the demo towns (deploy/local/towns/*.env).
# The stack (Kafka, PostgreSQL, venv) must be up first: `bash deploy/local/stack.sh up`.
#
#   bash deploy/local/services.sh start               # per town and service: provision, start API + worker;
#                                                     # then seed each town, print where to look
#   bash deploy/local/services.sh stop                # stop every service process started here
#   bash deploy/local/services.sh status
#   bash deploy/local/services.sh env TOWN [SERVICE]  # one service's environment (default catalog), shell-quoted
#
# Services start in the order of SERVICES below, each town's catalog first (vouchers reads its
# topic). A service is started when services/<name>/pyproject.toml exists and its console
# scripts <name>-api, -worker and -admin are installed in .downtown/venv and load; a service
# whose package exists but whose code does not load yet is skipped with a one-line note.
#
# Per town and service: its own database downtown_<town>_<service>, topics <town>.<service>.*,
# ports (the town file's DOWNTOWN_PORT_BASE + the service's place in SERVICES for the API,
# + 10 more for the worker's health: catalog 18101/18111 in Schöppingen), worker data dir
# .downtown/worker-data/<service>, logs .downtown/logs/<town>-<service>-{api,worker}.log.
#
# Secrets: .downtown/towns/<town>.secrets.env, made once per installation (mode 600, never
# committed). A line NAME=value reaches every service of the town (the association token);
# <service>__NAME=value reaches only that service, as NAME (the catalog's token signing key,
# vouchers' code hash key and payment webhook secret, ordering's customer-token signing key,
# the same for its API and worker: links made by one are mailed by the other). Every service
# but the catalog also gets DOWNTOWN_TRUSTED_TOKEN_KEYS, the catalog's public key, to verify
# merchant tokens.
#
# Mail: when catalog, ordering, vouchers or dispatch runs, each town gets a local SMTP catcher
# (deploy/local/mailcatcher.py, on 127.0.0.1, the town's port base + 25: 18125 in Schöppingen)
# that writes every mail it receives to .downtown/mail/<town>/<timestamp>-<id>.eml and sends
# nothing on; the town's catalog (a merchant's sign-in link), ordering, vouchers and dispatch (a
# courier's sign-in link) send there (DOWNTOWN_SMTP_HOST/PORT); their links open the town's web
# front (ordering's DOWNTOWN_PUBLIC_URL, the catalog's and dispatch's DOWNTOWN_WEB_URL). It starts before the services and stops with them.
#
# Web front: when ordering runs, each town's storefront (downtown-web, web/) starts after its
# services, on the town's port base itself (http://127.0.0.1:18100 in Schöppingen), over the
# services' APIs (DOWNTOWN_CATALOG_URL, _ORDERING_URL, _VOUCHERS_URL, _DISPATCH_URL); log
# .downtown/logs/<town>-web.log.
#
# Seeding, per town, in start order: deploy/local/seed/<service>.py, if it exists, runs as
#   .downtown/venv/bin/python -P deploy/local/seed/<service>.py --town <town>
# (-P: its folder is not on sys.path, so seed/vouchers.py does not shadow the vouchers package)
# with DOWNTOWN_TOWN, DOWNTOWN_ASSOCIATION_TOKEN and DOWNTOWN_<SERVICE>_API (e.g.
# DOWNTOWN_CATALOG_API=http://127.0.0.1:18101) set for every running service of the town. It
# must be idempotent (make run seeds on every run); a failing seed fails make run (after every
# town is started and seeded as far as it goes, and the guide is printed).
#
# Guide: after the API docs and worker health of each running service, the printed guide
# shows the lines of deploy/local/guide/<service>.txt, if it exists ('#' lines are skipped),
# with {api} {worker} {town} {town_name} {postal_code} {mail_dir} and {<service>_api} filled in.
#
# DOWNTOWN_KAFKA_BOOTSTRAP and DOWNTOWN_DATABASE_URL (a server URL; each database name is
# filled in) point the services at an existing broker and PostgreSQL instead of the local
# ones. No other DOWNTOWN_* variable of the caller reaches a service except DOWNTOWN_LOG_LEVEL.
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

SERVICES=(catalog vouchers ordering dispatch)  # start order; a service's place (from 1) sets its ports
declare -A OWN_SECRETS=(                       # secrets only that service's processes see
    [catalog]="DOWNTOWN_TOKEN_SIGNING_KEY"
    [vouchers]="DOWNTOWN_CODE_HASH_KEY DOWNTOWN_PAYMENT_WEBHOOK_SECRET DOWNTOWN_CODE_DELIVERY_KEY"
    [ordering]="DOWNTOWN_TOKEN_SIGNING_KEY"
    [dispatch]="DOWNTOWN_TOKEN_SIGNING_KEY"
)
declare -A SHARED_SECRETS=(                    # secrets a few services share: name -> those services
    [DOWNTOWN_DELIVERY_HANDOFF_KEY]="ordering dispatch"  # ordering seals a courier order's drop-off, dispatch opens it
)
TOWN_SECRETS=(DOWNTOWN_ASSOCIATION_TOKEN)      # the town's: every service sees them
CATALOG_KEY_ID=catalog-1                       # the catalog's default token_key_id

say() { printf '==> %s\n' "$*"; }
towns() { for file in "$TOWNS_DIR"/*.env; do basename "$file" .env; done; }

# --- which services run here --------------------------------------------------------------

RUNNABLE=()       # filled by find_services: the services to start, in start order
declare -A SKIPPED=()  # service -> why it is not started

find_services() {
    local service reason
    RUNNABLE=()
    for service in "${SERVICES[@]}"; do
        [ -f "services/$service/pyproject.toml" ] || continue  # not built yet: nothing to say
        if [ "$service" != catalog ] && [ "${RUNNABLE[0]:-}" != catalog ]; then
            reason="it needs the catalog (its merchant tokens and topic), which does not run"
        elif [ ! -x "$BIN/$service-api" ]; then
            reason="$service-api is not installed in .downtown/venv (bash deploy/local/stack.sh python)"
        else
            reason=$(scripts_load "$service")
        fi
        if [ -z "$reason" ]; then
            RUNNABLE+=("$service")
        else
            SKIPPED[$service]=$reason
        fi
    done
}

scripts_load() {  # prints why the service's console scripts do not load; nothing when they do
    "$BIN/python" - "$1" <<'EOF'
import sys
from importlib.metadata import entry_points

service = sys.argv[1]
scripts = {script.name: script for script in entry_points(group="console_scripts")}
for name in (f"{service}-api", f"{service}-worker", f"{service}-admin"):
    try:
        scripts[name].load()
    except Exception as error:  # noqa: BLE001 - any reason is a reason not to start it
        print(f"{name} does not load yet ({type(error).__name__}: {error})")
        break
EOF
}

note_skipped() {
    local service
    for service in "${!SKIPPED[@]}"; do say "$service: not started, ${SKIPPED[$service]}"; done
}

# --- secrets --------------------------------------------------------------------------------

secrets_file() { echo "$ROOT/.downtown/towns/$1.secrets.env"; }

ensure_secrets() {  # town: make what is missing, once per installation; migrate older files in place
    local file service name
    file=$(secrets_file "$1")
    mkdir -p "$(dirname "$file")"
    (
        umask 077
        if [ ! -e "$file" ]; then
            printf '# %s\n' "Demo town $1's secrets, made by deploy/local/services.sh; never commit them." \
                "NAME=value reaches every service of the town; <service>__NAME=value only that service." >"$file"
        fi
        # Before each service had its own secrets, the catalog's signing key had no prefix.
        if grep -q '^DOWNTOWN_TOKEN_SIGNING_KEY=' "$file"; then
            sed -i 's/^DOWNTOWN_TOKEN_SIGNING_KEY=/catalog__DOWNTOWN_TOKEN_SIGNING_KEY=/' "$file"
        fi
        chmod 600 "$file"
        for name in "${TOWN_SECRETS[@]}"; do add_secret "$file" "$name"; done
        for name in "${!SHARED_SECRETS[@]}"; do add_secret "$file" "shared__$name"; done
        for service in "${SERVICES[@]}"; do
            for name in ${OWN_SECRETS[$service]:-}; do add_secret "$file" "${service}__$name"; done
        done
    )
}

add_secret() {  # file, key: append key=<a new value> unless the file has the key
    local file=$1 key=$2
    grep -q "^$key=" "$file" && return 0
    printf '%s=%s\n' "$key" "$(new_secret "${key##*__}")" >>"$file"
}

new_secret() {  # variable name: a fresh value for it
    case $1 in
        DOWNTOWN_TOKEN_SIGNING_KEY)
            "$BIN/python" -c 'from downtown_events.runtime.identity import new_signing_key; print(new_signing_key())' ;;
        DOWNTOWN_ASSOCIATION_TOKEN) "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(24))' ;;
        *) "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' ;;
    esac
}

secret() {  # town, key: its value in the town's secrets file
    sed -n "s/^$2=//p" "$(secrets_file "$1")" | tail -n 1
}

catalog_public_keys() {  # town: DOWNTOWN_TRUSTED_TOKEN_KEYS for the services that verify merchant tokens
    "$BIN/python" -c 'import json, sys
from downtown_events.runtime.identity import public_key_of
print(json.dumps({sys.argv[1]: "catalog:" + public_key_of(sys.argv[2])}))' \
        "$CATALOG_KEY_ID" "$(secret "$1" catalog__DOWNTOWN_TOKEN_SIGNING_KEY)"
}

# --- one service's environment --------------------------------------------------------------

load_town() {  # town: its file's variables (DOWNTOWN_TOWN_NAME, DOWNTOWN_PORT_BASE, ...), not exported
    # shellcheck disable=SC1090
    source "$TOWNS_DIR/$1.env"
}

place_of() {  # service: its place in SERVICES, from 1
    local index
    for index in "${!SERVICES[@]}"; do
        if [ "${SERVICES[$index]}" = "$1" ]; then
            echo $((index + 1))
            return 0
        fi
    done
    echo "!! unknown service $1 (services: ${SERVICES[*]})" >&2
    return 1
}

api_port() { (load_town "$1" && echo $((DOWNTOWN_PORT_BASE + $(place_of "$2")))); }
worker_port() { (load_town "$1" && echo $((DOWNTOWN_PORT_BASE + 10 + $(place_of "$2")))); }
mail_port() { (load_town "$1" && echo $((DOWNTOWN_PORT_BASE + 25))); }  # the town's mail catcher
web_port() { (load_town "$1" && echo "$DOWNTOWN_PORT_BASE"); }  # the town's web front: the port base itself
web_url() { echo "http://127.0.0.1:$(web_port "$1")"; }
mail_dir() { echo ".downtown/mail/$1"; }

database_url() {  # database name: DATABASE_SERVER with that database
    "$BIN/python" -c 'import sys, urllib.parse as u
print(u.urlsplit(sys.argv[1])._replace(path="/" + sys.argv[2]).geturl())' "$DATABASE_SERVER" "$1"
}

service_env() {  # town, service: export exactly what that service's processes may see (call in a subshell)
    local town=$1 service=$2 name value
    for name in $(compgen -e); do
        case $name in DOWNTOWN_LOG_LEVEL) ;; DOWNTOWN_*) unset "$name" ;; esac
    done
    set -a  # the town file's settings (DOWNTOWN_TOWN_NAME, ...) reach every service, but not the port base
    load_town "$town"
    set +a
    export -n DOWNTOWN_PORT_BASE
    export DOWNTOWN_TOWN="$town"
    export DOWNTOWN_KAFKA_BOOTSTRAP="$KAFKA"
    DOWNTOWN_DATABASE_URL=$(database_url "downtown_${town}_${service}")
    export DOWNTOWN_DATABASE_URL
    DOWNTOWN_HTTP_PORT=$(api_port "$town" "$service")
    DOWNTOWN_WORKER_PORT=$(worker_port "$town" "$service")
    export DOWNTOWN_HTTP_PORT DOWNTOWN_WORKER_PORT
    export DOWNTOWN_WORKER_DATA_DIR="$ROOT/.downtown/worker-data/$service"
    for name in "${TOWN_SECRETS[@]}"; do
        value=$(secret "$town" "$name")
        export "$name=$value"
    done
    for name in ${OWN_SECRETS[$service]:-}; do
        value=$(secret "$town" "${service}__$name")
        export "$name=$value"
    done
    for name in "${!SHARED_SECRETS[@]}"; do
        [[ " ${SHARED_SECRETS[$name]} " == *" $service "* ]] || continue
        value=$(secret "$town" "shared__$name")
        export "$name=$value"
    done
    if [ "$service" = catalog ]; then
        export DOWNTOWN_PHOTO_DIR="$ROOT/.downtown/photos"
    else
        DOWNTOWN_TRUSTED_TOKEN_KEYS=$(catalog_public_keys "$town")
        export DOWNTOWN_TRUSTED_TOKEN_KEYS
    fi
    if [ "$service" = ordering ] || [ "$service" = vouchers ] || [ "$service" = catalog ] || [ "$service" = dispatch ]; then  # mail goes to the town's catcher
        export DOWNTOWN_SMTP_HOST=127.0.0.1
        DOWNTOWN_SMTP_PORT=$(mail_port "$town")
        export DOWNTOWN_SMTP_PORT
    fi
    if [ "$service" = ordering ]; then  # the links it mails open the web front's pages
        export DOWNTOWN_MAIL_FROM="bestellungen@$town.downtown.example"
        DOWNTOWN_PUBLIC_URL=$(web_url "$town")
        export DOWNTOWN_PUBLIC_URL
    elif [ "$service" = vouchers ]; then
        export DOWNTOWN_MAIL_FROM="gutscheine@$town.downtown.example"
    elif [ "$service" = catalog ]; then  # a merchant's sign-in link opens the web front's /merchant/sign-in
        export DOWNTOWN_MAIL_FROM="haendler@$town.downtown.example"
        export DOWNTOWN_PUBLIC_URL="http://127.0.0.1:$DOWNTOWN_HTTP_PORT"
        DOWNTOWN_WEB_URL=$(web_url "$town")
        export DOWNTOWN_WEB_URL
    elif [ "$service" = dispatch ]; then  # a courier's sign-in link opens the web front's /courier/sign-in
        export DOWNTOWN_MAIL_FROM="kurier@$town.downtown.example"
        DOWNTOWN_WEB_URL=$(web_url "$town")
        export DOWNTOWN_WEB_URL
    fi
}

# --- processes ------------------------------------------------------------------------------

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

start_service() {  # town, service: provision, start API and worker, wait until both are ready
    local town=$1 service=$2
    (
        service_env "$town" "$service"
        say "$town: $service: provisioning database, topics and migrations"
        "$BIN/$service-admin" provision --create-database
        start_process "$town-$service-api" "$BIN/$service-api"
        start_process "$town-$service-worker" "$BIN/$service-worker"
        wait_ready "$town-$service-api" "http://127.0.0.1:$DOWNTOWN_HTTP_PORT/healthz/ready"
        wait_ready "$town-$service-worker" "http://127.0.0.1:$DOWNTOWN_WORKER_PORT/healthz/ready"
    )
}

start_web() {  # town: its web front (downtown-web) over the services' APIs, answering when this returns
    local town=$1
    [ -x "$BIN/downtown-web" ] || { say "$town: web front not installed (bash deploy/local/stack.sh python)"; return 0; }
    (
        for name in $(compgen -e); do
            case $name in DOWNTOWN_LOG_LEVEL) ;; DOWNTOWN_*) unset "$name" ;; esac
        done
        set -a
        load_town "$town"
        set +a
        export -n DOWNTOWN_PORT_BASE
        export DOWNTOWN_TOWN="$town" DOWNTOWN_HTTP_PORT="$(web_port "$town")" DOWNTOWN_PUBLIC_URL="$(web_url "$town")"
        export DOWNTOWN_CATALOG_URL="http://127.0.0.1:$(api_port "$town" catalog)"
        export DOWNTOWN_ORDERING_URL="http://127.0.0.1:$(api_port "$town" ordering)"
        export DOWNTOWN_VOUCHERS_URL="http://127.0.0.1:$(api_port "$town" vouchers)"
        export DOWNTOWN_DISPATCH_URL="http://127.0.0.1:$(api_port "$town" dispatch)"
        start_process "$town-web" "$BIN/downtown-web"
        wait_ready "$town-web" "$(web_url "$town")/healthz/ready"
    )
}

start_mailcatcher() {  # town: its SMTP catcher, listening when this returns
    local town=$1 port
    port=$(mail_port "$town")
    start_process "$town-mailcatcher" "$BIN/python" -P deploy/local/mailcatcher.py \
        --port "$port" --dir "$ROOT/$(mail_dir "$town")"
    for _ in $(seq 1 50); do
        if "$BIN/python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
            "$port" 2>/dev/null; then
            return 0
        fi
        if ! running "$RUN/$town-mailcatcher.pid"; then
            echo "!! $town-mailcatcher exited; last lines of .downtown/logs/$town-mailcatcher.log:" >&2
            tail -n 20 "$LOGS/$town-mailcatcher.log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "!! $town-mailcatcher not listening on 127.0.0.1:$port after 10 s" >&2
    return 1
}

sends_mail() {
    [[ " ${RUNNABLE[*]} " == *" catalog "* || " ${RUNNABLE[*]} " == *" ordering "* || " ${RUNNABLE[*]} " == *" vouchers "* || " ${RUNNABLE[*]} " == *" dispatch "* ]]
}

seed_town() {  # town: run each running service's seed script, in start order
    local town=$1 service
    local -a given=(DOWNTOWN_TOWN="$town" DOWNTOWN_ASSOCIATION_TOKEN="$(secret "$town" DOWNTOWN_ASSOCIATION_TOKEN)")
    for service in "${RUNNABLE[@]}"; do
        given+=("DOWNTOWN_${service^^}_API=http://127.0.0.1:$(api_port "$town" "$service")")
    done
    for service in "${RUNNABLE[@]}"; do
        if [ -f "deploy/local/seed/$service.py" ]; then
            env "${given[@]}" "$BIN/python" -P "deploy/local/seed/$service.py" --town "$town" || {
                echo "!! $town: the $service seed failed (see above); the later seeds of $town did not run" >&2
                return 1
            }
        fi
    done
}

start() {
    local town service
    find_services
    if [ "${RUNNABLE[0]:-}" != catalog ]; then
        echo "!! the catalog cannot start: ${SKIPPED[catalog]:-services/catalog is missing}" >&2
        return 1
    fi
    note_skipped
    local -a unseeded=()  # a failing seed fails make run, after every town is up and the guide shown
    for town in $(towns); do
        ensure_secrets "$town"
        if sends_mail; then start_mailcatcher "$town"; fi
        for service in "${RUNNABLE[@]}"; do
            start_service "$town" "$service"
        done
        if [[ " ${RUNNABLE[*]} " == *" ordering "* ]]; then start_web "$town"; fi
        seed_town "$town" || unseeded+=("$town")
    done
    print_guide
    if [ "${#unseeded[@]}" -gt 0 ]; then
        echo "!! seeding failed for ${unseeded[*]} (the reasons are above); the services run" >&2
        return 1
    fi
}

stop() {  # the services first, the mail catchers last (a worker may be sending its last mails)
    local -a services=() catchers=()
    for pidfile in "$RUN"/*.pid; do
        case $pidfile in *-mailcatcher.pid) catchers+=("$pidfile") ;; *) services+=("$pidfile") ;; esac
    done
    for pidfile in "${services[@]}" "${catchers[@]}"; do
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
    local town service process
    for town in $(towns); do
        for service in "${SERVICES[@]}"; do
            [ -f "services/$service/pyproject.toml" ] || continue
            for process in "$service-api" "$service-worker"; do
                if running "$RUN/$town-$process.pid"; then
                    echo "$town-$process: running (pid $(cat "$RUN/$town-$process.pid"))"
                else
                    echo "$town-$process: stopped"
                fi
            done
        done
        if running "$RUN/$town-web.pid"; then
            echo "$town-web: running (pid $(cat "$RUN/$town-web.pid"), $(web_url "$town"))"
        else
            echo "$town-web: stopped"
        fi
        if [ -f services/ordering/pyproject.toml ]; then
            if running "$RUN/$town-mailcatcher.pid"; then
                echo "$town-mailcatcher: running (pid $(cat "$RUN/$town-mailcatcher.pid"), 127.0.0.1:$(mail_port "$town"), mails in $(mail_dir "$town")/)"
            else
                echo "$town-mailcatcher: stopped"
            fi
        fi
    done
}

# --- the guide printed at the end of `make run` ---------------------------------------------

guide_lines() {  # town, service: deploy/local/guide/<service>.txt with its placeholders filled in
    local town=$1 service=$2 line other
    local file="deploy/local/guide/$service.txt"
    [ -f "$file" ] || return 0
    load_town "$town"
    while IFS= read -r line; do
        [[ $line == \#* ]] && continue
        line=${line//"{api}"/"http://127.0.0.1:$(api_port "$town" "$service")"}
        line=${line//"{worker}"/"http://127.0.0.1:$(worker_port "$town" "$service")"}
        line=${line//"{town}"/"$town"}
        line=${line//"{town_name}"/"$DOWNTOWN_TOWN_NAME"}
        line=${line//"{postal_code}"/"$DOWNTOWN_TOWN_POSTAL_CODE"}
        line=${line//"{mail_dir}"/"$(mail_dir "$town")"}
        for other in "${RUNNABLE[@]}"; do
            line=${line//"{${other}_api}"/"http://127.0.0.1:$(api_port "$town" "$other")"}
        done
        echo "      $line"
    done <"$file"
}

print_guide() {
    local town service
    echo
    echo "Downtown is running. Per town:"
    for town in $(towns); do
        (
            load_town "$town"
            echo
            echo "  $DOWNTOWN_TOWN_NAME ($town)"
            if running "$RUN/$town-web.pid"; then
                echo "    storefront  $(web_url "$town")/   (the town's shops, search, basket and checkout)"
            fi
            echo "    association token in .downtown/towns/$town.secrets.env (suspend merchants, replace lost tokens)"
            if sends_mail; then
                echo "    e-mails     every mail the town's services send lands in $(mail_dir "$town")/ as an .eml file"
                echo "                (a local SMTP catcher on 127.0.0.1:$(mail_port "$town"); nothing leaves this machine)"
            fi
            for service in "${RUNNABLE[@]}"; do
                echo "    $service"
                echo "      API docs      http://127.0.0.1:$(api_port "$town" "$service")/docs"
                echo "      worker health http://127.0.0.1:$(worker_port "$town" "$service")/healthz/ready"
                guide_lines "$town" "$service"
            done
            for service in "${!SKIPPED[@]}"; do
                echo "    $service: not started, ${SKIPPED[$service]}"
            done
        )
    done
    echo
    echo "Logs: .downtown/logs/   Stop everything: make stop"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env)
        town=${2:?usage: $0 env TOWN [SERVICE]}
        service=${3:-catalog}
        place_of "$service" >/dev/null
        [ -f "$TOWNS_DIR/$town.env" ] || { echo "!! unknown town $town (towns: $(towns | xargs))" >&2; exit 2; }
        ensure_secrets "$town"
        service_env "$town" "$service"
        for name in $(compgen -e | grep '^DOWNTOWN_' | sort); do printf '%s=%q\n' "$name" "${!name}"; done
        ;;
    *) echo "usage: $0 start|stop|status|env TOWN [SERVICE]" >&2; exit 2 ;;
esac
