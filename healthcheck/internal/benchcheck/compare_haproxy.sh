#!/usr/bin/env bash
# compare_haproxy.sh: calibration for `make bench-checks` (issue #5).
#
# What it measures: the CPU that HAProxy, a production C checker, spends on
# exactly the benchcheck load: N real servers (benchcheck's own listener
# child, on 127.1.0.1, 127.1.0.2, ...) each checked over TCP (connect only)
# once a second. It prints HAProxy's CPU seconds per second (user/system),
# microseconds per check, the listener's CPU and HAProxy's RSS, over a
# steady window after a warm-up.
#
# Why: vigil's TCP connect check costs ~0.45 CPU s/s at N=10000 on the test
# VM, most of it in the kernel's socket/connect/close calls (on loopback the
# listener's half of the handshake runs inside the checker's connect). If
# HAProxy needs about as much, the 0.10 s/s goal is out of reach for any
# full-connect checker on that machine, whatever vigil does in user space.
#
# Two modes, because HAProxy's connect-only check is not a full connect:
# it sets TCP_QUICKACK to 0 before connect() (CONNECT_DELACK_ALWAYS in its
# tcpcheck.c, when no expect rule follows the connect), so the kernel holds
# back the handshake's last ACK; HAProxy sees the socket writable on the
# SYN-ACK and closes it with SO_LINGER 0. On the wire: SYN, SYN-ACK, RST.
# The listener never gets a connection to accept.
#   MODE=haproxy      HAProxy as shipped (the above).
#   MODE=fullconnect  the same HAProxy with a preloaded shim that drops
#                     setsockopt(TCP_QUICKACK, 0) and sets SO_LINGER 0 on
#                     every TCP socket it opens, as vigil does: SYN,
#                     SYN-ACK, ACK, the listener accepts, HAProxy resets.
#                     (Without the second part, when the listener has
#                     already closed, HAProxy closes with FIN, and the
#                     listener's side piles up TIME_WAIT.) That is what
#                     vigil's check does: the like-for-like figure.
#
# How checks are counted: HAProxy and the listeners run in a network
# namespace of their own, so the namespace's TCP counters (/proc/PID/net/snmp)
# count HAProxy's connects and nothing else: ActiveOpens = checks started,
# PassiveOpens = handshakes the listeners completed; OutRsts, EstabResets,
# TcpExt TCPAbortOnData (close with SO_LINGER 0) and TW (time-wait socks
# made: TIME_WAIT, or an orphan FIN_WAIT2 such as a listener that closed
# first and then got the checker's reset), with a count of TIME_WAIT sockets
# on PORT half-way through, say how the connections end. HAProxy's own failed-check count (chkfail)
# and servers UP come from its stats socket. The namespace also keeps the
# listeners clear of anything else bound to 127.1.x.y:PORT on the machine;
# loopback in a namespace takes the same kernel path as in the root one.
#
# Usage (root; run from the repository root):
#   healthcheck/internal/benchcheck/compare_haproxy.sh [-n N] [-p PORT] [-w WINDOW_S] [-u WARMUP_S] [-t NBTHREAD] [-m MODE]
# or the same through the environment: N, PORT, WINDOW, WARMUP, NBTHREAD, MODE.
# Defaults: N=10000 PORT=8080 WINDOW=30 WARMUP=5 NBTHREAD=1 (vigil's checker
# is in effect one loop) MODE=haproxy. NBTHREAD=0 leaves nbthread to
# HAProxy's default (one thread per CPU). PORT+1 and PORT+2 are used inside
# the namespace for HAProxy's (unused) frontend and its stats socket.
set -euo pipefail

N=${N:-10000}
PORT=${PORT:-8080}
WINDOW=${WINDOW:-30}
WARMUP=${WARMUP:-5}
NBTHREAD=${NBTHREAD:-1}
MODE=${MODE:-haproxy}
while getopts "n:p:w:u:t:m:h" opt; do
	case $opt in
	n) N=$OPTARG ;;
	p) PORT=$OPTARG ;;
	w) WINDOW=$OPTARG ;;
	u) WARMUP=$OPTARG ;;
	t) NBTHREAD=$OPTARG ;;
	m) MODE=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done
WINDOW=${WINDOW%s}
WARMUP=${WARMUP%s}
case $MODE in haproxy | fullconnect) ;; *) echo "MODE must be haproxy or fullconnect" >&2; exit 2 ;; esac

for cmd in haproxy ip ss go awk; do
	command -v "$cmd" >/dev/null || { echo "missing command: $cmd" >&2; exit 1; }
done
[[ $MODE == haproxy ]] || command -v cc >/dev/null || { echo "MODE=fullconnect needs cc" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "needs root (network namespace)" >&2; exit 1; }
[[ -f healthcheck/internal/benchcheck/main.go ]] || { echo "run from the repository root" >&2; exit 1; }

tmp=$(mktemp -d)
ns=vigilcal-hap-$$
lpid= hpid=
cleanup() {
	set +e
	[[ -n $hpid ]] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	# Closing the listener's stdin is how benchcheck ends it.
	exec 3>&-
	if [[ -n $lpid ]]; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$lpid" 2>/dev/null || break; sleep 0.2; done
		kill "$lpid" 2>/dev/null
		wait "$lpid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/benchcheck" ./healthcheck/internal/benchcheck
ip netns add "$ns"
ip -n "$ns" link set lo up

preload=
if [[ $MODE == fullconnect ]]; then
	# Without TCP_QUICKACK 0 the kernel acks the SYN-ACK at once, as it does
	# for vigil's connect; SO_LINGER 0 from the start makes every close a
	# reset, as vigil's (HAProxy sets it itself only when the server has not
	# closed first).
	cat >"$tmp/quickack.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*next)(int, int, int, const void *, socklen_t);

	if (level == IPPROTO_TCP && name == TCP_QUICKACK && len >= sizeof(int) && *(const int *)val == 0)
		return 0;
	if (!next)
		next = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	return next(fd, level, name, val, len);
}

int socket(int domain, int type, int protocol)
{
	static int (*next)(int, int, int);
	static const struct linger reset = {1, 0};
	int fd;

	if (!next)
		next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	fd = next(domain, type, protocol);
	if (fd >= 0 && (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	return fd;
}
EOF
	cc -O2 -shared -fPIC -o "$tmp/quickack.so" "$tmp/quickack.c" -ldl
	preload=$tmp/quickack.so
fi

# Checks last microseconds here, so few sockets are open at once; give
# HAProxy as many as the hard limit allows (raising it needs
# CAP_SYS_RESOURCE, which a container may lack).
fds=$(ulimit -Hn)
[[ $fds == unlimited || $fds -gt $(( 2 * N + 4096 )) ]] && fds=$(( 2 * N + 4096 ))
{
	cat <<EOF
global
	nbthread $NBTHREAD
	maxconn 1000
	ulimit-n $fds
	spread-checks 0
	stats socket ipv4@127.0.0.1:$(( PORT + 2 )) level admin

defaults
	mode tcp
	timeout connect 1s
	timeout check 1s
	timeout client 10s
	timeout server 10s

# HAProxy will not start without a listener; nobody connects to this one
# (it is inside the namespace).
frontend unused
	bind 127.0.0.1:$(( PORT + 1 ))
	default_backend reals

backend reals
	default-server check inter 1s fall 3 rise 1
EOF
	# Server i is on the i-th listener address, as listenAddr in
	# children.go computes it: 127.1.0.1 + i.
	awk -v n="$N" -v port="$PORT" 'BEGIN {
		for (i = 0; i < n; i++) {
			v = 127 * 16777216 + 65536 + i + 1
			printf "\tserver s%d %d.%d.%d.%d:%d\n", i, int(v / 16777216) % 256, int(v / 65536) % 256, int(v / 256) % 256, v % 256, port
		}
	}'
} >"$tmp/haproxy.cfg"
if [[ $NBTHREAD == 0 ]]; then
	sed -i '/^\tnbthread 0$/d' "$tmp/haproxy.cfg"
fi
haproxy -c -f "$tmp/haproxy.cfg" >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; exit 1; }

# Listener child: benchcheck -role listener prints "ready" once all N
# listeners are bound and exits when its stdin closes (children.go).
mkfifo "$tmp/listener.in"
ip netns exec "$ns" "$tmp/benchcheck" -role listener -n "$N" -port "$PORT" <"$tmp/listener.in" >"$tmp/listener.out" &
lpid=$!
exec 3>"$tmp/listener.in"
for (( t = 0; t < 600; t++ )); do
	grep -qx ready "$tmp/listener.out" 2>/dev/null && break
	kill -0 "$lpid" 2>/dev/null || { echo "listener child died" >&2; exit 1; }
	sleep 0.1
done
grep -qx ready "$tmp/listener.out" || { echo "listener child not ready" >&2; exit 1; }

ip netns exec "$ns" env ${preload:+LD_PRELOAD="$preload"} haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
hpid=$!
sleep 0.5
kill -0 "$hpid" 2>/dev/null || { cat "$tmp/haproxy.log" >&2; exit 1; }
[[ $(cat "/proc/$hpid/comm") == haproxy ]] || { echo "pid $hpid is not haproxy" >&2; exit 1; }

tck=$(getconf CLK_TCK)
# cpu PID: utime stime in clock ticks (fields 14, 15; the comm field has no
# spaces here), all threads.
cpu() { awk '{print $14, $15}' "/proc/$1/stat"; }
# tcp: the namespace's counters, one "TcpName value" a line.
tcp() {
	awk '$1 == "Tcp:" || $1 == "TcpExt:" { p = $1; sub(":", "", p); if (h[p]) for (i = 2; i <= NF; i++) print p h[p, i], $i; else { h[p] = 1; for (i = 2; i <= NF; i++) h[p, i] = $i } }' \
		"/proc/$hpid/net/snmp" "/proc/$hpid/net/netstat"
}
# machine: busy (user nice system irq softirq steal) and irq+softirq ticks.
machine() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $7 + $8}' /proc/stat; }
# stats: servers UP and the sum of chkfail, from HAProxy's "show stat".
stats() {
	ip netns exec "$ns" bash -c 'exec 5<>/dev/tcp/127.0.0.1/$1; echo "show stat -1 4 -1" >&5; cat <&5' _ $(( PORT + 2 )) |
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$1 == "reals" && $2 != "BACKEND" { up += $c["status"] ~ /^UP/; fail += $c["chkfail"]; n++ }
			END { print up + 0, fail + 0, n + 0 }'
}

sleep "$WARMUP"
read -r up0 chkfail0 nsrv < <(stats)
read -r hu0 hs0 < <(cpu "$hpid")
read -r lu0 ls0 < <(cpu "$lpid")
read -r mb0 mi0 < <(machine)
tcp >"$tmp/tcp0"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
sleep "$(awk -v w="$WINDOW" 'BEGIN {print w / 2}')"
tw=$(ip netns exec "$ns" ss -tanH state time-wait "( sport = :$PORT or dport = :$PORT )" | wc -l)
sleep "$(awk -v w="$WINDOW" 'BEGIN {print w / 2}')"
read -r hu1 hs1 < <(cpu "$hpid")
read -r lu1 ls1 < <(cpu "$lpid")
read -r mb1 mi1 < <(machine)
t1=$(date +%s.%N)
tcp >"$tmp/tcp1"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
read -r up1 chkfail1 _ < <(stats)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$hpid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$hpid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$hpid/status")
kill -0 "$hpid" 2>/dev/null || { echo "haproxy died" >&2; cat "$tmp/haproxy.log" >&2; exit 1; }

d() { awk -v k="$1" 'NR == FNR { a[$1] = $2; next } $1 == k { print $2 - a[$1] }' "$tmp/tcp0" "$tmp/tcp1"; }

awk -v n="$N" -v mode="$MODE" -v nbt="$NBTHREAD" -v thr="$threads" -v tck="$tck" -v t0="$t0" -v t1="$t1" \
	-v hu=$((hu1 - hu0)) -v hs=$((hs1 - hs0)) -v lu=$((lu1 - lu0)) -v ls=$((ls1 - ls0)) \
	-v mb=$((mb1 - mb0)) -v mi=$((mi1 - mi0)) -v ncpu="$(nproc)" \
	-v opens="$(d TcpActiveOpens)" -v passive="$(d TcpPassiveOpens)" -v afails="$(d TcpAttemptFails)" \
	-v resets="$(d TcpEstabResets)" -v outrst="$(d TcpOutRsts)" -v abort="$(d TcpExtTCPAbortOnData)" \
	-v twin="$(d TcpExtTW)" -v tw="$tw" -v nsrv="$nsrv" -v up0="$up0" -v up1="$up1" \
	-v chkfail=$((chkfail1 - chkfail0)) -v rss="$rss" -v hwm="$hwm" -v load0="$load0" -v load1="$load1" \
	-v ver="$(haproxy -v | awk 'NR == 1 {print $3}')" '
BEGIN {
	secs = t1 - t0
	u = hu / tck / secs; s = hs / tck / secs
	row("haproxy", ver ", " mode ", nbthread " (nbt == 0 ? "default" : nbt) " (" thr " threads)")
	row("servers (UP at start / end) / window", nsrv " (" up0 " / " up1 ") / " sprintf("%.1f s", secs))
	row("checks per second (connects started)", sprintf("%.0f", opens / secs))
	row("  failed checks (haproxy chkfail)", chkfail)
	row("  handshakes completed at the listeners / s", sprintf("%.0f", passive / secs))
	row("haproxy CPU seconds per second", sprintf("%.3f (%.1f%% core)", u + s, 100 * (u + s)))
	row("  of which user / system", sprintf("%.3f / %.3f", u, s))
	if (opens > 0)
		row("  per check, user / system", sprintf("%.1f / %.1f us", hu / tck / opens * 1e6, hs / tck / opens * 1e6))
	row("listener process CPU seconds per second", sprintf("%.3f", (lu + ls) / tck / secs))
	row("whole machine busy, of which irq", sprintf("%.3f, %.3f s/s (of %d CPUs)", mb / tck / secs, mi / tck / secs, ncpu))
	row("haproxy RSS (end / peak)", sprintf("%.1f / %.1f MB", rss / 1000, hwm / 1000))
	row("close: RSTs sent / s, linger-0 closes / s", sprintf("%.0f, %.0f", outrst / secs, abort / secs))
	row("  estab resets / s, embryonic (AttemptFails) / s", sprintf("%.0f, %.0f", resets / secs, afails / secs))
	row("  time-wait socks made / s, in TIME_WAIT (mid)", sprintf("%.0f, %d", twin / secs, tw))
	row("load average (start -> end)", load0 " -> " load1)
	if (opens / secs < 0.95 * n || chkfail > 0.01 * opens || up1 < n)
		print "\nINVALID: fewer than 95% of the intended checks ran, more than 1% failed, or servers are down"
}
function row(k, v) { printf "  %-48s %s\n", k, v }'
