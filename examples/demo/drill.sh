#!/usr/bin/env bash
# drill.sh: runs `vigil drill` on this machine or inside the project's test
# VM, and brings the results (JSON report, SVG timelines) back. `make drill`
# calls it.
#
# Usage: examples/demo/drill.sh [-o DIR] [--host | --vm] [--] DRILL-FLAGS...
#   -o DIR   write report.json and one SVG timeline per run into DIR
#   --host   run here (the default; needs root). Without IPVS in this kernel
#            the pair runs VRRP only and the client pings (no HTTP).
#   --vm     run in the test VM (integration/vm: a Debian kernel with IPVS,
#            under qemu): HTTP through the VIP, real-server checks. The VM has
#            no keepalived. Chosen by itself for -scenario realserver-dies
#            when this kernel has no IPVS.
# Example: examples/demo/drill.sh -o /tmp/drill --vm -- -scenario master-crash -n 5
# Environment: GO (go command).
set -euo pipefail

out= mode=auto
while [ "$#" -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    --host) mode=host; shift ;;
    --vm) mode=vm; shift ;;
    --in-vm) shift; break ;;
    --) shift; break ;;
    -h | -help | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done

# Inside the VM: run the drill, then print the results as a base64 tar
# between markers on the console, where the host picks them up.
if [ "${IN_VIGIL_VM:-}" = 1 ]; then
  mkdir -p /tmp/drill-out
  rc=0
  vigil drill -json /tmp/drill-out/report.json -timeline /tmp/drill-out "$@" || rc=$?
  echo VIGIL-DRILL-RESULTS-BEGIN
  tar -C /tmp/drill-out -cz . | base64
  echo VIGIL-DRILL-RESULTS-END
  exit "$rc"
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
build() { CGO_ENABLED=0 "${GO:-go}" build -trimpath -o "$1" ./cmd/vigil; }

has_ipvs() {
  [ -e /proc/net/ip_vs ] && return 0
  command -v modprobe >/dev/null 2>&1 && modprobe ip_vs >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]
}
if [ "$mode" = auto ]; then
  mode=host
  case " $* " in *" realserver-dies "* | *"=realserver-dies "*) has_ipvs || mode=vm ;; esac
fi

if [ "$mode" = host ]; then
  [ "$(id -u)" -eq 0 ] || { echo "drill: the lab creates network namespaces: run as root" >&2; exit 1; }
  extra=()
  if [ -n "$out" ]; then mkdir -p "$out"; extra=(-json "$out/report.json" -timeline "$out"); fi
  build bin/vigil
  exec bin/vigil drill "${extra[@]}" "$@"
fi

echo "drill: running in the test VM (integration/vm, a Debian kernel with IPVS under qemu)"
payload=$(mktemp -d "${TMPDIR:-/tmp}/vigil-drill.XXXXXX")
trap 'rm -rf "$payload"' EXIT
mkdir -p "$payload/bin"
build "$payload/bin/vigil"
cp examples/demo/drill.sh "$payload/drill.sh"
set +e
integration/vm/run.sh -t 1800 -l "$payload/console.log" -d "$payload" -e IN_VIGIL_VM=1 -- bash /payload/drill.sh --in-vm "$@" 2>&1 |
  awk '/^VIGIL-DRILL-RESULTS-BEGIN/ {skip = 1} !skip && !/^\[ *[0-9]+\.[0-9]+\]|^VIGIL-VM-EXIT=|^vm: userland/ {print; fflush()} /^VIGIL-DRILL-RESULTS-END/ {skip = 0}'
rc=${PIPESTATUS[0]}
set -e
if [ -n "$out" ]; then
  mkdir -p "$out"
  sed -n '/^VIGIL-DRILL-RESULTS-BEGIN/,/^VIGIL-DRILL-RESULTS-END/p' "$payload/console.log" |
    sed '1d;$d' | tr -d '\r' | base64 -d | tar -xz -C "$out" &&
    echo "drill: results copied from the VM to $out" ||
    echo "drill: no results came back from the VM" >&2
fi
exit "$rc"
