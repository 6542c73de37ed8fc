#!/usr/bin/env bash
# End-to-end test of dlp-nfq on real packets.
#
# Builds two network namespaces joined by a veth pair (10.99.0.0/24 and
# fd99::/64, never routed out of them), runs a small HTTP server in one and
# dlp-nfq on the other's OUTPUT path through iptables/ip6tables NFQUEUE
# rules, and checks, over IPv4 and IPv6, in monitor and protect mode:
#   1. a clean request passes (HTTP 200) with no event;
#   2. monitor: a POST with a valid NIR passes with exactly one fr_nir event;
#   3. protect: that POST fails with a reset, the server gets no body, and
#      a deny event is logged;
#   4. a NIR cut across two TCP segments is found in both modes;
#   5. a NIR with a wrong key passes without an event.
# Protect mode runs on two queues (--queue-balance 0:1).
#
# Usage: sudo scripts/test-nfq.sh          run the checks
#        sudo scripts/test-nfq.sh --bench  also measure throughput with and
#                                          without the queue (needs iperf3)
# DLP_NFQ=path/to/dlp-nfq skips the build. Needs root, ip, iptables,
# ip6tables and python3. Prints `nfq: N passed, M failed` last and exits
# non-zero on any failure. Namespaces, rules and processes are removed on
# exit, also after a failure or Ctrl-C.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=0
if [[ ${1:-} == --bench ]]; then
    BENCH=1
fi

ID=$$
NS_CLIENT=dlpnfq-c-$ID
NS_SERVER=dlpnfq-s-$ID
VETH_CLIENT=nfqc$ID
VETH_SERVER=nfqs$ID
V4_CLIENT=10.99.0.1
V4_SERVER=10.99.0.2
V6_CLIENT=fd99::1
V6_SERVER=fd99::2
PORT=8000
RESET_MARK=0x1d1f
WORK=$(mktemp -d /tmp/test-nfq.XXXXXX)
PASSED=0
FAILED=0
SERVER_PID=
ENFORCER_PID=

log() { printf 'nfq: %s\n' "$*" >&2; }

cleanup() {
    local status=$?
    set +e
    if [[ -n $ENFORCER_PID ]] && kill -0 "$ENFORCER_PID" 2>/dev/null; then
        kill -TERM "$ENFORCER_PID"
        wait "$ENFORCER_PID" 2>/dev/null
    fi
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    # Deleting a namespace deletes its veth end and its rules.
    ip netns del "$NS_CLIENT" 2>/dev/null
    ip netns del "$NS_SERVER" 2>/dev/null
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
    log "ERROR: $*"
    exit 1
}

check() {
    # check NAME CONDITION-RESULT(0/1) DETAIL
    local name=$1 ok=$2 detail=${3:-}
    if [[ $ok == 0 ]]; then
        PASSED=$((PASSED + 1))
        log "ok   $name"
    else
        FAILED=$((FAILED + 1))
        log "FAIL $name: $detail"
    fi
}

in_client() { ip netns exec "$NS_CLIENT" "$@"; }
in_server() { ip netns exec "$NS_SERVER" "$@"; }
# For background processes: the subshell that `&` makes execs nsenter,
# which execs the command, so $! is the command's own pid.
spawn_client() { exec nsenter --net="/run/netns/$NS_CLIENT" -- "$@"; }
spawn_server() { exec nsenter --net="/run/netns/$NS_SERVER" -- "$@"; }

require() {
    [[ $(id -u) == 0 ]] || die "run as root (network namespaces and NFQUEUE)"
    for tool in ip nsenter iptables ip6tables python3; do
        command -v "$tool" >/dev/null ||
            die "$tool not found; install it (apt-get install iproute2 util-linux iptables python3)"
    done
    if [[ $BENCH == 1 ]]; then
        command -v iperf3 >/dev/null ||
            die "iperf3 not found; install it for --bench (apt-get install iperf3)"
    fi
}

build() {
    if [[ -n ${DLP_NFQ:-} ]]; then
        BIN=$DLP_NFQ
    else
        log "building dlp-nfq (release)"
        cargo build --release --quiet -p dlp-nfq --manifest-path "$ROOT/Cargo.toml"
        BIN=$(cargo metadata --format-version 1 --no-deps \
            --manifest-path "$ROOT/Cargo.toml" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/dlp-nfq
    fi
    [[ -x $BIN ]] || die "dlp-nfq binary not found at $BIN"
}

setup_network() {
    ip netns add "$NS_CLIENT"
    ip netns add "$NS_SERVER"
    ip link add "$VETH_CLIENT" type veth peer name "$VETH_SERVER"
    ip link set "$VETH_CLIENT" netns "$NS_CLIENT"
    ip link set "$VETH_SERVER" netns "$NS_SERVER"
    in_client ip link set lo up
    in_server ip link set lo up
    in_client ip addr add "$V4_CLIENT/24" dev "$VETH_CLIENT"
    in_server ip addr add "$V4_SERVER/24" dev "$VETH_SERVER"
    in_client ip -6 addr add "$V6_CLIENT/64" dev "$VETH_CLIENT" nodad
    in_server ip -6 addr add "$V6_SERVER/64" dev "$VETH_SERVER" nodad
    in_client ip link set "$VETH_CLIENT" up
    in_server ip link set "$VETH_SERVER" up
}

write_helpers() {
    # HTTP server: 200 for GET; for POST, logs the body only once all of it
    # arrived, one JSON object a line.
    cat >"$WORK/server.py" <<'EOF'
import http.server, json, socket, sys

LOG = sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(b"ok\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = self.rfile.read(length)
        except OSError:
            body = b""
        if len(body) < length:
            with open(LOG, "a") as log:
                log.write(json.dumps({"incomplete": len(body)}) + "\n")
            self.close_connection = True
            return
        with open(LOG, "a") as log:
            log.write(json.dumps({"body": body.decode("latin-1")}) + "\n")
        self.reply(b"stored\n")

    def log_message(self, *args):
        pass

class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Resets are expected in protect mode: no traceback.
        pass

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

Server(("::", int(sys.argv[1])), Handler).serve_forever()
EOF
    # HTTP client: sends one request, optionally in two TCP segments with
    # a pause, and prints STATUS <code>, RESET, CLOSED or FAILED <error>.
    cat >"$WORK/client.py" <<'EOF'
import socket, sys, time

host, port, method, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
split = int(sys.argv[5]) if len(sys.argv) > 5 else 0
data = body.encode()
request = (
    f"{method} /upload HTTP/1.1\r\nHost: c2\r\nContent-Type: text/plain\r\n"
    f"Content-Length: {len(data)}\r\n\r\n"
).encode() + data
try:
    conn = socket.create_connection((host, port), timeout=5)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if split:
        cut = len(request) - len(data) + split
        conn.sendall(request[:cut])
        time.sleep(0.3)
        conn.sendall(request[cut:])
    else:
        conn.sendall(request)
    reply = b""
    while b"\r\n" not in reply:
        chunk = conn.recv(4096)
        if not chunk:
            break
        reply += chunk
    conn.close()
    if reply.startswith(b"HTTP/1."):
        print("STATUS", reply.split()[1].decode())
    else:
        print("CLOSED")
except ConnectionResetError:
    print("RESET")
except OSError as err:
    print("FAILED", type(err).__name__)
EOF
}

start_server() {
    : >"$WORK/server.log"
    spawn_server python3 "$WORK/server.py" "$PORT" "$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 50); do
        if in_client python3 "$WORK/client.py" "$V4_SERVER" "$PORT" GET "" |
            grep -q "STATUS 200"; then
            return
        fi
        sleep 0.1
    done
    die "the HTTP server did not start"
}

# add_rules FAMILY_TOOL QUEUE-TARGET: queue the client's TCP traffic to the
# server on the veth, except the resets dlp-nfq sends (marked).
add_rules() {
    local target=("$@")
    for tool in iptables ip6tables; do
        in_client "$tool" -A OUTPUT -o "$VETH_CLIENT" -p tcp \
            -m mark ! --mark "$RESET_MARK" -j NFQUEUE "${target[@]}"
    done
}

flush_rules() {
    in_client iptables -F OUTPUT
    in_client ip6tables -F OUTPUT
}

# start_enforcer EVENTS-FILE ARGS...
start_enforcer() {
    local events=$1
    shift
    : >"$events"
    spawn_client "$BIN" --events "$events" --stats-interval 0 \
        --reset-mark "$RESET_MARK" "$@" 2>>"$WORK/enforcer.err" &
    ENFORCER_PID=$!
    local queues=1
    if [[ " $* " == *" --queues 2 "* ]]; then
        queues=2
    fi
    for _ in $(seq 100); do
        local bound
        bound=$(in_client cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | wc -l)
        if [[ $bound -ge $queues ]]; then
            return
        fi
        kill -0 "$ENFORCER_PID" 2>/dev/null ||
            die "dlp-nfq exited at start: $(tail -n 5 "$WORK/enforcer.err")"
        sleep 0.1
    done
    die "dlp-nfq did not bind its queues"
}

stop_enforcer() {
    kill -TERM "$ENFORCER_PID"
    local status=0
    wait "$ENFORCER_PID" || status=$?
    ENFORCER_PID=
    check "enforcer stops cleanly on SIGTERM" "$([[ $status == 0 ]]; echo $?)" \
        "exit status $status: $(tail -n 3 "$WORK/enforcer.err")"
}

count_events() {
    # count_events FILE PATTERN
    grep -c -- "$2" "$1" 2>/dev/null || true
}

# wait_events FILE PATTERN MIN: waits up to 3 s for MIN matching lines,
# then a little longer so that an extra event would show.
wait_events() {
    for _ in $(seq 30); do
        if [[ $(count_events "$1" "$2") -ge $3 ]]; then
            break
        fi
        sleep 0.1
    done
    sleep 0.3
    count_events "$1" "$2"
}

client() {
    in_client python3 "$WORK/client.py" "$@"
}

NIR="1 85 05 78 006 084 91"
WRONG_KEY_NIR="1 85 05 78 006 084 36"

run_mode() {
    local mode=$1 events=$WORK/events-$1.jsonl
    shift
    start_enforcer "$events" --mode "$mode" "$@"
    for family in 4 6; do
        local server=$V4_SERVER tag="IPv$family $mode"
        if [[ $family == 6 ]]; then
            server=$V6_SERVER
        fi
        local before result

        # 1. A clean request passes without an event.
        before=$(count_events "$events" '"sensor"')
        result=$(client "$server" "$PORT" GET "")
        check "$tag: clean GET returns 200" \
            "$([[ $result == "STATUS 200" ]]; echo $?)" "$result"
        result=$(client "$server" "$PORT" POST "name=alice&note=hello")
        check "$tag: clean POST returns 200" \
            "$([[ $result == "STATUS 200" ]]; echo $?)" "$result"
        local after
        after=$(wait_events "$events" '"sensor"' $((before + 1)))
        check "$tag: clean requests log no event" \
            "$([[ $after == "$before" ]]; echo $?)" "$((after - before)) events"

        # 2 and 3. A POST with a valid NIR.
        : >"$WORK/server.log"
        before=$(count_events "$events" '"fr_nir"')
        result=$(client "$server" "$PORT" POST "nir=$NIR")
        after=$(wait_events "$events" '"fr_nir"' $((before + 1)))
        if [[ $mode == monitor ]]; then
            check "$tag: NIR POST passes" \
                "$([[ $result == "STATUS 200" ]]; echo $?)" "$result"
            check "$tag: NIR POST logs exactly one fr_nir event" \
                "$([[ $((after - before)) == 1 ]]; echo $?)" \
                "$((after - before)) events"
            check "$tag: server got the body" \
                "$(grep -q '"body": "nir=' "$WORK/server.log"; echo $?)" \
                "$(cat "$WORK/server.log")"
        else
            check "$tag: NIR POST is reset" \
                "$([[ $result == RESET ]]; echo $?)" "$result"
            check "$tag: NIR POST logs a deny event" \
                "$([[ $(count_events "$events" '"action":"deny"') -ge 1 && $((after - before)) == 1 ]]; echo $?)" \
                "$((after - before)) fr_nir events"
            sleep 0.3
            check "$tag: server got no body" \
                "$( ! grep -q '"body"' "$WORK/server.log"; echo $?)" \
                "$(cat "$WORK/server.log")"
        fi
        check "$tag: event masks the value" \
            "$( ! grep -q -- "$NIR" "$events"; echo $?)" "raw value in events"

        # 4. The NIR cut across two TCP segments.
        before=$(count_events "$events" '"fr_nir"')
        result=$(client "$server" "$PORT" POST "nir=$NIR" 13)
        after=$(wait_events "$events" '"fr_nir"' $((before + 1)))
        check "$tag: NIR cut across segments is found" \
            "$([[ $((after - before)) == 1 ]]; echo $?)" \
            "$((after - before)) events, client: $result"
        if [[ $mode == monitor ]]; then
            check "$tag: cut NIR POST passes" \
                "$([[ $result == "STATUS 200" ]]; echo $?)" "$result"
        else
            check "$tag: cut NIR POST is reset" \
                "$([[ $result == RESET ]]; echo $?)" "$result"
        fi

        # 5. A wrong key passes without an event.
        before=$(count_events "$events" '"sensor"')
        result=$(client "$server" "$PORT" POST "nir=$WRONG_KEY_NIR")
        after=$(wait_events "$events" '"sensor"' $((before + 1)))
        check "$tag: wrong-key NIR passes" \
            "$([[ $result == "STATUS 200" ]]; echo $?)" "$result"
        check "$tag: wrong-key NIR logs no event" \
            "$([[ $after == "$before" ]]; echo $?)" "$((after - before)) events"
    done

    # Counters on SIGUSR1.
    local lines
    lines=$(grep -c 'stats:' "$WORK/enforcer.err" || true)
    kill -USR1 "$ENFORCER_PID"
    sleep 0.5
    check "$mode: SIGUSR1 prints counters" \
        "$([[ $(grep -c 'stats:' "$WORK/enforcer.err" || true) -gt $lines ]]; echo $?)" \
        "no stats line"
    stop_enforcer
    check "$mode: events are valid JSON Lines" \
        "$(python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$events" >/dev/null 2>&1; echo $?)" \
        "$(head -n 3 "$events")"
}

# bench_once: prints the iperf3 throughput in Gbit/s from client to server
# over IPv4, trying up to 3 times in case the iperf3 server was not ready.
bench_once() {
    local attempt json rate
    for attempt in 1 2 3; do
        spawn_server iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
        local iperf_pid=$!
        sleep 1
        json=$(in_client iperf3 -c "$V4_SERVER" -p 5201 -t 5 -J || true)
        kill "$iperf_pid" 2>/dev/null || true
        wait "$iperf_pid" 2>/dev/null || true
        if rate=$(python3 -c '
import json, sys
result = json.load(sys.stdin)
print("%.3f" % (result["end"]["sum_received"]["bits_per_second"] / 1e9))
' <<<"$json" 2>/dev/null); then
            echo "$rate"
            return
        fi
        log "iperf3 attempt $attempt failed: $(head -c 300 <<<"$json")"
    done
    die "iperf3 failed 3 times"
}

bench() {
    flush_rules
    local plain queued mode
    plain=$(bench_once)
    log "throughput without the queue: $plain Gbit/s"
    add_rules --queue-num 0 --queue-bypass
    for mode in monitor protect; do
        start_enforcer "$WORK/events-bench.jsonl" --mode "$mode"
        queued=$(bench_once)
        stop_enforcer
        log "throughput through dlp-nfq ($mode, one queue): $queued Gbit/s," \
            "ratio $(python3 -c "print('%.3f' % ($queued / $plain))")"
    done
    flush_rules
}

require
build
setup_network
write_helpers
start_server

log "monitor mode, one queue"
add_rules --queue-num 0 --queue-bypass
run_mode monitor
flush_rules

log "protect mode, two queues"
add_rules --queue-balance 0:1 --queue-bypass
run_mode protect --queues 2
flush_rules

if [[ $BENCH == 1 ]]; then
    bench
fi

printf 'nfq: %d passed, %d failed\n' "$PASSED" "$FAILED"
if [[ $FAILED != 0 ]]; then
    log "FAILED; enforcer log:"
    tail -n 20 "$WORK/enforcer.err" >&2
    exit 1
fi
