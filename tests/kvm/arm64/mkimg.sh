#!/usr/bin/env bash
# Boot files for the KVM/arm64 e2e test (run-e2e.sh), into DIR:
#   Image     Debian's arm64 kernel (KVM is built in: CONFIG_KVM=y), for the
#             emulated host and the nested guest alike;
#   host.img  the emulated host's initramfs: busybox, Debian's arm64
#             qemu-system-aarch64 (qemu-system-arm:arm64) with the shared
#             libraries it needs, hvkit's arm64 binaries from
#             $HVKIT_ARM64_BUILD with theirs, and under /boot the kernel and
#             guest.img;
#   guest.img the nested guest's initramfs: busybox and the MMIO workload
#             (mmio.c, built here with aarch64-linux-gnu-gcc -static).
# Debian's arm64 packages are fetched with apt-get download and unpacked with
# dpkg-deb -x into the cache (/var/cache/hvkit-guest/arm64); nothing is
# installed. qemu's libraries are found by their NEEDED entries: first the
# host's :arm64 runtime libraries (scripts/deps/arm64.sh: libc6:arm64 gives
# loader and libc from one build), then packages of qemu's dependency tree,
# fetched a level at a time until every name resolves.
set -euo pipefail
trap 'echo "mkimg: failed at line $LINENO" >&2' ERR
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../../.." && pwd)}
abuild=${HVKIT_ARM64_BUILD:-$src/build-arm64}
out=$1
. "$src/tests/guest/arm64-lib.sh"
arm64_img_dirs "$out"
kpkg=$(arm64_kernel_pkg)
pkgs=("$kpkg" busybox-static qemu-system-arm)
key=$(arm64_pkgs_key "${pkgs[@]}")
root=$cache/kvm-$key
libdirs=(/usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu "$root/usr/lib/aarch64-linux-gnu" "$root/lib/aarch64-linux-gnu")
qemu=$root/usr/bin/qemu-system-aarch64

# Direct arm64 library dependencies of the packages in $root/.pkgs that are
# neither unpacked nor installed on this machine (installed ones are found
# in /usr/lib/aarch64-linux-gnu).
next_level() {
  local p
  for p in $(sort -u "$root/.pkgs"); do
    apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "$p:arm64" 2>/dev/null |
      awk '/^ *\|?(Pre)?Depends: (lib|zlib)[^<>]*:arm64$/{sub(/:arm64$/, "", $2); print $2}'
  done | sort -u | while read -r p; do
    grep -qx "$p" "$root/.pkgs" && continue
    dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q 'install ok installed' && continue
    echo "$p"
  done
}

exec 9>"$cache/.lock"
flock -w 600 9 || die "timeout waiting for $cache/.lock"
if [ ! -f "$root/.done" ]; then
  rm -rf "$root"
  mkdir -p "$root"
  : >"$root/.pkgs"
  arm64_fetch "${pkgs[@]}"
  for level in 1 2 3 4 5 6; do
    missing=$(libs_needed "$qemu" | awk '$2 == "" {print $1}')
    [ -n "$missing" ] || break
    more=$(next_level)
    [ -n "$more" ] || die "libraries of qemu-system-aarch64 not found in its dependencies: $missing"
    log "level $level: fetching $(echo $more)"
    # shellcheck disable=SC2086
    arm64_fetch $more
  done
  missing=$(libs_needed "$qemu" | awk '$2 == "" {print $1}')
  [ -z "$missing" ] || die "libraries of qemu-system-aarch64 still missing: $missing"
  touch "$root/.done"
fi
flock -u 9
krel=$(ls -1 "$root/lib/modules" | head -n1)
cp "$root/boot/vmlinuz-$krel" "$out/Image"
for t in xentop-ng/xentop-ng hypervisor/hvctl/hvctl webui/hv-webd rdt/hv-rdt; do
  [ -x "$abuild/$t" ] || die "$abuild/$t not built (the arm64 cross build)"
done
command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc not installed (crossbuild-essential-arm64)"

tmp=$(mktemp -d "$out/.root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
g=$tmp/guest
base_root "$g"
cp "$here/guest-init" "$g/init"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$g/bin/mmio" "$here/mmio.c"
pack "$g" "$out/guest.img"

r=$tmp/host
base_root "$r"
cp "$here/host-init" "$r/init"
mkdir -p "$r/hvkit/bin"
cp "$qemu" "$r/usr/bin/"
bins=("$qemu")
for t in xentop-ng/xentop-ng hypervisor/hvctl/hvctl webui/hv-webd rdt/hv-rdt; do
  cp "$abuild/$t" "$r/hvkit/bin/"
  bins+=("$abuild/$t")
done
libs_into "$r" "${bins[@]}"
cp "$out/Image" "$r/boot/Image"
cp "$out/guest.img" "$r/boot/guest.img"
pack "$r" "$out/host.img"
log "built $out ($(du -sh "$out/host.img" | cut -f1) host initramfs, kernel $krel)"
