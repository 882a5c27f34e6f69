#!/usr/bin/env bash
# demo.sh: the one-command demo of vigil (`make demo`, as root).
#
# Builds vigil, brings up the lab (network namespaces: two directors, two
# web servers, one client), starts a vigil pair, shows the client's requests
# spread over both web servers through the virtual IP, then kills the master
# under traffic and shows the takeover and the measured outage. Everything is
# torn down at the end, also on Ctrl-C.
#
# Load balancing needs IPVS in the kernel. Where this kernel has none, the
# same demo runs inside the project's test VM (a Debian kernel under qemu,
# integration/vm): the first time, building the VM takes a few minutes.
#
# Usage: examples/demo/demo.sh [--host | --vm]
#   --host  run on this machine even without IPVS (VRRP only: pings, no HTTP)
#   --vm    run in the test VM even if this kernel has IPVS
# Environment: GO (go command), DEMO_RUNS (failovers measured, default 3),
#   DEMO_INTERVAL (VRRP advert interval: 10ms, in the VM 100ms),
#   DEMO_TIMEOUT (the client's request timeout: 200ms, in the VM 1s).
set -euo pipefail

PREFIX=vgl
RUNS=${DEMO_RUNS:-3}

# Colour on a terminal; the host tells the VM (whose console is no terminal of ours).
if [ "${DEMO_COLOR:-}" = 1 ] || { [ -z "${DEMO_COLOR:-}" ] && [ -t 1 ]; }; then
  DEMO_COLOR=1 B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'
else
  DEMO_COLOR=0 B= D= N=
fi
say() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
note() { printf '%s    %s%s\n' "$D" "$*" "$N"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# demo runs the demo itself with the vigil binary $1, on whatever kernel
# this is (the host's or the VM's).
demo() {
  VIGIL=$1 # global: the EXIT trap runs outside this function
  local vigil=$1 started=$SECONDS
  trap '"$VIGIL" lab down -prefix "$PREFIX" >/dev/null 2>&1 || true' EXIT
  trap 'echo; echo "demo: interrupted, tearing down"; exit 130' INT TERM

  say "The lab: five network namespaces on one bridge"
  note "directors d1 (.1) and d2 (.2), web servers rs1 (.11) and rs2 (.12), a client (.50)"
  note "virtual IP 10.77.0.100; nothing touches this machine's own network"
  "$vigil" lab up -prefix "$PREFIX" -interval "$INTERVAL" | sed -n '/^MACHINE/,/^$/p'

  say "Start vigil on both directors (priority 150 and 100, adverts every $INTERVAL)"
  "$vigil" lab start -prefix "$PREFIX" | sed 's/^/    /'

  local traffic="an HTTP request every 5 ms and a ping every 10 ms"
  if [ -e /proc/net/ip_vs ]; then
    say "The client fetches http://10.77.0.100/ eight times"
    note "each web server answers with its name; IPVS on the master alternates them"
    note "(round robin, direct routing: replies go straight from rs1/rs2 to the client)"
  else
    say "The client pings the VIP eight times (no IPVS here: no web pages through it)"
    traffic="a ping every 10 ms"
  fi
  "$vigil" lab get -prefix "$PREFIX" -n 8 | sed 's/^/    /'

  say "Kill the master under traffic, $RUNS times"
  note "d1 dies like a machine losing power: vigil killed, link down"
  note "the client sends $traffic"
  note "d2 must notice (after about 3.6 adverts), take the VIP and announce it (gratuitous ARP)"
  # A run that fails (a loaded machine) ends the drill with what it measured;
  # the demo goes on to the tear-down either way.
  "$vigil" drill -prefix "$PREFIX" -scenario master-crash -n "$RUNS" -interval "$INTERVAL" -timeout "$TIMEOUT" |
    grep -v '^using the lab\|^drill master-crash\|^  pair:\|^  client:\|^note: this kernel' | sed 's/^/    /' || true

  say "Tear down"
  "$vigil" lab down -prefix "$PREFIX" | sed 's/^/    /'
  trap - EXIT
  note "the demo took $((SECONDS - started)) s"
}

has_ipvs() {
  [ -e /proc/net/ip_vs ] && return 0
  command -v modprobe >/dev/null 2>&1 && modprobe ip_vs >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]
}

# Inside the VM: the payload is /payload with bin/vigil on PATH.
if [ "${1:-}" = "--in-vm" ]; then
  # The VM is emulated: its timers run late by tens of milliseconds, which
  # 10ms adverts do not survive (spurious takeovers); 100ms ones do.
  INTERVAL=${DEMO_INTERVAL:-100ms} TIMEOUT=${DEMO_TIMEOUT:-1s}
  note "inside the test VM: Linux $(uname -r), IPVS $(sed -n 's/^IP Virtual Server version \([0-9.]*\).*/\1/p' /proc/net/ip_vs)"
  note "the VM is emulated in software (no KVM): its times are slower and noisier than"
  note "real hardware's, so adverts go every $INTERVAL here instead of 10ms; on a real"
  note "kernel 'vigil drill -scenario master-crash' measures 10ms adverts"
  demo "$(command -v vigil)"
  exit 0
fi

mode=auto
case "${1:-}" in
  --host) mode=host ;;
  --vm) mode=vm ;;
  "") ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac

INTERVAL=${DEMO_INTERVAL:-10ms} TIMEOUT=${DEMO_TIMEOUT:-200ms}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || die "the lab creates network namespaces: run as root (sudo make demo)"

say "Build vigil"
CGO_ENABLED=0 "${GO:-go}" build -trimpath -o bin/vigil ./cmd/vigil
note "bin/vigil ($(du -h bin/vigil | cut -f1), static)"

if [ "$mode" = auto ]; then
  if has_ipvs; then mode=host; else mode=vm; fi
fi
if [ "$mode" = host ]; then
  has_ipvs || note "this kernel has no IPVS: VRRP only, the client pings instead of HTTP"
  demo "$ROOT/bin/vigil"
  exit 0
fi

say "This kernel has no IPVS (no /proc/net/ip_vs, modprobe ip_vs fails)"
note "so the demo runs inside the project's test VM: a Debian kernel with IPVS, under qemu"
note "(integration/vm; the first run builds it, later runs boot in about 20 s)"
payload=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")
trap 'rm -rf "$payload"' EXIT
mkdir -p "$payload/bin"
cp bin/vigil "$payload/bin/vigil" # the binary just built, not a newer one from elsewhere
cp examples/demo/demo.sh "$payload/demo.sh"
set +e
# The console carries kernel messages and the VM's own lines: keep the demo's.
integration/vm/run.sh -t 900 -d "$payload" -e "DEMO_RUNS=$RUNS" -e "DEMO_COLOR=$DEMO_COLOR" ${DEMO_INTERVAL:+-e "DEMO_INTERVAL=$DEMO_INTERVAL"} ${DEMO_TIMEOUT:+-e "DEMO_TIMEOUT=$DEMO_TIMEOUT"} -- bash /payload/demo.sh --in-vm 2>&1 |
  grep --line-buffered -av '^\[ *[0-9]*\.[0-9]*\]\|^VIGIL-VM-EXIT=\|^vm: userland\|^run.sh: the VM ran'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "the demo in the VM failed (exit $rc)"
