/* SPDX-License-Identifier: MIT */
/* Pure parts of the Xen backend: no hypercalls, unit-tested without Xen. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/knob.h"
#include "linux/netdev.h"
#include "xen/xen_int.h"

uint32_t hv_xen_state(uint32_t f)
{
	uint32_t st = 0;
	uint32_t reason =
	    (f >> HV_XEN_DOMINF_SHUTDOWNSHIFT) & HV_XEN_DOMINF_SHUTDOWNMASK;

	if (f & HV_XEN_DOMINF_DYING)
		st |= HV_DS_DYING;
	if (f & HV_XEN_DOMINF_SHUTDOWN) {
		/* xenstat: crashed is a shutdown whose reason is crash. */
		if (reason == HV_XEN_SHUTDOWN_CRASH)
			st |= HV_DS_CRASHED;
		else
			st |= HV_DS_SHUTDOWN;
	}
	if (f & HV_XEN_DOMINF_BLOCKED)
		st |= HV_DS_BLOCKED;
	if (f & HV_XEN_DOMINF_PAUSED)
		st |= HV_DS_PAUSED;
	if (f & HV_XEN_DOMINF_RUNNING)
		st |= HV_DS_RUNNING;
	return st;
}

/* splitmix64 finaliser: cheap and well mixed. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t hv_xen_key(uint32_t domid, const uint8_t handle[16], uint32_t gen)
{
	uint64_t a = 0, b = 0, h;

	memcpy(&a, handle, 8);
	memcpy(&b, handle + 8, 8);
	h = mix64(a ^ mix64(b ^ mix64((uint64_t)gen)));
	h &= ~0xffffull;
	if (!h)
		h = 1ull << 16; /* keep the key nonzero even for dom0 gen 0 */
	return h | (domid & 0xffffu);
}

void hv_xen_uuid(char out[HV_UUID_LEN], const uint8_t handle[16])
{
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;
	int any = 0;

	for (int i = 0; i < 16; i++)
		any |= handle[i];
	if (!any) {
		out[0] = '\0';
		return;
	}
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[handle[i] >> 4];
		out[o++] = hx[handle[i] & 15];
	}
	out[o] = '\0';
}

bool hv_xen_hotplug_retry(int err)
{
	return err == EBUSY || err == EAGAIN;
}

const char *hv_xen_hotplug_reason(int online, unsigned cpu, int err, char *buf,
                                  size_t len)
{
	const char *op = online ? "online" : "offline";

	switch (err) {
	case EINVAL:
		if (!online && cpu == 0)
			snprintf(buf, len,
			         "Xen refuses to offline cpu0 (EINVAL)");
		else
			snprintf(
			    buf, len,
			    "Xen refused to %s cpu%u: no such CPU (EINVAL)", op,
			    cpu);
		break;
	case ENODEV:
		snprintf(buf, len,
		         "Xen refused to %s cpu%u: it is not in Pool-0 "
		         "(ENODEV); remove it from its cpupool first",
		         op, cpu);
		break;
	case EADDRINUSE:
		snprintf(
		    buf, len,
		    "Xen refused to %s cpu%u: a vCPU is temporarily pinned "
		    "there (EADDRINUSE)",
		    op, cpu);
		break;
	case EBUSY:
		snprintf(buf, len,
		         "Xen refused to %s cpu%u: still busy after retries "
		         "(EBUSY: its cpupool would be left empty, or another "
		         "hotplug is in progress)",
		         op, cpu);
		break;
	case EAGAIN:
		snprintf(buf, len,
		         "Xen refused to %s cpu%u: vCPU migration in progress "
		         "after retries (EAGAIN)",
		         op, cpu);
		break;
	case EEXIST:
		snprintf(buf, len, "cpu%u is already %s (EEXIST)", cpu, op);
		break;
	case EPERM:
	case EACCES:
		snprintf(buf, len,
		         "not allowed to %s cpu%u: needs root in dom0 (%s)", op,
		         cpu, err == EPERM ? "EPERM" : "EACCES");
		break;
	default:
		snprintf(buf, len, "Xen refused to %s cpu%u: %s (errno %d)", op,
		         cpu, strerror(err), err);
		break;
	}
	return buf;
}

/* "vifD.N" at s (the name of a net/dev line, followed by ':'): domid,
 * device id. */
static int parse_vif(const char *s, unsigned *d, unsigned *id)
{
	char *end;
	unsigned long a, b;

	if (strncmp(s, "vif", 3) != 0 || s[3] < '0' || s[3] > '9')
		return -EINVAL;
	errno = 0;
	a = strtoul(s + 3, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end != ':' || a > UINT32_MAX || b > UINT32_MAX)
		return -EINVAL;
	*d = (unsigned)a;
	*id = (unsigned)b;
	return 0;
}

ssize_t hv_xen_parse_netdev(const char *text, hv_xen_vif *out, size_t max)
{
	const char *pos = text;
	hv_netdev_row r;
	size_t n = 0;

	if (!hv_netdev_is_netdev(text))
		return -EINVAL;
	while (hv_netdev_next(&pos, &r)) {
		unsigned d, id;
		/* "-emu" taps of HVM guests and anything else are skipped. */
		if (parse_vif(r.name, &d, &id) < 0 || d >= HV_XEN_DOMID_MAX)
			continue;
		if (out && n < max) {
			hv_xen_vif *v = &out[n];
			v->domid = d;
			v->id = id;
			/* dom0's receive side is what the guest sent. */
			v->tx_bytes = r.v[HV_NETDEV_RX_BYTES];
			v->tx_pkts = r.v[HV_NETDEV_RX_PKTS];
			v->tx_errs = r.v[HV_NETDEV_RX_ERRS];
			v->tx_drop = r.v[HV_NETDEV_RX_DROP];
			v->rx_bytes = r.v[HV_NETDEV_TX_BYTES];
			v->rx_pkts = r.v[HV_NETDEV_TX_PKTS];
			v->rx_errs = r.v[HV_NETDEV_TX_ERRS];
			v->rx_drop = r.v[HV_NETDEV_TX_DROP];
		}
		n++;
	}
	return (ssize_t)n;
}

int hv_xen_parse_vbd_dir(const char *name, uint32_t *domid, uint32_t *dev,
                         uint8_t *src)
{
	const char *p;
	char *end;
	uint8_t s;

	if (strncmp(name, "vbd-", 4) == 0) {
		p = name + 4;
		s = HV_BLK_BLKBACK;
	} else if (strncmp(name, "vbd3-", 5) == 0) {
		p = name + 5;
		s = HV_BLK_TAPDISK;
	} else {
		return -EINVAL;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	unsigned long d = strtoul(p, &end, 10);
	if (errno || *end != '-' || d >= HV_XEN_DOMID_MAX)
		return -EINVAL;
	p = end + 1;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	unsigned long v = strtoul(p, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*domid = (uint32_t)d;
	*dev = (uint32_t)v;
	*src = s;
	return 0;
}

/* Letters as Linux names disks: a..z, aa..zz, ... */
static void disk_letters(char *out, size_t len, unsigned idx)
{
	char tmp[8];
	int n = 0;

	idx++;
	while (idx && n < (int)sizeof(tmp)) {
		idx--;
		tmp[n++] = (char)('a' + idx % 26);
		idx /= 26;
	}
	size_t o = 0;
	while (n > 0 && o + 1 < len)
		out[o++] = tmp[--n];
	out[o] = '\0';
}

void hv_xen_vbd_name(char *out, size_t len, uint32_t dev)
{
	/* docs/misc/vbd-interface.txt: xvd 202<<8 | disk<<4 | part, extended
	 * 1<<28 | disk<<8 | part, hd 3/22, sd 8. */
	const char *pfx = NULL;
	unsigned disk = 0, part = 0;
	unsigned major = dev >> 8, minor = dev & 0xff;
	char letters[8];

	if (dev & (1u << 28)) {
		pfx = "xvd";
		disk = (dev >> 8) & 0xfffff;
		part = dev & 0xff;
	} else if (major == 202) {
		pfx = "xvd";
		disk = minor >> 4;
		part = minor & 15;
	} else if (major == 8) {
		pfx = "sd";
		disk = minor >> 4;
		part = minor & 15;
	} else if (major == 3 || major == 22) {
		pfx = "hd";
		disk = (major == 22 ? 2 : 0) + (minor >> 6);
		part = minor & 63;
	}
	if (!pfx) {
		snprintf(out, len, "%" PRIu32, dev);
		return;
	}
	disk_letters(letters, sizeof(letters), disk);
	if (part)
		snprintf(out, len, "%s%s%u", pfx, letters, part);
	else
		snprintf(out, len, "%s%s", pfx, letters);
}

int hv_xen_parse_cpu_knob(const char *knob, unsigned *cpu, const char **kind)
{
	hv_knob k;

	/* libhv's one knob grammar and CPU limit (hv/knob.h). */
	if (hv_knob_parse(knob, &k, NULL) || !hv_knob_is_cpu(k.kind))
		return -ENOTSUP;
	*cpu = k.cpu;
	*kind = strchr(knob + 4, '/') + 1;
	return 0;
}

int hv_xen_page_refusal(uint32_t st, char *buf, size_t len)
{
	uint32_t owner = st >> HV_XEN_PG_OFFLINE_OWNER_SHIFT;

	if (st & HV_XEN_PG_OFFLINE_FAILED) {
		snprintf(buf, len, "Xen refused to offline the page: %s",
		         st & HV_XEN_PG_OFFLINE_XENPAGE ? "it belongs to Xen"
		         : st & HV_XEN_PG_OFFLINE_DOM0PAGE
		             ? "it belongs to dom0"
		         : st & HV_XEN_PG_OFFLINE_NOT_CONV_RAM
		             ? "it is not conventional RAM"
		         : st & HV_XEN_PG_OFFLINE_ANONYMOUS
		             ? "it is an anonymous page"
		         : st & HV_XEN_PG_OFFLINE_BROKEN ? "it is broken"
		                                         : "no reason given");
		return 1;
	}
	if (st & HV_XEN_PG_OFFLINE_PENDING) {
		if (st & HV_XEN_PG_OFFLINE_OWNED)
			snprintf(buf, len,
			         "offline pending: owned by domain %u, "
			         "offlined when it frees the page",
			         owner);
		else
			snprintf(buf, len, "offline pending");
		return 0;
	}
	if (st & HV_XEN_PG_OFFLINE_OFFLINED) {
		snprintf(buf, len, "offlined");
		return 0;
	}
	snprintf(buf, len,
	         "Xen did not say the page went offline (status "
	         "0x%x)",
	         st);
	return 1;
}
