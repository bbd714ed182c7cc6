# shellcheck shell=bash
# Bounded retries for transient set-up failures (a package download that
# times out, the dpkg/apt lock held by another package manager). Sourced by
# scripts/install-deps.sh and tests/guest/mkguest.sh.
#
# hv_retry TRIES BUDGET_S CMD...: run CMD until it succeeds, at most TRIES
# times, sleeping 5, 10, 20 ... s in between but never more than BUDGET_S in
# all; returns CMD's last status. Each failure is logged to stderr, so a
# retried run says so.
hv_retry() {
  local tries=$1 budget=$2 n=1 delay=5 waited=0 rc=0
  shift 2
  while :; do
    "$@" && return 0
    rc=$?
    if [ "$n" -ge "$tries" ] || [ "$waited" -ge "$budget" ]; then
      echo "retry: '$*' failed $n time(s), last status $rc: giving up" >&2
      return "$rc"
    fi
    [ $((waited + delay)) -le "$budget" ] || delay=$((budget - waited))
    echo "retry: '$*' failed (status $rc); attempt $((n + 1))/$tries in ${delay}s" >&2
    sleep "$delay"
    waited=$((waited + delay)) n=$((n + 1)) delay=$((delay * 2))
  done
}

# apt-get that waits up to 5 minutes for a lock another package manager
# holds (apt, unattended-upgrades) instead of failing at once, and retries
# a failed download or lock wait 4 times within 10 minutes.
hv_apt() {
  hv_retry 4 600 apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 "$@"
}
