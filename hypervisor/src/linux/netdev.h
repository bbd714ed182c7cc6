/* SPDX-License-Identifier: MIT */
/* The one /proc/net/dev parser of libhv (kvm taps, Xen vifs): pure, no
 * allocation, fuzzed by tests/fuzz/fuzz_netdev.c. */
#ifndef HV_LINUX_NETDEV_H
#define HV_LINUX_NETDEV_H

#include <stddef.h>
#include <stdint.h>

/* The counters of a line, from the host's side of the device, in the
 * order of its sysfs statistics files (rx_bytes, rx_packets, ...). */
enum hv_netdev_stat {
	HV_NETDEV_RX_BYTES = 0,
	HV_NETDEV_RX_PKTS,
	HV_NETDEV_RX_ERRS,
	HV_NETDEV_RX_DROP, /* rx_dropped + rx_missed_errors */
	HV_NETDEV_TX_BYTES,
	HV_NETDEV_TX_PKTS,
	HV_NETDEV_TX_ERRS,
	HV_NETDEV_TX_DROP,
	HV_NETDEV_NSTAT,
};

typedef struct hv_netdev_row {
	const char *name; /* into the text, not terminated: name_len bytes */
	size_t name_len;  /* >= 1; the text has ':' right after the name */
	uint64_t v[HV_NETDEV_NSTAT];
} hv_netdev_row;

/* The next interface line at or after *pos in NUL-terminated text:
 * "  name: rx_bytes packets errs drop fifo frame compressed multicast
 * tx_bytes packets errs drop fifo colls carrier compressed". The two
 * header lines and any line without a name, a ':' and 16 unsigned decimals
 * (truncated, garbage, overflowing) are skipped. Returns 1 with *row
 * filled and *pos past the line, 0 at the end of the text. */
int hv_netdev_next(const char **pos, hv_netdev_row *row);

/* Does text start like /proc/net/dev ("Inter-|")? */
int hv_netdev_is_netdev(const char *text);

#endif
