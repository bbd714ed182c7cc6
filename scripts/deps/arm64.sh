#!/usr/bin/env bash
# arm64 cross build and its qemu-user test run (cmake/aarch64-linux-gnu.cmake,
# ctest label arm64): the arm64 architecture in dpkg, the cross toolchain,
# qemu-user and the :arm64 -dev packages. Idempotent, non-interactive.
#
# libxen-dev has no Multi-Arch field: installing libxen-dev:arm64 would remove
# libxen-dev:amd64. Its arm64 runtime libraries co-install (Multi-Arch: same),
# so only the -dev package is unpacked into a private tree ($xen_root) whose
# .pc files are rewritten to point there; the toolchain file finds it.
set -euo pipefail
xen_root=${HVKIT_CROSS_XEN:-/usr/local/lib/hvkit-cross/aarch64/libxen-dev}
apt_opts=(-y -qq --no-install-recommends -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive

pkgs=(crossbuild-essential-arm64 qemu-user-static
  libc6:arm64 libcmocka-dev:arm64 libcjson-dev:arm64 libncurses-dev:arm64
  libpfm4-dev:arm64 librrd-dev:arm64 libmicrohttpd-dev:arm64
  libcrypt-dev:arm64 zlib1g-dev:arm64
  libxenmisc4.17:arm64 libxenstore4:arm64 libxencall1:arm64
  libxenevtchn1:arm64 libxenforeignmemory1:arm64 libxengnttab1:arm64
  libxendevicemodel1:arm64 libxentoolcore1:arm64 libxentoollog1:arm64
  libxenhypfs1:arm64)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  echo "arm64.sh: installing ${missing[*]}"
  apt-get update -qq -o DPkg::Lock::Timeout=600
  apt-get install "${apt_opts[@]}" "${missing[@]}"
fi

# The -dev tree: same version as the installed arm64 runtime libraries.
ver=$(dpkg-query -W -f='${Version}' libxenmisc4.17:arm64)
if [ "$(cat "$xen_root/.version" 2>/dev/null)" != "$ver" ]; then
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt-get download drops to user _apt
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q "libxen-dev:arm64=$ver" >/dev/null)
  rm -rf "$xen_root"
  mkdir -p "$xen_root"
  dpkg-deb -x "$tmp"/libxen-dev_*_arm64.deb "$xen_root"
  lib=$xen_root/usr/lib/aarch64-linux-gnu
  for pc in "$lib"/pkgconfig/*.pc; do
    sed -i -e "s|^prefix=.*|prefix=$xen_root/usr|" \
      -e 's|^includedir=.*|includedir=${prefix}/include|' \
      -e 's|^libdir=.*|libdir=${prefix}/lib/aarch64-linux-gnu|' "$pc"
  done
  # The .so links name the versioned files of the runtime packages.
  for so in "$lib"/*.so; do
    ln -sfn "/usr/lib/aarch64-linux-gnu/$(readlink "$so")" "$so"
  done
  echo "$ver" > "$xen_root/.version"
  echo "arm64.sh: libxen-dev:arm64 $ver unpacked in $xen_root"
fi
