#!/usr/bin/env bash
# Build (once) the disposable hvkit test guest from Debian packages and print
# the directory holding it: vmlinux (uncompressed PVH ELF, or empty if it
# could not be extracted), bzImage, initrd.img (busybox + modules + /init),
# kver. Cached under ${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}, keyed by
# kernel package version + a hash of these scripts; safe to run concurrently.
#
# Env: HVKIT_GUEST_CACHE   cache dir
#      HVKIT_GUEST_KPKG    kernel package (default: what linux-image-amd64 depends on)
#      HVKIT_GUEST_KDEB    use this kernel .deb instead of downloading
#      HVKIT_GUEST_MODULES extra module names for the initramfs (space separated)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}
mkdir -p "$cache"
log() { echo "mkguest: $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=../../scripts/lib/retry.sh
. "$here/../../scripts/lib/retry.sh"

# Modules the guest needs that the Debian kernel builds as modules.
modules="virtio virtio_ring virtio_pci virtio_blk virtio_net virtio_console
 acpi-cpufreq cpufreq_ondemand cpufreq_userspace cpufreq_powersave
 cpufreq_conservative msr cpuid ${HVKIT_GUEST_MODULES:-}"

hash=$(cat "$here/mkguest.sh" "$here/init" | { cat; echo "$modules"; } |
  sha256sum | cut -c1-12)

# Which kernel: the candidate of linux-image-amd64 (6.1.x on Debian 12).
kdeb=${HVKIT_GUEST_KDEB:-}
kkey='' kpkg='' kver=''
find_kernel() {
  kpkg=${HVKIT_GUEST_KPKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}')}
  if [ -n "$kpkg" ]; then
    kver=$(apt-cache policy "$kpkg" 2>/dev/null | awk '/Candidate:/{print $2}')
    [ -n "$kver" ] && [ "$kver" != "(none)" ] && kkey="${kpkg}_${kver}"
  fi
  return 0
}
if [ -n "$kdeb" ]; then
  kkey=$(basename "$kdeb" .deb)
else
  find_kernel
  if [ -z "$kkey" ] && [ -z "$(ls -A "$cache/kernels" 2>/dev/null)" ] && [ "$(id -u)" = 0 ]; then
    log "no apt metadata for linux-image-amd64: running apt-get update"
    hv_apt update -qq >&2 || true
    find_kernel
  fi
fi
if [ -z "$kkey" ]; then
  # No apt metadata: reuse the newest kernel already in the cache.
  kkey=$(ls -1t "$cache/kernels" 2>/dev/null | head -n1 || true)
  [ -n "$kkey" ] || die "cannot find a kernel package (apt-cache) and none cached"
fi
out="$cache/guest-${kkey}-${hash}"
if [ -f "$out/.done" ]; then touch "$out" 2>/dev/null || true; echo "$out"; exit 0; fi

exec 9>"$cache/.build.lock"
flock -w 900 9 || die "timeout waiting for $cache/.build.lock"
if [ -f "$out/.done" ]; then touch "$out" 2>/dev/null || true; echo "$out"; exit 0; fi

# 1. Kernel package, unpacked (the host's /boot is never touched).
kdir="$cache/kernels/$kkey"
if [ ! -f "$kdir/.done" ]; then
  rm -rf "$kdir"; mkdir -p "$kdir/root" "$cache/debs"
  if [ -z "$kdeb" ]; then
    log "downloading $kpkg $kver"
    # A download that fails (mirror hiccup, lists lock held by another
    # apt) is retried with a bounded wait before the guest build fails.
    (cd "$cache/debs" && hv_apt download -q "$kpkg=$kver" >&2)
    kdeb=$(ls -1 "$cache/debs/${kpkg}_"*"$(echo "$kver" | sed 's/:/%3a/')"*_amd64.deb 2>/dev/null | head -n1)
    [ -n "$kdeb" ] || die "apt-get download $kpkg=$kver produced no .deb"
  fi
  dpkg-deb -x "$kdeb" "$kdir/root"
  # The unpacked tree is all we need; a downloaded .deb is not kept.
  [ -n "${HVKIT_GUEST_KDEB:-}" ] || rm -f "$kdeb"
  krel=$(ls -1 "$kdir/root/lib/modules" | head -n1)
  depmod -b "$kdir/root" "$krel"
  echo "$krel" >"$kdir/krel"
  touch "$kdir/.done"
fi
krel=$(cat "$kdir/krel")
kroot="$kdir/root"
mdir="$kroot/lib/modules/$krel"

# 2. Uncompressed vmlinux (PVH entry boots fastest): find a compressed
# payload magic in the bzImage and decompress until an ELF appears.
extract_vmlinux() {
  local img=$1 dst=$2 magic cmd off
  while read -r magic cmd; do
    command -v "${cmd%% *}" >/dev/null 2>&1 || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null | cut -d: -f1 | head -n 8); do
      tail -c +$((off + 1)) "$img" | $cmd >"$dst" 2>/dev/null || true
      if [ "$(head -c 4 "$dst" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        return 0
      fi
    done
  done <<'M'
\xfd7zXZ\x00 xz -dcq
\x28\xb5\x2f\xfd zstd -dcq
\x1f\x8b\x08 gzip -dcq
BZh bzip2 -dcq
\x02\x21\x4c\x18 lz4 -dc
\x5d\x00\x00 xz -dcq --format=lzma
M
  rm -f "$dst"
  return 1
}
if [ ! -f "$kdir/vmlinux.done" ]; then
  if extract_vmlinux "$kroot/boot/vmlinuz-$krel" "$kdir/vmlinux"; then
    log "extracted vmlinux ($(stat -c %s "$kdir/vmlinux") bytes)"
  else
    log "could not extract vmlinux; guests will boot the bzImage"
    : >"$kdir/vmlinux"
  fi
  touch "$kdir/vmlinux.done"
fi

tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Hard links: every script version shares the kernel's 8 + 65 MB.
ln "$kroot/boot/vmlinuz-$krel" "$tmp/bzImage" 2>/dev/null || cp "$kroot/boot/vmlinuz-$krel" "$tmp/bzImage"
ln "$kdir/vmlinux" "$tmp/vmlinux" 2>/dev/null || cp "$kdir/vmlinux" "$tmp/vmlinux"

# 3. Initramfs: busybox-static, /init, modules in dependency order.
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
[ -n "$bb" ] || die "busybox not found (install busybox-static)"
if command -v file >/dev/null; then file -L "$bb" | grep -q dynamic && die "$bb is dynamic; install busybox-static"; fi
r="$tmp/root"
mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,hvkit/bin,lib/modules}
cp "$bb" "$r/bin/busybox"
cp "$here/init" "$r/init"
chmod 755 "$r/init" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
mknod "$r/dev/console" c 5 1 2>/dev/null || true
mknod "$r/dev/ttyS0" c 4 64 2>/dev/null || true
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"

# Resolve each wanted module and its dependencies from modules.dep.
declare -A seen=()
order=()
add_mod() { # path relative to $mdir
  local rel=$1 dep
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$mdir/modules.dep"); do
    add_mod "$dep"
  done
  order+=("$rel")
}
for m in $modules; do
  alt=$(echo "$m" | tr '_-' '-_')
  rel=$(awk -F: -v a="/$m.ko" -v b="/$alt.ko" \
    'substr($1, length($1) - length(a) + 1) == a || substr($1, length($1) - length(b) + 1) == b { print $1; exit }' \
    "$mdir/modules.dep")
  if [ -z "$rel" ]; then
    grep -q "/$m.ko\$\|/$alt.ko\$" "$mdir/modules.builtin" 2>/dev/null || log "module $m not found (skipped)"
    continue
  fi
  add_mod "$rel"
done
for rel in "${order[@]}"; do
  base=$(basename "$rel")
  case "$base" in
    *.ko.xz) xz -dc "$mdir/$rel" >"$r/lib/modules/${base%.xz}"; base=${base%.xz} ;;
    *.ko.zst) zstd -dcq "$mdir/$rel" >"$r/lib/modules/${base%.zst}"; base=${base%.zst} ;;
    *) cp "$mdir/$rel" "$r/lib/modules/$base" ;;
  esac
  echo "$base" >>"$r/lib/modules/load.order"
done
log "initramfs modules: $(tr '\n' ' ' <"$r/lib/modules/load.order")"
(cd "$r" && find . -exec touch -h -d @0 {} + && find . -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --quiet -R 0:0 --reproducible) |
  gzip -1 >"$tmp/initrd.img"
rm -rf "$r"
echo "$krel" >"$tmp/kver"
echo "$kkey" >"$tmp/kpkg"
chmod 755 "$tmp"
touch "$tmp/.done"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "built $out"
# Old builds of other script versions (unused for 3 days) go away.
find "$cache" -maxdepth 1 -name 'guest-*' -type d -mtime +3 ! -path "$out" -exec rm -rf {} + 2>/dev/null || true
echo "$out"
