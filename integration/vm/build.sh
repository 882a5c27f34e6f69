#!/usr/bin/env bash
# build.sh: builds the test VM (an uncompressed Debian kernel and a base
# initramfs) from Debian packages only. Nothing is installed on the host except
# the tools that build and boot the VM (qemu-system-x86, cpio, xz-utils).
#
# Everything is cached under $VM_BUILD_DIR (default integration/vm/build/): a
# second run with the same inputs only checks a stamp and exits.
#
# Outputs:
#   $VM_BUILD_DIR/vmlinux    the kernel, uncompressed ELF (boots faster under TCG)
#   $VM_BUILD_DIR/base.cpio  the initramfs (newc, uncompressed): /init, busybox,
#                            bash, iproute2, ipvsadm, ping, kmod, and the
#                            network modules (indexed for /sbin/modprobe, so the
#                            kernel autoloads them; the IPVS/netem set is loaded
#                            at boot)
#
# Environment:
#   VM_BUILD_DIR    cache directory
#   VM_KERNEL_PKG   kernel package (default: what linux-image-amd64 depends on)
#   VM_EXTRA_MODULES  more kernel modules to load at boot (space separated)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${VM_BUILD_DIR:-$HERE/build}
DEBS=$OUT/debs

# Module trees shipped in the VM (plus whatever they depend on). The kernel
# loads any of them on demand through /sbin/modprobe (kmod), e.g. ipip when a
# test creates an ipip link, nf_tables when it runs nft.
MODULE_DIRS=(
  net/ipv4 net/ipv6 net/netfilter net/sched net/bridge net/8021q net/802 net/llc
  net/core net/packet net/xfrm net/key net/psample net/mpls net/netlink net/unix
  drivers/net/veth.ko drivers/net/dummy.ko drivers/net/macvlan.ko drivers/net/ipvlan
  drivers/net/vxlan drivers/net/geneve.ko drivers/net/tun.ko drivers/net/ifb.ko
  drivers/net/vrf.ko drivers/net/nlmon.ko drivers/net/bonding drivers/net/wireguard
)
# Modules loaded at boot, in this order after dependency resolution.
MODULES=(
  ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_dh ip_vs_mh
  ip_vs_sed ip_vs_nq ip_vs_lblc ip_vs_lblcr ip_vs_fo ip_vs_ovf
  nf_conntrack sch_netem veth bridge dummy macvlan
)
read -ra extra_modules <<<"${VM_EXTRA_MODULES:-}"
MODULES+=("${extra_modules[@]}")
# Debian packages whose programs go into the VM (their libraries are found
# by following Depends through lib* packages).
TOOL_PKGS=(busybox-static bash iproute2 ipvsadm iputils-ping kmod nftables libc6)
# Programs copied into the VM's /bin (with the libraries the dynamic loader
# says they need). busybox provides the rest.
PROGRAMS=(bash ip tc ipvsadm ping kmod nft)
# busybox applets that must NOT be linked: a real program replaces them, or the
# busybox version would shadow a fuller tool that a test may expect.
SKIP_APPLETS=(busybox sh ash bash ip ipneigh tc ping ping6 init linuxrc
  modprobe insmod rmmod lsmod modinfo depmod)

log() { printf 'vm-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Host tools: command -> Debian package.
ensure_host_tools() {
  local -A need=([qemu-system-x86_64]=qemu-system-x86 [cpio]=cpio [xz]=xz-utils
    [timeout]=coreutils [apt-get]=apt [dpkg-deb]=dpkg [find]=findutils [grep]=grep
    [flock]=util-linux)
  local missing=() cmd
  for cmd in "${!need[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing host packages (need root to install): ${missing[*]}"
  log "installing host packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# CANDIDATE maps package -> version apt would download; load_candidates PKG...
# fills it with one apt-cache call (each call costs most of a second).
declare -A CANDIDATE=()
load_candidates() {
  local name ver
  while read -r name ver; do
    [ "$ver" = "(none)" ] || CANDIDATE[$name]=$ver
  done < <(apt-cache policy "$@" 2>/dev/null |
    awk '/^[^ ]/ {n = $1; sub(/:$/, "", n); sub(/:amd64$/, "", n)} /Candidate:/ {print n, $2}')
}

ensure_apt_lists() {
  load_candidates linux-image-amd64
  if [ -z "${CANDIDATE[linux-image-amd64]:-}" ]; then
    log "apt lists missing: apt-get update"
    apt-get update -qq
    load_candidates linux-image-amd64
  fi
  [ -n "${CANDIDATE[linux-image-amd64]:-}" ] || die "apt knows no linux-image-amd64"
}

kernel_package() {
  if [ -n "${VM_KERNEL_PKG:-}" ]; then echo "$VM_KERNEL_PKG"; return; fi
  apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}'
}

# lib_closure PKG... prints PKG... plus every lib*/zlib* package reachable
# through Depends/PreDepends from them (recursing through libraries only, so
# helper programs such as debconf are not pulled in). One apt-cache call per
# level of the dependency tree.
lib_closure() {
  local -A seen=()
  local level=("$@") next p
  while [ "${#level[@]}" -gt 0 ]; do
    for p in "${level[@]}"; do seen[$p]=1; echo "$p"; done
    next=()
    while read -r p; do
      case $p in lib*|zlib*) [ -z "${seen[$p]:-}" ] && { seen[$p]=1; next+=("$p"); } ;; esac
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${level[@]}" 2>/dev/null |
      awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 !~ /^</ {sub(/:any$/, "", $2); print $2}' | sort -u)
    for p in "${next[@]}"; do unset "seen[$p]"; done
    level=("${next[@]}")
  done
}

# deb_path PKG prints the cached .deb of PKG's candidate version, if any.
deb_path() {
  local v=${CANDIDATE[$1]:-}
  [ -n "$v" ] || die "no candidate for package $1"
  compgen -G "$DEBS/${1}_${v/:/%3a}_*.deb" | head -1 || true
}

# download PKG... fetches each package's candidate .deb into $DEBS unless
# cached (CANDIDATE must hold the packages), and prints the .deb paths.
download() {
  mkdir -p "$DEBS"
  local p want=()
  for p in "$@"; do [ -n "$(deb_path "$p")" ] || want+=("$p"); done
  if [ "${#want[@]}" -gt 0 ]; then
    log "downloading ${#want[@]} packages: ${want[*]}"
    (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "${want[@]}" >/dev/null)
  fi
  for p in "$@"; do
    [ -n "$(deb_path "$p")" ] || die "download of $p failed"
    deb_path "$p"
  done
}

# extract_vmlinux VMLINUZ OUT: the bzImage carries the kernel as an XZ stream;
# try each XZ magic offset until one decompresses to an ELF file.
extract_vmlinux() {
  local in=$1 out=$2 off
  local offsets
  mapfile -t offsets < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$in" | cut -d: -f1)
  for off in "${offsets[@]}"; do
    tail -c +"$((off + 1))" "$in" | xz -dc --single-stream >"$out.tmp" 2>/dev/null || true
    if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
      mv "$out.tmp" "$out"
      return 0
    fi
  done
  rm -f "$out.tmp"
  die "no XZ-compressed ELF kernel found in $in"
}

# find_in STAGING NAME prints the path of program NAME inside an unpacked tree.
find_in() {
  local d
  for d in bin sbin usr/bin usr/sbin; do
    if [ -f "$1/$d/$2" ] && [ ! -L "$1/$d/$2" ]; then echo "$1/$d/$2"; return 0; fi
  done
  die "program $2 not found in the unpacked packages"
}

main() {
  # One build at a time per cache directory (parallel `go test` runs, make -j).
  mkdir -p "$OUT"
  exec 9>"$OUT/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  # The stamp covers this script, /init and the settings; a new Debian kernel
  # is picked up by `rm -rf build` (CI starts from an empty cache anyway).
  local stamp
  stamp=$( { cat "$0" "$HERE/init"; echo "${MODULES[*]} ${VM_KERNEL_PKG:-}"; } |
    sha256sum | cut -d' ' -f1)
  if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ] &&
    [ -s "$OUT/vmlinux" ] && [ -s "$OUT/base.cpio" ]; then
    return 0
  fi
  ensure_host_tools
  ensure_apt_lists
  local kpkg kver
  kpkg=$(kernel_package)
  [ -n "$kpkg" ] || die "cannot resolve the kernel package"
  mapfile -t pkgs < <(lib_closure "${TOOL_PKGS[@]}" | sort -u)
  load_candidates "$kpkg" "${pkgs[@]}"
  log "building into $OUT (kernel package $kpkg)"
  mkdir -p "$OUT"
  rm -f "$OUT/stamp"

  # Kernel: unpack, extract vmlinux, build modules.dep with Debian's depmod.
  local kdeb kdir=$OUT/kernel
  kdeb=$(download "$kpkg")
  if [ ! -f "$kdir/.from" ] || [ "$(cat "$kdir/.from")" != "$kdeb" ]; then
    rm -rf "$kdir"; mkdir -p "$kdir"
    dpkg -x "$kdeb" "$kdir"
    echo "$kdeb" >"$kdir/.from"
  fi
  kver=$(basename "$(compgen -G "$kdir/lib/modules/*" | head -1)")
  [ -n "$kver" ] || die "no modules in $kpkg"
  extract_vmlinux "$kdir/boot/vmlinuz-$kver" "$OUT/vmlinux"

  # Userland packages, unpacked together into one staging tree.
  local st=$OUT/staging
  rm -rf "$st"; mkdir -p "$st"
  local debs deb
  debs=$(download "${pkgs[@]}")
  for deb in $debs; do dpkg -x "$deb" "$st"; done
  local ldso
  ldso=$(find "$st/lib" "$st/usr/lib" -name 'ld-linux-x86-64.so.2' -type f 2>/dev/null | head -1)
  [ -n "$ldso" ] || die "no dynamic loader in libc6"
  local libpath
  libpath=$(find "$st" -maxdepth 3 -type d -name x86_64-linux-gnu \( -path '*/lib/*' \) | paste -sd:)
  # Run the unpacked kmod through the unpacked loader: the host needs no kmod.
  kmod() { local name=$1; shift; "$ldso" --library-path "$libpath" --argv0 "$name" "$(find_in "$st" kmod)" "$@"; }
  kmod depmod -b "$kdir" "$kver"
  local emptyconf=$OUT/modprobe.d; mkdir -p "$emptyconf"

  # Root filesystem of the initramfs.
  local rf=$OUT/rootfs
  rm -rf "$rf"
  mkdir -p "$rf"/{bin,dev,proc,sys,run,tmp,etc,root,payload,lib64,"lib/modules/$kver"}
  cp "$(find_in "$st" busybox)" "$rf/bin/busybox"
  local a skip
  for a in $("$rf/bin/busybox" --list); do
    skip=
    for s in "${SKIP_APPLETS[@]}"; do [ "$a" = "$s" ] && skip=1; done
    [ -n "$skip" ] || ln -sf busybox "$rf/bin/$a"
  done
  local prog src lib libs
  for prog in "${PROGRAMS[@]}"; do
    src=$(find_in "$st" "$prog")
    cp "$src" "$rf/bin/$prog"
    libs=$("$ldso" --library-path "$libpath" --list "$src")
    if grep -q 'not found' <<<"$libs"; then
      die "$prog needs a library no unpacked package has: $(grep 'not found' <<<"$libs" | tr -s '\t\n' ' ')"
    fi
    mapfile -t needed < <(awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$libs")
    for lib in "${needed[@]}"; do
      mkdir -p "$rf/$(dirname "${lib#"$st"/}")"
      cp -L "$lib" "$rf/${lib#"$st"/}"
    done
  done
  ln -s bash "$rf/bin/sh"
  local m
  for m in modprobe insmod rmmod lsmod modinfo depmod; do ln -s kmod "$rf/bin/$m"; done
  mkdir -p "$rf/sbin" && ln -s ../bin/kmod "$rf/sbin/modprobe" # the kernel's module loader
  cp "$ldso" "$rf/lib64/ld-linux-x86-64.so.2"
  # tc's netem delay distributions.
  local tcdir
  tcdir=$(find "$st" -type d -path '*/lib/*' -name tc | head -1)
  if [ -n "$tcdir" ]; then
    mkdir -p "$rf/${tcdir#"$st"/}" && cp "$tcdir"/*.dist "$rf/${tcdir#"$st"/}/"
  fi
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rf/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rf/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$rf/etc/hosts"
  printf 'hosts: files\n' >"$rf/etc/nsswitch.conf"
  if [ "$(id -u)" -eq 0 ]; then mknod "$rf/dev/console" c 5 1; fi

  # Modules: the shipped trees and their dependencies, indexed by depmod so
  # the kernel can autoload them; the boot list in dependency order with the
  # options modprobe would pass.
  local kmods=$kdir/lib/modules/$kver rmods=$rf/lib/modules/$kver
  mapfile -t shipped < <(for d in "${MODULE_DIRS[@]}"; do
    [ -e "$kmods/kernel/$d" ] || die "no module tree $d in $kpkg"
    find "$kmods/kernel/$d" -name '*.ko*' -printf '%f\n'; done | sed 's/\.ko.*$//' | sort -u)
  local line path args rel
  declare -A have=()
  while read -r line; do
    case $line in insmod\ *) ;; *) continue ;; esac
    read -r _ path _ <<<"$line"
    [ -n "${have[$path]:-}" ] && continue
    have[$path]=1
    rel=${path#"$kmods"/}
    mkdir -p "$rmods/$(dirname "$rel")"
    cp "$path" "$rmods/$rel"
  done < <(kmod modprobe -C "$emptyconf" -d "$kdir" -S "$kver" --show-depends -a "${shipped[@]}" "${MODULES[@]}")
  cp "$kmods"/modules.builtin "$kmods"/modules.builtin.modinfo "$kmods"/modules.order "$rmods/"
  kmod depmod -b "$rf" "$kver"
  have=()
  : >"$rf/etc/vm-modules"
  while read -r line; do
    case $line in insmod\ *) ;; *) continue ;; esac
    read -r _ path args <<<"$line"
    [ -n "${have[$path]:-}" ] && continue
    have[$path]=1
    echo "${path#"$kmods"/} $args" >>"$rf/etc/vm-modules"
  done < <(kmod modprobe -C "$emptyconf" -d "$kdir" -S "$kver" --show-depends -a "${MODULES[@]}")
  cp "$HERE/init" "$rf/init"
  chmod 755 "$rf/init"

  (cd "$rf" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --quiet) >"$OUT/base.cpio.tmp"
  mv "$OUT/base.cpio.tmp" "$OUT/base.cpio"
  echo "$kver" >"$OUT/kernel-version"
  echo "$stamp" >"$OUT/stamp"
  log "done: $OUT/vmlinux ($(du -h --apparent-size "$OUT/vmlinux" | cut -f1)), base.cpio ($(du -h --apparent-size "$OUT/base.cpio" | cut -f1)), ${#have[@]} modules loaded at boot, $(find "$rmods" -name '*.ko*' | wc -l) shipped"
}

main "$@"
