#!/usr/bin/env bash
# run.sh: boots the test VM (see build.sh) under qemu with software emulation
# (TCG), runs one command inside and exits with that command's exit code.
#
# Usage: run.sh [options] [--] COMMAND [ARG...]
#   -d DIR     copy the contents of DIR into the VM's /payload (repeatable)
#   -f FILE    copy FILE into the VM's /payload (repeatable)
#   -e K=V     set an environment variable for COMMAND (repeatable);
#              CI is passed through when it is set on the host
#   -t SECS    hard time limit for the whole boot (default 600)
#   -m MB      guest memory (default 1024, raised for large payloads)
#   -s N       guest CPUs (default 2)
#   -l FILE    also keep the console output in FILE
#
# COMMAND runs as root in /payload, with PATH=/payload/bin:/bin; the VM has
# bash, busybox, iproute2 (ip, tc), ipvsadm and ping, the modules for IPVS,
# netem, veth, bridge, dummy and macvlan loaded, and no network but loopback.
# Exit codes: COMMAND's; 124 if the time limit hit; 125 if the VM ended
# without reporting an exit code (crash, panic).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${VM_BUILD_DIR:-$HERE/build}

dirs=() files=() envs=() timeout_s=600 mem='' cpus=2 keep_log=''
while getopts 'd:f:e:t:m:s:l:h' opt; do
  case $opt in
    d) dirs+=("$OPTARG") ;;
    f) files+=("$OPTARG") ;;
    e) envs+=("$OPTARG") ;;
    t) timeout_s=$OPTARG ;;
    m) mem=$OPTARG ;;
    s) cpus=$OPTARG ;;
    l) keep_log=$OPTARG ;;
    h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -gt 0 ] || { echo "run.sh: no command given (run.sh -h for usage)" >&2; exit 2; }
if [ -n "${CI:-}" ]; then envs=("CI=$CI" "${envs[@]}"); fi

"$HERE/build.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/payload"
for d in "${dirs[@]}"; do cp -a "$d/." "$work/root/payload/"; done
for f in "${files[@]}"; do cp -a "$f" "$work/root/payload/"; done

# The command, its environment and PATH, as a script /init runs.
{
  echo '#!/bin/bash'
  echo 'export PATH=/payload/bin:/bin'
  for kv in "${envs[@]}"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"; done
  printf 'exec'; printf ' %q' "$@"; echo
} >"$work/root/payload/.vm-run"
chmod 755 "$work/root/payload/.vm-run"

# The kernel unpacks concatenated cpio archives in order: base, then payload.
(cd "$work/root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --owner=0:0 --quiet) >"$work/payload.cpio"
cat "$OUT/base.cpio" "$work/payload.cpio" >"$work/initrd.cpio"
rm -rf "$work/root" "$work/payload.cpio"

# The initrd is held twice during boot (the image and the unpacked files).
if [ -z "$mem" ]; then
  initrd_mb=$(( $(stat -c %s "$work/initrd.cpio") / 1048576 ))
  mem=$(( 512 + 2 * initrd_mb ))
  [ "$mem" -ge 1024 ] || mem=1024
fi

log=$work/console.log
started=$SECONDS
set +e
timeout -k 5 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -cpu max -smp "$cpus" -m "$mem" \
  -nodefaults -no-user-config -display none -serial stdio -no-reboot \
  -kernel "$OUT/vmlinux" -initrd "$work/initrd.cpio" \
  -append "console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests ${VM_APPEND:-}" \
  </dev/null | sed -u 's/\r$//' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e
echo "run.sh: the VM ran $((SECONDS - started)) s (${cpus} CPUs, ${mem} MB)" >&2
[ -z "$keep_log" ] || cp "$log" "$keep_log"

# The last marker wins (/init prints it after the command ended); it is
# matched anywhere in a line in case a kernel message shares the line.
marker=$(grep -ao 'VIGIL-VM-EXIT=[0-9][0-9]*' "$log" | tail -1 || true)
if [ -n "$marker" ]; then
  exit "${marker#VIGIL-VM-EXIT=}"
fi
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
  echo "run.sh: the VM hit the ${timeout_s}s time limit" >&2
  exit 124
fi
echo "run.sh: the VM ended without an exit marker (qemu exit $qemu_rc)" >&2
exit 125
