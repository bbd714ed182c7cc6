/* SPDX-License-Identifier: MIT */
/* Hardware errors on Xen. Xen polls the machine-check banks itself and
 * forwards what it finds to dom0 (VIRQ_MCA); dom0's xen-mcelog driver keeps
 * up to 32 records and hands them out, and clears them, through
 * <devfs>/mcelog. We read that device every sample (O_NONBLOCK: an empty
 * log is -EAGAIN, not a wait) and count per physical CPU (the record's
 * extcpu is Xen's pCPU number) and per page through hv_ras.
 *
 * Pages: Xen's page offlining (XEN_SYSCTL_page_offline_op, libxenguest's
 * xc_mark_page_offline / xc_query_page_offline_status, what xen-hptool
 * mem-offline / mem-status use) for the knob mem/ADDR/offline and for the
 * state of each page with errors. libxenguest is loaded at run time (only
 * these two calls are needed; the library is part of every Xen dom0). */
/* Xen's public headers need GNU C (anonymous unions), as in xen.c. */
#undef __STRICT_ANSI__
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>

#include "hv/ras.h"
#include "xen/xen_int.h"

#define XEN_MCE_LOG_LEN 32
#define MCE_GET_RECORD_LEN _IOR('M', 1, int)

typedef int (*page_op_fn)(xc_interface *, unsigned long, unsigned long,
                          uint32_t *);

struct hv_xen_ras {
	xc_interface *xch;
	hv_ras *ras;
	int fd;
	size_t reclen;
	uint8_t why; /* of the per-CPU counts */
	char note[HV_NOTE_LEN];
	void *lib;
	page_op_fn mark_offline, query;
};

static void add(void *ctx, const hv_mce *m)
{
	hv_ras_add(ctx, m);
}

hv_xen_ras *hv_xen_ras_open(const hv_env *env, xc_interface *xch)
{
	hv_xen_ras *r = calloc(1, sizeof(*r));
	char path[PATH_MAX];
	int len = 0;

	if (!r)
		return NULL;
	r->xch = xch;
	r->fd = -1;
	r->reclen = HV_XEN_MCE_MINLEN;
	if (!(r->ras = hv_ras_new())) {
		free(r);
		return NULL;
	}
	r->lib = dlopen("libxenguest.so.4.17", RTLD_NOW | RTLD_LOCAL);
	if (!r->lib)
		r->lib = dlopen("libxenguest.so", RTLD_NOW | RTLD_LOCAL);
	if (r->lib) {
		r->mark_offline =
		    (page_op_fn)dlsym(r->lib, "xc_mark_page_offline");
		r->query =
		    (page_op_fn)dlsym(r->lib, "xc_query_page_offline_status");
	}
	if (hv_env_path(env, HV_ROOT_DEV, path, sizeof(path), "mcelog") ||
	    (r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		int e = errno;
		r->why = e == ENOENT ? HV_NA_UNSUPPORTED : HV_NA_UNAVAILABLE;
		snprintf(r->note, sizeof(r->note), "%s",
		         e == ENOENT ? "no /dev/mcelog in dom0 (xen-mcelog "
		                       "driver not loaded)"
		                     : "/dev/mcelog not readable (needs root)");
		return r;
	}
	if (ioctl(r->fd, MCE_GET_RECORD_LEN, &len) == 0 &&
	    len >= HV_XEN_MCE_MINLEN && len <= 4096)
		r->reclen = (size_t)len;
	return r;
}

void hv_xen_ras_close(hv_xen_ras *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->lib)
		dlclose(r->lib);
	hv_ras_free(r->ras);
	free(r);
}

/* Xen's page state for the mfn, or negative errno. */
static int page_status(hv_xen_ras *r, uint64_t mfn, uint32_t *st)
{
	if (!r->query)
		return -ENOTSUP;
	*st = 0;
	if (r->query(r->xch, (unsigned long)mfn, (unsigned long)mfn, st) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

static void page_states(hv_xen_ras *r, hv_host *h)
{
	for (uint32_t i = 0; i < h->nr_page; i++) {
		hv_page *pg = &h->page[i];
		uint32_t st;
		int rc = page_status(r, pg->addr >> HV_RAS_PAGE_SHIFT, &st);
		enum hv_page_state ns;
		if (rc) {
			pg->state = HV_PAGE_UNKNOWN;
			snprintf(pg->reason, sizeof(pg->reason),
			         "xen page status: %s", strerror(-rc));
			continue;
		}
		ns = st & PG_OFFLINE_STATUS_OFFLINED ? HV_PAGE_XEN_OFFLINE
		     : st & PG_OFFLINE_STATUS_OFFLINE_PENDING
		         ? HV_PAGE_XEN_PENDING
		         : HV_PAGE_ONLINE;
		if (ns != pg->state) {
			const char *why = ns == HV_PAGE_ONLINE ? ""
			                  : st & PG_OFFLINE_STATUS_BROKEN
			                      ? "offlined by xen (broken)"
			                      : "offlined by xen";
			(void)hv_ras_page_state(r->ras, pg->addr, ns, why);
			pg->state = (uint8_t)ns;
			snprintf(pg->reason, sizeof(pg->reason), "%s", why);
		}
	}
}

void hv_xen_ras_sample(hv_xen_ras *r, hv_snap *s)
{
	hv_host *h = hv_snap_host_mut(s);
	struct timespec ts;

	if (!r || !h)
		return;
	if (r->fd >= 0) {
		size_t cap = XEN_MCE_LOG_LEN * r->reclen;
		uint8_t *buf = malloc(cap);
		ssize_t n;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		/* The driver wants room for the whole log in one read. */
		n = buf ? read(r->fd, buf, cap) : -1;
		if (n > 0)
			(void)hv_xen_mce_decode(buf, (size_t)n, r->reclen,
			                        (uint64_t)ts.tv_sec *
			                                1000000000ull +
			                            (uint64_t)ts.tv_nsec,
			                        add, r->ras);
		else if (n < 0 && errno != EAGAIN && !r->note[0])
			snprintf(r->note, sizeof(r->note), "/dev/mcelog: %s",
			         strerror(errno));
		free(buf);
	}
	if (hv_ras_fill(r->ras, s, NULL))
		return;
	if (r->fd < 0) {
		for (uint32_t i = 0; i < h->nr_pcpu; i++)
			h->pcpu[i].ce_count = h->pcpu[i].ue_count =
			    h->pcpu[i].last_err_ns = hv_na((hv_why)r->why);
		h->mce_lost = hv_na((hv_why)r->why);
		if (!h->nr_page)
			h->page_why = r->why;
	}
	snprintf(h->ras_note, sizeof(h->ras_note), "%s", r->note);
	page_states(r, h);
}

/* mem/ADDR/offline on Xen: ADDR is a machine address (mfn << 12). */
static int parse(const char *knob, uint64_t *mfn, hv_err *err)
{
	uint64_t a = 0;
	int rc = hv_ras_mem_knob(knob, &a, err);

	*mfn = a >> HV_RAS_PAGE_SHIFT;
	return rc;
}

int hv_xen_ras_knob_get(hv_xen_ras *r, const char *knob, char *val, size_t len,
                        hv_err *err)
{
	uint64_t mfn = 0;
	uint32_t st;
	int rc;

	if ((rc = parse(knob, &mfn, err)))
		return rc;
	if ((rc = page_status(r, mfn, &st)))
		return hv_err_set(err, -rc, "mfn 0x%" PRIx64 ": status: %s",
		                  mfn, strerror(-rc));
	snprintf(val, len, "%d",
	         !!(st & (PG_OFFLINE_STATUS_OFFLINED |
	                  PG_OFFLINE_STATUS_OFFLINE_PENDING)));
	return 0;
}

int hv_xen_ras_knob_set(hv_xen_ras *r, const char *knob, const char *val,
                        hv_err *err)
{
	char why[160];
	uint64_t mfn = 0;
	uint32_t st = 0;
	int rc;

	if ((rc = parse(knob, &mfn, err)))
		return rc;
	if (!strcmp(val, "0"))
		return hv_err_set(err, EPERM,
		                  "mfn 0x%" PRIx64 ": an offlined page is not "
		                  "brought back by hvkit",
		                  mfn);
	if (strcmp(val, "1"))
		return hv_err_set(err, EINVAL, "%s: want 1, got \"%s\"", knob,
		                  val);
	if (!r->mark_offline)
		return hv_err_set(err, ENOTSUP,
		                  "xen: libxenguest (xc_mark_page_offline) "
		                  "not available");
	if (r->mark_offline(r->xch, (unsigned long)mfn, (unsigned long)mfn,
	                    &st) < 0 &&
	    !(st & (PG_OFFLINE_PENDING | PG_OFFLINE_FAILED)))
		return hv_err_set(err, errno ? errno : EIO,
		                  "mfn 0x%" PRIx64 ": page offline: %s", mfn,
		                  strerror(errno ? errno : EIO));
	if (hv_xen_page_refusal(st, why, sizeof(why)))
		return hv_err_set(err, EBUSY, "mfn 0x%" PRIx64 ": %s", mfn,
		                  why);
	(void)hv_ras_page_state(r->ras, mfn << HV_RAS_PAGE_SHIFT,
	                        st & PG_OFFLINE_PENDING ? HV_PAGE_XEN_PENDING
	                                                : HV_PAGE_XEN_OFFLINE,
	                        "offlined by hvkit through xen");
	return 0;
}
