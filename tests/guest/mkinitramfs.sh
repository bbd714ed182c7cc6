#!/usr/bin/env bash
# Derive an initramfs from the hvkit guest's base one, adding programs with
# their shared libraries (found with ldd, dynamic loader included) and an
# optional boot hook. Prints the path of the derived image (cached).
#
# usage: mkinitramfs.sh [--add PATH[:DEST]]... [--file SRC:DEST]... [--run FILE]
#                       [--base IMG] [-o OUT]
#   --add PATH[:DEST]  a program (its libraries are added) or a directory;
#                      DEST defaults to /hvkit/bin/<name> (on the guest's PATH)
#   --file SRC:DEST    a plain file copied as is
#   --run FILE         a script/program installed as /hvkit/run: the guest's
#                      /init runs it after HVKIT-READY with output on the
#                      console, then prints HVKIT-RUN-DONE rc=N
# Env: HVKIT_GUEST_ADD="PATH[:DEST] ..." is the same as --add for each word.
# The result is the base cpio.gz followed by a second cpio.gz (the kernel
# unpacks concatenated archives in order).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}
die() { echo "mkinitramfs: $*" >&2; exit 1; }

adds=() files=() run='' base='' out=''
for a in ${HVKIT_GUEST_ADD:-}; do adds+=("$a"); done
while [ $# -gt 0 ]; do
  case "$1" in
    --add) adds+=("$2"); shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --run) run=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$base" ] || base="$("$here/mkguest.sh")/initrd.img"
[ -f "$base" ] || die "no base initramfs $base"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r="$tmp/root"
mkdir -p "$r/hvkit/bin"

copy_libs() { # ELF -> its libraries and loader at their own paths
  local f=$1 lib
  ldd "$f" >/dev/null 2>&1 || return 0 # static or not an ELF
  for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
    [ -e "$r$lib" ] && continue
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  # glibc dlopens libgcc_s for pthread_cancel/unwinding.
  for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
    if [ -e "$lib" ] && [ ! -e "$r/lib/x86_64-linux-gnu/libgcc_s.so.1" ]; then
      mkdir -p "$r/lib/x86_64-linux-gnu"
      cp -L "$lib" "$r/lib/x86_64-linux-gnu/libgcc_s.so.1"
    fi
  done
}

for spec in "${adds[@]}"; do
  src=${spec%%:*}
  dest=
  [ "$src" != "$spec" ] && dest=${spec#*:}
  [ -e "$src" ] || die "--add: $src does not exist"
  [ -n "$dest" ] || dest=/hvkit/bin/$(basename "$src")
  mkdir -p "$r$(dirname "$dest")"
  if [ -d "$src" ]; then
    cp -aL "$src" "$r$dest"
    while IFS= read -r -d '' f; do copy_libs "$f"; done < <(find "$src" -type f -perm -u+x -print0)
  else
    cp -L "$src" "$r$dest"
    copy_libs "$src"
  fi
done
for spec in "${files[@]}"; do
  src=${spec%%:*} dest=${spec#*:}
  [ -e "$src" ] && [ "$src" != "$spec" ] || die "--file needs SRC:DEST (got $spec)"
  mkdir -p "$r$(dirname "$dest")"
  cp -L "$src" "$r$dest"
done
if [ -n "$run" ]; then
  [ -f "$run" ] || die "--run: $run does not exist"
  cp -L "$run" "$r/hvkit/run"
  chmod 755 "$r/hvkit/run"
  copy_libs "$run"
fi

(cd "$r" && find . -exec touch -h -d @0 {} + && find . -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --quiet -R 0:0 --reproducible) |
  gzip -1 >"$tmp/extra.cpio.gz"
if [ -z "$out" ]; then
  key=$( { sha256sum "$base" | cut -c1-64; sha256sum "$tmp/extra.cpio.gz" | cut -c1-64; } | sha256sum | cut -c1-16)
  # mtimes zeroed, inodes renumbered, gzip from stdin: equal inputs, equal key
  mkdir -p "$cache/derived"
  out="$cache/derived/$key.img"
  if [ -f "$out" ]; then touch "$out"; echo "$out"; exit 0; fi
  find "$cache/derived" -name '*.img' -mtime +3 -delete 2>/dev/null || true
fi
cat "$base" "$tmp/extra.cpio.gz" >"$tmp/out.img"
mv -f "$tmp/out.img" "$out" 2>/dev/null || { cp "$tmp/out.img" "$out.$$" && mv -f "$out.$$" "$out"; }
echo "$out"
