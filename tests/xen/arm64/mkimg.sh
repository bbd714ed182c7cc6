#!/usr/bin/env bash
# Boot files for Xen 4.17 on arm64 under qemu-system-aarch64, into DIR:
# xen (the arm64 Image-format hypervisor), Image (Debian's arm64 kernel, for
# dom0 and the domUs), dom0.img (busybox, the Xen tool stack, Xen modules,
# hvkit's arm64 binaries from $HVKIT_ARM64_BUILD and their libraries, the domU
# kernel and initramfs). Debian's arm64 packages are fetched with apt-get
# download and unpacked with dpkg-deb -x into the cache; nothing is installed.
# Libraries come from the host's :arm64 runtime packages (scripts/deps/
# arm64.sh), loader and libc from the same package (libc6:arm64).
set -euo pipefail
trap 'echo "mkimg: failed at line $LINENO" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../../.." && pwd)}
abuild=${HVKIT_ARM64_BUILD:-$src/build-arm64}
out=$1
cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}/arm64
log() { echo "mkimg: $*" >&2; }
die() { log "$*"; exit 1; }
mkdir -p "$out" "$cache/debs"
chmod 777 "$cache/debs" # apt-get download drops to user _apt

kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
kpkg=${kpkg%:arm64}
[ -n "$kpkg" ] || die "no linux-image-arm64:arm64 in apt's lists (dpkg --add-architecture arm64; apt-get update)"
pkgs=("$kpkg" xen-hypervisor-4.17-arm64 xen-utils-4.17 xenstore-utils busybox-static)
key=$(for p in "${pkgs[@]}"; do apt-cache policy "$p:arm64" | awk -v p="$p" '/Candidate:/{print p "=" $2}'; done | md5sum | cut -c1-12)
root=$cache/root-$key
exec 9>"$cache/.lock"
flock -w 600 9 || die "timeout waiting for $cache/.lock"
if [ ! -f "$root/.done" ]; then
  rm -rf "$root"; mkdir -p "$root"
  for p in "${pkgs[@]}"; do
    (cd "$cache/debs" && apt-get download -q "$p:arm64" >/dev/null 2>&1) || die "apt-get download $p:arm64 failed"
  done
  for p in "${pkgs[@]}"; do
    deb=$(ls -1t "$cache/debs/${p}_"*_arm64.deb | head -n1)
    dpkg-deb -x "$deb" "$root"
  done
  krel=$(ls -1 "$root/lib/modules" | head -n1)
  depmod -b "$root" "$krel"
  touch "$root/.done"
fi
flock -u 9
krel=$(ls -1 "$root/lib/modules" | head -n1)
mdir=$root/lib/modules/$krel
xbin=/usr/lib/xen-4.17/bin
cp "$root/boot/xen-4.17-arm64" "$out/xen"
cp "$root/boot/vmlinuz-$krel" "$out/Image"
for t in xentop-ng/xentop-ng hypervisor/hvctl/hvctl webui/hv-webd powerd/hv-powerd; do
  [ -x "$abuild/$t" ] || die "$abuild/$t not built (the arm64 cross build)"
done

base_root() {
  local r=$1
  mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,var,etc,root,boot,usr/bin,usr/sbin,lib/modules}
  cp "$root/bin/busybox" "$r/bin/busybox"
  # The applet list from the host's busybox (the arm64 one cannot run here).
  for a in $(busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
  echo "root:x:0:" >"$r/etc/group"
}
# Uncompressed: gzip of the 32 MB domU kernel cost more time than the
# larger load (QEMU maps the file; the kernel unpacks it faster too).
pack() { (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$2"; }
# Modules with their dependencies first (modules.dep), uncompressed.
modules_into() {
  local r=$1 m rel d; shift
  : >"$r/lib/modules/load.order"
  for m in "$@"; do
    rel=$(awk -F: -v a="/$m.ko" 'substr($1, length($1) - length(a) + 1) == a { print $1; exit }' "$mdir/modules.dep")
    [ -n "$rel" ] || die "module $m not in $krel"
    for d in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$mdir/modules.dep") $rel; do
      b=$(basename "$d"); grep -qx "$b" "$r/lib/modules/load.order" && continue
      cp "$mdir/$d" "$r/lib/modules/$b"; echo "$b" >>"$r/lib/modules/load.order"
    done
  done
}
# Shared libraries of arm64 ELF files, recursively (readelf, not ldd).
libdirs=("$root/usr/lib/aarch64-linux-gnu" "$root/lib/aarch64-linux-gnu" /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu)
find_lib() { local d; for d in "${libdirs[@]}"; do [ -e "$d/$1" ] && { echo "$d/$1"; return; }; done; return 1; }
libs_into() {
  local r=$1 f n p; shift
  local -A seen=()
  local todo=("$@")
  while [ ${#todo[@]} -gt 0 ]; do
    f=${todo[0]}; todo=("${todo[@]:1}")
    for n in $(readelf -d "$f" 2>/dev/null | awk '/NEEDED/{gsub(/[][]/, "", $5); print $5}'); do
      [ -n "${seen[$n]:-}" ] && continue
      seen[$n]=1
      p=$(find_lib "$n") || die "library $n of $f not found (scripts/deps/arm64.sh installs the :arm64 runtime libraries)"
      cp -L "$p" "$r/usr/lib/aarch64-linux-gnu/$n"
      todo+=("$p")
    done
  done
  ln -sf /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$r/lib/ld-linux-aarch64.so.1"
}

tmp=$(mktemp -d "$out/.root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
u=$tmp/domu
base_root "$u"
cp "$src/tests/xen/img/domu-init" "$u/init"
pack "$u" "$out/domu.img"

r=$tmp/dom0
base_root "$r"
cp "$here/dom0-init" "$r/init"
modules_into "$r" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs
mkdir -p "$r$xbin" "$r/hvkit/bin" "$r/usr/lib/aarch64-linux-gnu" "$r/lib"
bins=()
for t in xl xentop xenpm xen-init-dom0 xenconsoled xenstored; do
  cp "$root$xbin/$t" "$r$xbin/$t"; bins+=("$root$xbin/$t")
done
cp "$root/usr/bin/xenstore" "$r/usr/bin/xenstore"; bins+=("$root/usr/bin/xenstore")
for t in xentop-ng/xentop-ng hypervisor/hvctl/hvctl webui/hv-webd powerd/hv-powerd; do
  cp "$abuild/$t" "$r/hvkit/bin/"; bins+=("$abuild/$t")
done
libs_into "$r" "${bins[@]}"
cp "$out/Image" "$r/boot/Image"
cp "$out/domu.img" "$r/boot/domu.img"
pack "$r" "$out/dom0.img"
log "built $out ($(du -sh "$out/dom0.img" | cut -f1) dom0 initramfs, kernel $krel)"
