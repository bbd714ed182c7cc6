# shellcheck shell=bash disable=SC2154 # root, mdir, libdirs: set by the caller
# Shared by the arm64 image builders (tests/xen/arm64/mkimg.sh,
# tests/kvm/arm64/mkimg.sh); sourced, not run. Callers set:
#   root     the unpacked Debian arm64 packages (busybox, kernel modules)
#   mdir     $root/lib/modules/<release>
#   libdirs  directories searched for arm64 shared libraries, in order
# before calling them.# This file gives log, die, cache (Debian's unpacked arm64 packages live
# under it) and the helpers below.

cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}/arm64
log() { echo "mkimg: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# The output directory $1 and the package cache (apt-get download drops to
# user _apt, hence the mode).
arm64_img_dirs() {
  mkdir -p "$1" "$cache/debs"
  chmod 777 "$cache/debs"
}

# Debian's arm64 kernel package of the day (linux-image-6.1.0-N-arm64).
arm64_kernel_pkg() {
  local k
  k=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  k=${k%:arm64}
  [ -n "$k" ] || die "no linux-image-arm64:arm64 in apt's lists (dpkg --add-architecture arm64; apt-get update)"
  echo "$k"
}

# A short key for the candidate versions of these arm64 packages: a new
# version unpacks into a new cache directory.
arm64_pkgs_key() {
  local p
  for p in "$@"; do apt-cache policy "$p:arm64" | awk -v p="$p" '/Candidate:/{print p "=" $2}'; done | md5sum | cut -c1-12
}

# Download each arm64 package (apt-get download, into the cache) and unpack
# its newest .deb into $root with dpkg-deb -x: nothing is installed. The
# names go to $root/.pkgs.
arm64_fetch() {
  local p deb
  for p in "$@"; do
    (cd "$cache/debs" && apt-get download -q "$p:arm64" >/dev/null 2>&1) || die "apt-get download $p:arm64 failed"
    deb=$(ls -1t "$cache/debs/${p}_"*_arm64.deb | head -n1)
    dpkg-deb -x "$deb" "$root"
    echo "$p" >>"$root/.pkgs"
  done
}

# An initramfs root: busybox with every applet linked, passwd and group.
base_root() {
  local r=$1 a
  mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,var,etc,root,boot,usr/bin,usr/sbin,lib/modules}
  cp "$root/bin/busybox" "$r/bin/busybox"
  # The applet list from the host's busybox (the arm64 one cannot run here).
  for a in $(busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
  echo "root:x:0:" >"$r/etc/group"
}

# Uncompressed: gzip of the 32 MB kernel cost more time than the larger
# load (QEMU maps the file; the kernel unpacks it faster too).
pack() { (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$2"; }

# Modules with their dependencies first (modules.dep), uncompressed; their
# names in load order in lib/modules/load.order.
modules_into() {
  local r=$1 m rel d b
  shift
  : >"$r/lib/modules/load.order"
  for m in "$@"; do
    rel=$(awk -F: -v a="/$m.ko" 'substr($1, length($1) - length(a) + 1) == a { print $1; exit }' "$mdir/modules.dep")
    [ -n "$rel" ] || die "module $m not in $mdir"
    for d in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$mdir/modules.dep") $rel; do
      b=$(basename "$d")
      grep -qx "$b" "$r/lib/modules/load.order" && continue
      cp "$mdir/$d" "$r/lib/modules/$b"
      echo "$b" >>"$r/lib/modules/load.order"
    done
  done
}

# The first of libdirs holding library $1.
find_lib() {
  local d
  for d in "${libdirs[@]}"; do [ -e "$d/$1" ] && { echo "$d/$1"; return; }; done
  return 1
}

# Shared libraries NEEDED by arm64 ELF files, one name a line, recursively
# (readelf, not ldd: the files cannot run here), each with where it was
# found ("NAME PATH", PATH empty when not found).
libs_needed() {
  local f n p
  local -A seen=()
  local todo=("$@")
  while [ ${#todo[@]} -gt 0 ]; do
    f=${todo[0]}
    todo=("${todo[@]:1}")
    for n in $(readelf -d "$f" 2>/dev/null | awk '/NEEDED/{gsub(/[][]/, "", $5); print $5}'); do
      [ -n "${seen[$n]:-}" ] && continue
      seen[$n]=1
      p=$(find_lib "$n") || p=
      echo "$n $p"
      [ -z "$p" ] || todo+=("$p")
    done
  done
}

# Copy the libraries of arm64 ELF files into $1/usr/lib/aarch64-linux-gnu.
# The loader comes with libc from the same directory of libdirs (mixing the
# cross toolchain's loader with libc6:arm64's libc makes pthread_create spin).
libs_into() {
  local r=$1 n p
  shift
  mkdir -p "$r/usr/lib/aarch64-linux-gnu" "$r/lib"
  while read -r n p; do
    [ -n "$p" ] || die "library $n of $* not found (scripts/deps/arm64.sh installs the :arm64 runtime libraries)"
    cp -L "$p" "$r/usr/lib/aarch64-linux-gnu/$n"
  done < <(libs_needed "$@")
  ln -sf /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$r/lib/ld-linux-aarch64.so.1"
}
