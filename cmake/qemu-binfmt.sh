#!/usr/bin/env bash
# qemu-binfmt.sh EMULATOR COMMAND [ARGS...]
# Runs COMMAND where every arm64 ELF it (or anything it starts: scripts,
# daemons, test drivers) executes runs under EMULATOR (qemu-user), as the
# cross build's ctest label arm64 needs. The binfmt_misc entry lives in a
# private binfmt_misc instance of a new user and mount namespace (Linux >=
# 6.7), so the machine's own binfmt_misc is never touched and nothing is left
# behind. Where that is impossible the reason is printed; exit 77 (skip), or
# 1 under CI=true.
set -euo pipefail
emu=$1; shift
cannot() {
  echo "arm64: cannot run arm64 programs through $emu: $*"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
[ -x "$emu" ] || cannot "no such emulator (install qemu-user-static)"
if [ "${HVKIT_BINFMT_INNER:-}" != 1 ]; then
  command -v unshare >/dev/null || cannot "no unshare (util-linux)"
  export HVKIT_BINFMT_INNER=1
  exec unshare --user --map-root-user --mount --propagation private \
    bash "$0" "$emu" "$@"
fi
unset HVKIT_BINFMT_INNER
bm=/proc/sys/fs/binfmt_misc
mount -t binfmt_misc binfmt_misc "$bm" 2>/dev/null ||
  cannot "no private binfmt_misc instance (needs Linux >= 6.7 and user namespaces)"
# ELF64, little endian, ET_EXEC or ET_DYN, e_machine EM_AARCH64 (183).
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
printf '%s' ":hvkit-aarch64:M::$magic:$mask:$emu:F" >"$bm/register" ||
  cannot "binfmt_misc registration refused"
exec "$@"
