# shellcheck shell=bash disable=SC2154,SC2034 # here, src, abuild: set by the caller; work, qpid, t0, t1: for it
# Shared by the arm64 e2e runners (tests/xen/arm64/run-e2e.sh,
# tests/kvm/arm64/run-e2e.sh); sourced, not run. Callers set here (their
# directory, with mkimg.sh), src and abuild (the arm64 cross build).

skip() {
  echo "SKIP: $*"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
die() {
  echo "FAIL: $*"
  exit 1
}

# What every arm64 e2e needs; $1: MB of free memory its QEMU takes.
arm64_e2e_prereqs() {
  local avail
  command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed (qemu-system-arm)"
  command -v promtool >/dev/null || skip "promtool not installed (prometheus)"
  dpkg --print-foreign-architectures | grep -qx arm64 || skip "dpkg has no arm64 architecture (scripts/deps/arm64.sh)"
  [ -x "$abuild/xentop-ng/xentop-ng" ] || skip "no arm64 cross build in $abuild (scripts/test.sh builds it)"
  avail=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
  [ "${avail:-0}" -ge "$1" ] || skip "needs ~$1 MB free memory for QEMU, have ${avail} MB"
}

stop_qemu() {
  if [ -n "${qpid:-}" ] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
  fi
  qpid=
}
arm64_e2e_cleanup() {
  stop_qemu
  if [ -z "${HVT_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}

# A work directory (removed at exit unless HVT_KEEP is set; QEMU $qpid is
# stopped at exit) and the boot images from $here/mkimg.sh in $work/img,
# timed by t0 and t1. $1 names the directory.
arm64_e2e_images() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/hvkit-$1.XXXXXX")
  qpid=
  trap arm64_e2e_cleanup EXIT
  t0=$(date +%s)
  if ! HVKIT_SRC=$src HVKIT_ARM64_BUILD=$abuild "$here/mkimg.sh" "$work/img" >"$work/mkimg.log" 2>&1; then
    cat "$work/mkimg.log"
    grep -q "apt-get download\|apt's lists" "$work/mkimg.log" && skip "could not fetch Debian's arm64 packages"
    die "building the boot images failed"
  fi
  t1=$(date +%s)
}

# The lines between "@@BEGIN $1" and "@@END $1" of $work/console.log,
# without Xen's and the kernel's own messages.
section() { awk -v s="@@BEGIN $1" -v e="@@END $1" '$0==s{f=1;next} $0==e{f=0} f && !/^\(XEN\)/ && !/^\[ *[0-9.]+\]/' "$work/console.log"; }
