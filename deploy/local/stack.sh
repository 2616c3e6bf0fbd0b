#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Local infrastructure for Downtown: the Python venv, a single-node Kafka broker and a
# PostgreSQL cluster, all kept under .downtown/ in the repo root (git-ignored).
#
#   bash deploy/local/stack.sh up        # python + kafka + postgres; idempotent, fast when all runs
#   bash deploy/local/stack.sh python    # .downtown/venv, pip install -r requirements/dev.txt when they changed
#   bash deploy/local/stack.sh kafka     # Kafka (version pinned in deploy/local/kafka/pom.xml) on 127.0.0.1:19092
#   bash deploy/local/stack.sh postgres  # PostgreSQL on 127.0.0.1:15432, user downtown, no password
#   bash deploy/local/stack.sh postgres-crash  # tests: stop PostgreSQL as a crash would (-m immediate), start it again
#   bash deploy/local/stack.sh asyncapi  # the official AsyncAPI parser (npm, pinned) that make test runs
#   bash deploy/local/stack.sh browser   # Debian's Chromium for the browser tests (apt; Playwright downloads none)
#   bash deploy/local/stack.sh down      # stop Kafka and PostgreSQL (data is kept)
#   bash deploy/local/stack.sh status    # one line each for python, kafka, postgres
#   bash deploy/local/stack.sh psql [ARGS...]   # psql as downtown, database postgres by default
#
# Fixed addresses (nothing is exported):
#   Kafka       127.0.0.1:19092
#   PostgreSQL  postgresql://downtown@127.0.0.1:15432/postgres
# To use services that run elsewhere instead, set DOWNTOWN_KAFKA_BOOTSTRAP and/or
# DOWNTOWN_DATABASE_URL: the script then leaves that part alone. DOWNTOWN_PYTHON picks another
# interpreter for a new venv; DOWNTOWN_REQUIREMENTS another requirements file (default
# requirements/dev.txt).
#
# Needs: bash, python3.11; Java 17+, Maven, PostgreSQL and Chromium are installed with apt-get when
# missing (sudo when not root). Works without a terminal (CI=true, no stdin).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$ROOT"

STATE="$ROOT/.downtown"
LOGS="$STATE/logs"

VENV="$STATE/venv"
VENV_STAMP="$VENV/.installed-stamp"
REQUIREMENTS=${DOWNTOWN_REQUIREMENTS:-requirements/dev.txt}
PYTHON_BIN=${DOWNTOWN_PYTHON:-python3.11}

KAFKA_SRC="$SCRIPT_DIR/kafka"
KAFKA_STATE="$STATE/kafka"
KAFKA_LIBS="$KAFKA_STATE/libs"
KAFKA_LIBS_STAMP="$KAFKA_LIBS/.pom-stamp"
KAFKA_DATA="$KAFKA_STATE/data"
KAFKA_PROPS="$KAFKA_STATE/server.properties"
KAFKA_PID="$KAFKA_STATE/broker.pid"
KAFKA_LOG="$LOGS/kafka.log"
KAFKA_HOST=127.0.0.1
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
# A broker killed with SIGKILL recovers every partition's log before it answers: with the
# tests' few thousand partitions on a busy machine that took 50-70 s.
KAFKA_WAIT=${DOWNTOWN_KAFKA_WAIT:-180}

PG_STATE="$STATE/postgres"
PG_DATA="$PG_STATE/data"
PG_RUN="$PG_STATE/run"
PG_LOG="$LOGS/postgres.log"
PG_HOST=127.0.0.1
PG_PORT=15432
PG_USER=downtown
PG_DB=postgres
PG_WAIT=${DOWNTOWN_POSTGRES_WAIT:-120}

export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# ---------------------------------------------------------------------------- helpers

say() { printf '==> %s\n' "$*"; }
warn() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' but sudo is not installed; run it yourself as root and try again"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "cannot install $* automatically (no apt-get on this machine); install it and try again"
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt: updating package lists"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        APT_UPDATED=1
    fi
    say "apt: installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

sha256_of() { sha256sum | cut -d' ' -f1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_taken_die() { # PORT WHAT ENVVAR EXAMPLE
    die "port $1 (127.0.0.1) is already in use by a process that is not this stack's $2.
       Stop that process, or point Downtown at that service instead by setting $3 (e.g. $3=$4)."
}

# ---------------------------------------------------------------------------- python

python_stamp() {
    {
        printf 'python=%s\nrequirements=%s\n' "$("$VENV/bin/python" -c 'import sys; print(sys.version)' 2>/dev/null)" "$REQUIREMENTS"
        local f
        while IFS= read -r f; do
            printf '%s %s\n' "$(sha256_of <"$f")" "$f"
        done < <(
            {
                ls -1 requirements/*.txt 2>/dev/null || true
                for d in events services/*/ web; do
                    [ -d "$d" ] || continue
                    find "$d" \( -name .git -o -name venv -o -name .venv -o -name node_modules -o -name build \
                        -o -name dist -o -name __pycache__ -o -name '*.egg-info' -o -name site-packages \) -prune \
                        -o -name pyproject.toml -type f -print
                done
            } | sed 's#//*#/#g' | LC_ALL=C sort -u
        )
    } | sha256_of
}

venv_ok() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; }

cmd_python() {
    mkdir -p "$LOGS"
    if ! venv_ok; then
        if ! command -v "$PYTHON_BIN" >/dev/null 2>&1; then
            if [ "$PYTHON_BIN" = python3.11 ]; then
                apt_install python3.11 python3.11-venv
            fi
            command -v "$PYTHON_BIN" >/dev/null 2>&1 ||
                die "$PYTHON_BIN not found; install Python 3.11 (or set DOWNTOWN_PYTHON to a Python 3.11 interpreter)"
        fi
        say "python: creating .downtown/venv with $PYTHON_BIN ($("$PYTHON_BIN" -c 'import sys; print(sys.version.split()[0])'))"
        rm -rf "$VENV"
        if ! "$PYTHON_BIN" -m venv "$VENV" >"$LOGS/venv.log" 2>&1; then
            # Debian's python3.11 has no ensurepip without python3.11-venv.
            rm -rf "$VENV"
            apt_install python3.11-venv
            "$PYTHON_BIN" -m venv "$VENV" >"$LOGS/venv.log" 2>&1 || {
                cat "$LOGS/venv.log" >&2
                die "could not create the venv at .downtown/venv"
            }
        fi
    fi
    [ -f "$REQUIREMENTS" ] || die "$REQUIREMENTS not found"
    local stamp
    stamp=$(python_stamp)
    if [ -f "$VENV_STAMP" ] && [ "$(cat "$VENV_STAMP")" = "$stamp" ]; then
        say "python: .downtown/venv is up to date"
        return 0
    fi
    say "python: installing $REQUIREMENTS into .downtown/venv (quiet; log in .downtown/logs/pip.log)"
    rm -f "$VENV_STAMP"
    if ! "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS" >"$LOGS/pip.log" 2>&1; then
        tail -n 30 "$LOGS/pip.log" >&2
        die "pip install -r $REQUIREMENTS failed (full log: .downtown/logs/pip.log)"
    fi
    printf '%s\n' "$stamp" >"$VENV_STAMP"
    say "python: done"
}

python_status() {
    if ! venv_ok; then
        echo "python:   no venv (run: bash deploy/local/stack.sh python)"
    elif [ -f "$VENV_STAMP" ] && [ "$(cat "$VENV_STAMP")" = "$(python_stamp)" ]; then
        echo "python:   .downtown/venv ($("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')), requirements installed"
    else
        echo "python:   .downtown/venv exists but requirements changed since the last install (run: bash deploy/local/stack.sh python)"
    fi
}

# ---------------------------------------------------------------------------- kafka

kafka_version() {
    sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$KAFKA_SRC/pom.xml" | head -n 1
}

# Prints the broker's pid when our broker process is alive.
kafka_pid() {
    local pid
    [ -f "$KAFKA_PID" ] || return 1
    pid=$(cat "$KAFKA_PID" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: it must be a JVM running kafka.Kafka.
    if [ -r "/proc/$pid/cmdline" ]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
    else
        ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
    fi
    echo "$pid"
}

java_major() { # JAVA -> major version number, or nothing
    "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}

JAVA=
find_java() {
    local cand major
    for cand in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null || true)" \
        /usr/lib/jvm/java-2*/bin/java /usr/lib/jvm/java-1[7-9]*/bin/java; do
        if [ -z "$cand" ] || [ ! -x "$cand" ]; then continue; fi
        major=$(java_major "$cand")
        if [ -n "$major" ] && [ "$major" -ge 17 ]; then
            JAVA=$cand
            return 0
        fi
    done
    return 1
}

ensure_java() {
    [ -n "$JAVA" ] && return 0
    if ! find_java; then
        apt_install openjdk-17-jre-headless
        find_java || die "Java 17 or newer is needed for Kafka and could not be installed"
    fi
}

ensure_maven() {
    command -v mvn >/dev/null 2>&1 && return 0
    apt_install maven
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to fetch the Kafka jars and could not be installed"
}

kafka_fetch_jars() {
    local stamp
    stamp=$(sha256_of <"$KAFKA_SRC/pom.xml")
    if [ -f "$KAFKA_LIBS_STAMP" ] && [ "$(cat "$KAFKA_LIBS_STAMP")" = "$stamp" ]; then
        return 0
    fi
    ensure_java
    ensure_maven
    say "kafka: fetching Kafka $(kafka_version) jars with Maven into .downtown/kafka/libs"
    local tmp="$KAFKA_STATE/libs.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$LOGS"
    # Maven runs on the Java we picked (it must be 17+ to be sure the jars suit the broker).
    if ! JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$JAVA")")") \
        mvn -q -B -f "$KAFKA_SRC/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime </dev/null >"$LOGS/kafka-mvn.log" 2>&1; then
        tail -n 30 "$LOGS/kafka-mvn.log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch the Kafka jars (full log: .downtown/logs/kafka-mvn.log)"
    fi
    # mvn may leave a target/ folder beside the pom; keep the source tree clean.
    rm -rf "$KAFKA_SRC/target"
    printf '%s\n' "$stamp" >"$tmp/.pom-stamp"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
}

kafka_render_config() {
    local template
    template=$(<"$KAFKA_SRC/server.properties.in")
    printf '%s\n' "${template//@KAFKA_DATA_DIR@/$KAFKA_DATA}" >"$KAFKA_PROPS.tmp"
    mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

kafka_format() {
    [ -f "$KAFKA_DATA/meta.properties" ] && return 0
    ensure_java
    say "kafka: formatting storage in .downtown/kafka/data"
    rm -rf "$KAFKA_DATA"
    mkdir -p "$KAFKA_DATA"
    local cluster_id
    cluster_id=$("$JAVA" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    [ -n "$cluster_id" ] || die "could not make a Kafka cluster id (kafka.tools.StorageTool random-uuid)"
    if ! "$JAVA" -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" -cp "$KAFKA_LIBS/*" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" --standalone \
        </dev/null >"$LOGS/kafka-format.log" 2>&1; then
        cat "$LOGS/kafka-format.log" >&2
        rm -rf "$KAFKA_DATA"
        die "formatting the Kafka storage failed"
    fi
}

# True when the broker listens and has logged that it started (since this start).
kafka_ready() {
    port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null
}

kafka_wait() {
    local pid=$1 waited=0
    if kafka_ready; then return 0; fi
    printf '==> kafka: waiting for the broker '
    while ! kafka_ready; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo ' exited'
            echo "---- last 20 lines of .downtown/logs/kafka.log ----" >&2
            tail -n 20 "$KAFKA_LOG" >&2 || true
            die "the Kafka broker exited during start-up; see .downtown/logs/kafka.log.
       If its data is damaged, 'rm -rf .downtown/kafka/data' and run the script again (local events are lost)."
        fi
        if [ "$waited" -ge "$KAFKA_WAIT" ]; then
            echo ' timeout'
            echo "---- last 20 lines of .downtown/logs/kafka.log ----" >&2
            tail -n 20 "$KAFKA_LOG" >&2 || true
            die "the Kafka broker (pid $pid) did not come up within ${KAFKA_WAIT}s.
       Check .downtown/logs/kafka.log, then 'bash deploy/local/stack.sh down' and try 'up' again;
       if its data is damaged, 'rm -rf .downtown/kafka/data' first (local events are lost)."
        fi
        printf '.'
        sleep 1
        waited=$((waited + 1))
    done
    echo ' ready'
}

cmd_kafka() {
    if [ -n "${DOWNTOWN_KAFKA_BOOTSTRAP:-}" ]; then
        say "kafka: DOWNTOWN_KAFKA_BOOTSTRAP is set, using the external broker at $DOWNTOWN_KAFKA_BOOTSTRAP (nothing started)"
        return 0
    fi
    local version pid
    version=$(kafka_version)
    mkdir -p "$KAFKA_STATE" "$LOGS"

    if pid=$(kafka_pid); then
        kafka_wait "$pid"
        say "kafka: broker already running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
        return 0
    fi
    rm -f "$KAFKA_PID"
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if port_open "$p"; then
            port_taken_die "$p" "Kafka broker" DOWNTOWN_KAFKA_BOOTSTRAP "host:9092"
        fi
    done

    kafka_fetch_jars
    kafka_render_config
    kafka_format
    ensure_java

    say "kafka: starting broker $version on $KAFKA_HOST:$KAFKA_PORT (log: .downtown/logs/kafka.log)"
    [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.prev"
    nohup "$JAVA" -Xmx768m -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" </dev/null >"$KAFKA_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$KAFKA_PID"
    kafka_wait "$pid"
    say "kafka: broker $version ready (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
}

kafka_stop() {
    local pid waited=0
    if ! pid=$(kafka_pid); then
        rm -f "$KAFKA_PID"
        say "kafka: not running"
        return 0
    fi
    say "kafka: stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 30 ]; then
            warn "kafka: broker did not stop within 30s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$KAFKA_PID"
    say "kafka: stopped"
}

kafka_status() {
    local pid
    if [ -n "${DOWNTOWN_KAFKA_BOOTSTRAP:-}" ]; then
        echo "kafka:    external broker at $DOWNTOWN_KAFKA_BOOTSTRAP (DOWNTOWN_KAFKA_BOOTSTRAP)"
    elif pid=$(kafka_pid); then
        if kafka_ready; then
            echo "kafka:    running $(kafka_version) (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
        else
            echo "kafka:    starting (pid $pid), not accepting connections on $KAFKA_HOST:$KAFKA_PORT yet"
        fi
    elif [ -f "$KAFKA_DATA/meta.properties" ]; then
        echo "kafka:    stopped (data in .downtown/kafka/data)"
    else
        echo "kafka:    not set up"
    fi
}

# ---------------------------------------------------------------------------- postgres

PG_BIN=
find_pg_bin() {
    local d b
    d=$(for b in /usr/lib/postgresql/*/bin; do
        if [ -x "$b/pg_ctl" ]; then echo "$b"; fi
    done | sort -V | tail -n 1)
    if [ -z "$d" ] && command -v pg_ctl >/dev/null 2>&1; then
        d=$(dirname "$(command -v pg_ctl)")
    fi
    [ -n "$d" ] || return 1
    PG_BIN=$d
}

ensure_pg_bin() {
    [ -n "$PG_BIN" ] && return 0
    if ! find_pg_bin; then
        apt_install postgresql
        find_pg_bin || die "PostgreSQL server binaries (pg_ctl) not found even after installing postgresql"
    fi
}

# PostgreSQL's server programs refuse to run as root: as root, run them as the postgres user.
pg_as_owner() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_running() {
    [ -f "$PG_DATA/PG_VERSION" ] || return 1
    pg_as_owner "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" >/dev/null 2>&1
}

pg_write_config() {
    # Our settings live in downtown.conf (rewritten on every start), included from postgresql.conf.
    local sockets="$PG_RUN"
    if [ "${#PG_RUN}" -gt 90 ]; then
        warn "postgres: the repo path is too long for a unix socket; PostgreSQL listens on TCP only"
        sockets=
    fi
    cat >"$PG_DATA/downtown.conf.tmp" <<EOF
# Written by deploy/local/stack.sh on every start; edit the script, not this file.
port = $PG_PORT
listen_addresses = '$PG_HOST'
unix_socket_directories = '$sockets'
# A test session keeps three towns running (up to eleven services, two processes each, each
# with its pools) beside the towns of single modules: 200 was reached on a busy machine.
max_connections = 400
shared_buffers = 256MB
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
# A development and test server: a commit is written to the operating system's cache, not
# forced to the disk. A killed PostgreSQL (the crash tests stop it with -m immediate) loses
# nothing by this, since the kernel still holds every write; only a crash of the machine
# itself could, and then the answer is make clean. Forcing each commit to this machine's disk
# made a commit about four times slower and the test tiers wait on it. Production's
# PostgreSQL keeps fsync on: CloudNativePG's default (deploy/k8s/base/database.yaml).
fsync = off
EOF
    if [ "$(uname -s)" = Linux ]; then
        # After a crash PostgreSQL first syncs every file of the data directory, one by one by
        # default: with the tests' hundred databases (50,000 files) on a busy machine that took
        # 70-90 s before recovery even began, and every test after a crash test failed
        # connecting. One syncfs() of the file system makes the same promise (Linux only).
        echo "recovery_init_sync_method = syncfs" >>"$PG_DATA/downtown.conf.tmp"
    fi
    mv -f "$PG_DATA/downtown.conf.tmp" "$PG_DATA/downtown.conf"
    grep -q "^include_if_exists = 'downtown.conf'" "$PG_DATA/postgresql.conf" ||
        printf "\n# Downtown's local settings (deploy/local/stack.sh)\ninclude_if_exists = 'downtown.conf'\n" >>"$PG_DATA/postgresql.conf"
    if is_root; then chown postgres: "$PG_DATA/downtown.conf" "$PG_DATA/postgresql.conf"; fi
}

pg_prepare_dirs() {
    mkdir -p "$PG_STATE" "$PG_RUN" "$LOGS"
    touch "$PG_LOG"
    if is_root; then
        id postgres >/dev/null 2>&1 ||
            die "running as root, PostgreSQL must run as the 'postgres' user, which does not exist (apt-get install postgresql creates it)"
        chown postgres: "$PG_RUN" "$PG_LOG"
        [ -d "$PG_DATA" ] && chown postgres: "$PG_DATA"
        runuser -u postgres -- test -w "$PG_RUN" ||
            die "the postgres user cannot reach $PG_RUN; make the directories above it traversable (chmod o+x) or run as a normal user"
    fi
}

pg_initdb() {
    [ -f "$PG_DATA/PG_VERSION" ] && return 0
    local locale=C
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
    say "postgres: creating the cluster in .downtown/postgres/data (user $PG_USER, locale $locale)"
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    chmod 700 "$PG_DATA"
    if is_root; then chown postgres: "$PG_DATA"; fi
    if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale="$locale" \
        >"$LOGS/postgres-initdb.log" 2>&1; then
        if [ "$locale" != C ]; then
            warn "postgres: initdb with locale $locale failed, trying locale C"
            rm -rf "$PG_DATA"
            mkdir -p "$PG_DATA"
            chmod 700 "$PG_DATA"
            if is_root; then chown postgres: "$PG_DATA"; fi
            if pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C \
                >"$LOGS/postgres-initdb.log" 2>&1; then
                return 0
            fi
        fi
        cat "$LOGS/postgres-initdb.log" >&2
        rm -rf "$PG_DATA"
        die "initdb failed (log: .downtown/logs/postgres-initdb.log)"
    fi
}

cmd_postgres() {
    if [ -n "${DOWNTOWN_DATABASE_URL:-}" ]; then
        say "postgres: DOWNTOWN_DATABASE_URL is set, using the external PostgreSQL (nothing started)"
        return 0
    fi
    ensure_pg_bin
    local version
    version=$("$PG_BIN/pg_ctl" --version | sed -n 's/^pg_ctl (PostgreSQL) \([0-9.]*\).*/\1/p')
    if pg_running; then
        if ! pg_ready; then pg_wait; fi
        say "postgres: already running on $PG_HOST:$PG_PORT"
        return 0
    fi
    if port_open "$PG_PORT"; then
        port_taken_die "$PG_PORT" "PostgreSQL" DOWNTOWN_DATABASE_URL "postgresql://user@host:5432/postgres"
    fi
    pg_prepare_dirs
    pg_initdb
    pg_write_config
    say "postgres: starting PostgreSQL $version on $PG_HOST:$PG_PORT (log: .downtown/logs/postgres.log)"
    if ! pg_as_owner "$PG_BIN/pg_ctl" start -w -t "$PG_WAIT" -D "$PG_DATA" -l "$PG_LOG" >/dev/null 2>&1; then
        echo "---- last 20 lines of .downtown/logs/postgres.log ----" >&2
        tail -n 20 "$PG_LOG" >&2 || true
        die "PostgreSQL did not start; see .downtown/logs/postgres.log"
    fi
    pg_wait
    say "postgres: ready on postgresql://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
}

pg_wait() {
    local waited=0
    while ! pg_ready; do
        if [ "$waited" -ge "$PG_WAIT" ]; then
            tail -n 20 "$PG_LOG" >&2 || true
            die "PostgreSQL does not answer on $PG_HOST:$PG_PORT after ${PG_WAIT}s; see .downtown/logs/postgres.log"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

pg_stop() {
    if ! find_pg_bin || ! pg_running; then
        say "postgres: not running"
        return 0
    fi
    say "postgres: stopping"
    pg_as_owner "$PG_BIN/pg_ctl" stop -m fast -w -t 60 -D "$PG_DATA" >/dev/null
    say "postgres: stopped"
}

pg_crash_restart() {  # for tests: stop as a crash would (no checkpoint), then start again
    ensure_pg_bin
    pg_running || die "postgres: not running"
    say "postgres: stopping immediately (as a crash) and starting again"
    pg_as_owner "$PG_BIN/pg_ctl" restart -m immediate -w -t "$PG_WAIT" -D "$PG_DATA" -l "$PG_LOG" >/dev/null
    pg_wait
}

pg_status() {
    if [ -n "${DOWNTOWN_DATABASE_URL:-}" ]; then
        echo "postgres: external (DOWNTOWN_DATABASE_URL)"
    elif ! find_pg_bin; then
        echo "postgres: not installed"
    elif pg_running; then
        if pg_ready; then
            echo "postgres: running on postgresql://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
        else
            echo "postgres: running but not accepting connections on $PG_HOST:$PG_PORT yet"
        fi
    elif [ -f "$PG_DATA/PG_VERSION" ]; then
        echo "postgres: stopped (data in .downtown/postgres/data)"
    else
        echo "postgres: not set up"
    fi
}

cmd_psql() {
    local psql
    if find_pg_bin && [ -x "$PG_BIN/psql" ]; then
        psql="$PG_BIN/psql"
    else
        psql=$(command -v psql 2>/dev/null) || die "psql not found (run: bash deploy/local/stack.sh postgres)"
    fi
    if [ -n "${DOWNTOWN_DATABASE_URL:-}" ]; then
        exec "$psql" "$DOWNTOWN_DATABASE_URL" "$@"
    fi
    exec env PGHOST="$PG_HOST" PGPORT="$PG_PORT" PGUSER="$PG_USER" PGDATABASE="$PG_DB" "$psql" "$@"
}

# ---------------------------------------------------------------------------- asyncapi

ASYNCAPI_SRC="$ROOT/deploy/local/asyncapi"
ASYNCAPI_DIR="$STATE/asyncapi"

cmd_asyncapi() {  # the AsyncAPI initiative's parser, pinned by package-lock.json, in .downtown/asyncapi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        say "asyncapi: installing Node.js and npm (apt)"
        apt_install nodejs npm
    fi
    local stamp
    stamp=$(cat "$ASYNCAPI_SRC/package-lock.json" "$ASYNCAPI_SRC/validate.mjs" | sha256_of)
    if [ -f "$ASYNCAPI_DIR/.stamp" ] && [ "$(cat "$ASYNCAPI_DIR/.stamp")" = "$stamp" ]; then
        return
    fi
    say "asyncapi: installing the pinned parser into .downtown/asyncapi (npm ci)"
    mkdir -p "$ASYNCAPI_DIR" "$LOGS"
    cp "$ASYNCAPI_SRC/package.json" "$ASYNCAPI_SRC/package-lock.json" "$ASYNCAPI_SRC/validate.mjs" "$ASYNCAPI_DIR/"
    (cd "$ASYNCAPI_DIR" && npm ci --no-audit --no-fund --ignore-scripts >"$LOGS/npm.log" 2>&1) ||
        die "npm ci failed; see .downtown/logs/npm.log"
    echo "$stamp" >"$ASYNCAPI_DIR/.stamp"
}

# ---------------------------------------------------------------------------- browser

# The web front's tests drive a real Chromium through Playwright (tests/support/browser.py).
# Playwright's own browser download is never used: Debian's chromium package is, kept up to
# date by apt like the rest of the machine.
cmd_browser() {
    if ! command -v chromium >/dev/null 2>&1; then
        apt_install chromium
        command -v chromium >/dev/null 2>&1 || die "Chromium is needed for the browser tests and could not be installed"
    fi
    local version
    version=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
    say "browser: Chromium ${version:-(not from apt)} at $(command -v chromium)"
}

# ---------------------------------------------------------------------------- main

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case "$cmd" in
    up)
        cmd_python
        cmd_asyncapi
        cmd_browser
        cmd_kafka
        cmd_postgres
        ;;
    python) cmd_python ;;
    kafka) cmd_kafka ;;
    postgres) cmd_postgres ;;
    postgres-crash) pg_crash_restart ;;
    asyncapi) cmd_asyncapi ;;
    browser) cmd_browser ;;
    down)
        kafka_stop
        pg_stop
        ;;
    status)
        python_status
        kafka_status
        pg_status
        ;;
    psql) cmd_psql "$@" ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
