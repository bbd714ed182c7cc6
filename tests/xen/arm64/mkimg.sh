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
. "$src/tests/guest/arm64-lib.sh"
arm64_img_dirs "$out"
kpkg=$(arm64_kernel_pkg)
pkgs=("$kpkg" xen-hypervisor-4.17-arm64 xen-utils-4.17 xenstore-utils busybox-static)
key=$(arm64_pkgs_key "${pkgs[@]}")
root=$cache/root-$key
exec 9>"$cache/.lock"
flock -w 600 9 || die "timeout waiting for $cache/.lock"
if [ ! -f "$root/.done" ]; then
  rm -rf "$root"; mkdir -p "$root"
  arm64_fetch "${pkgs[@]}"
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

# Shared libraries: the unpacked packages first, then the host's :arm64 ones.
libdirs=("$root/usr/lib/aarch64-linux-gnu" "$root/lib/aarch64-linux-gnu" /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu)

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
mkdir -p "$r$xbin" "$r/hvkit/bin"
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
