#!/usr/bin/env bash
# Build the Xen testbed's boot files into DIR (argument): xen (uncompressed
# multiboot image), vmlinuz (Debian kernel, dom0 and domUs), dom0.img
# (busybox, Xen tools and their libraries, Xen modules, hvkit binaries from
# $HVKIT_BUILD, the domU kernel and initramfs). The kernel comes from the
# guest area's cache (tests/guest/mkguest.sh: apt-get download + dpkg-deb -x).
set -euo pipefail
trap 'echo "mkxen: failed at line $LINENO" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../.." && pwd)}
build=${HVKIT_BUILD:-$src/build}
out=$1
mkdir -p "$out"
log() { echo "mkxen: $*" >&2; }
die() { log "$*"; exit 1; }

xbin=/usr/lib/xen-4.17/bin
[ -f /boot/xen-4.17-amd64.gz ] || die "/boot/xen-4.17-amd64.gz missing (xen-hypervisor-4.17-amd64)"
[ -x $xbin/xl ] || die "$xbin/xl missing (xen-utils-4.17)"

g=$("$src/tests/guest/mkguest.sh")
cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}
kroot="$cache/kernels/$(cat "$g/kpkg")/root"
krel=$(ls -1 "$kroot/lib/modules" | head -n1)
mdir="$kroot/lib/modules/$krel"
[ -f "$mdir/modules.dep" ] || die "no modules.dep under $mdir"
cp "$g/bzImage" "$out/vmlinuz"
zcat /boot/xen-4.17-amd64.gz >"$out/xen"

bb=/bin/busybox
[ -x "$bb" ] || bb=$(command -v busybox)

# Modules with dependencies, in load order, into $1/lib/modules.
modules_into() {
  local root=$1; shift
  local -A seen=()
  local order=() m rel
  add() {
    local r=$1 d
    [ -n "${seen[$r]:-}" ] && return 0
    seen[$r]=1
    for d in $(awk -v m="$r:" '$1 == m { $1 = ""; print }' "$mdir/modules.dep"); do add "$d"; done
    order+=("$r")
  }
  for m in "$@"; do
    rel=$(awk -F: -v a="/$m.ko" 'substr($1, length($1) - length(a) + 1) == a { print $1; exit }' "$mdir/modules.dep")
    [ -n "$rel" ] || { log "module $m not found (builtin?)"; continue; }
    add "$rel"
  done
  mkdir -p "$root/lib/modules"
  : >"$root/lib/modules/load.order"
  for rel in "${order[@]}"; do
    local b; b=$(basename "$rel")
    case "$b" in
      *.ko.xz) xz -dc "$mdir/$rel" >"$root/lib/modules/${b%.xz}"; b=${b%.xz} ;;
      *.ko.zst) zstd -dcq "$mdir/$rel" >"$root/lib/modules/${b%.zst}"; b=${b%.zst} ;;
      *) cp "$mdir/$rel" "$root/lib/modules/$b" ;;
    esac
    echo "$b" >>"$root/lib/modules/load.order"
  done
}

base_root() {
  local r=$1
  mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,var,etc,root,boot,usr/bin,usr/sbin}
  cp "$bb" "$r/bin/busybox"
  for a in $("$bb" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
  echo "root:x:0:" >"$r/etc/group"
}

pack() { (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$2"; }

tmp=$(mktemp -d "$out/.root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# domU: busybox, the role script, front-end drivers.
u="$tmp/domu"
base_root "$u"
cp "$here/img/domu-init" "$u/init"
modules_into "$u" xen-blkfront xen-netfront
pack "$u" "$out/domu.img"

# dom0
r="$tmp/dom0"
base_root "$r"
cp "$here/img/dom0-init" "$r/init"
modules_into "$r" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback loop bridge xen-acpi-processor
mkdir -p "$r$xbin" "$r/etc/xen/scripts" "$r/hvkit/bin"
bins=()
for t in xl xentop xenpm xen-hptool xen-init-dom0 xenconsoled xenstored; do
  cp "$xbin/$t" "$r$xbin/$t"; bins+=("$xbin/$t")
done
# (symlinks there point to Debian's version-picking wrapper script: skip)
for t in /usr/bin/xenstore /usr/bin/xenstore-*; do
  [ -L "$t" ] && continue
  cp "$t" "$r$t"; bins+=("$t")
done
cp "$here/img/vif-bridge" "$here/img/block" "$r/etc/xen/scripts/"
# hvkit binaries: whichever exist in this build.
for t in tests/xen/hvxen-dump hypervisor/hvctl/hvctl xentop-ng/xentop-ng; do
  if [ -x "$build/$t" ]; then cp "$build/$t" "$r/hvkit/bin/"; bins+=("$build/$t"); log "hvkit: $t"; fi
done
[ -x "$r/hvkit/bin/hvxen-dump" ] || die "hvxen-dump not built in $build"
# Shared libraries (ldd), and libgcc_s for glibc's pthread_cancel.
libs=$(for b in "${bins[@]}"; do { ldd "$b" 2>/dev/null || echo "mkxen: ldd $b failed" >&2; } | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/lib/ {print $1}'; done | sort -u)
# (no early exit in awk: ldconfig would die of SIGPIPE under pipefail)
gcc_s=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ && !f {print $NF; f = 1}')
for l in $libs $gcc_s /lib64/ld-linux-x86-64.so.2; do
  mkdir -p "$r$(dirname "$l")"; cp -L "$l" "$r$l"
done
# Developing: HVKIT_XEN_DEBUG_SCRIPT runs in dom0 right after the tool stack.
[ -n "${HVKIT_XEN_DEBUG_SCRIPT:-}" ] && cp "$HVKIT_XEN_DEBUG_SCRIPT" "$r/hvkit/debug.sh"
cp "$out/vmlinuz" "$r/boot/vmlinuz"
cp "$out/domu.img" "$r/boot/domu.img"
pack "$r" "$out/dom0.img"
# P-state tables for QEMU's CPUs (the guest area's SSDT generator), used by
# the P-state scenario; without iasl that scenario is skipped.
if command -v iasl >/dev/null; then
  "$src/tests/guest/ssdt.sh" 4 >"$tmp/ssdt.asl" &&
    iasl -p "$tmp/ssdt" "$tmp/ssdt.asl" >/dev/null 2>&1 &&
    cp "$tmp/ssdt.aml" "$out/ssdt.aml" || log "could not compile the SSDT"
fi
log "built $out ($(du -sh "$out/dom0.img" | cut -f1) dom0 initramfs, kernel $krel)"
