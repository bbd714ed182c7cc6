/* SPDX-License-Identifier: MIT */
/* The libvirt source: a thread that makes one bulk
 * virConnectGetAllDomainStats per request over a read-only connection, and
 * publishes the result as an immutable table. libvirt is dlopen'ed, so a
 * host without libvirt0 runs the same binary. See lv_int.h and
 * docs/arch/libvirt.md. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "hv/sysio.h"
#include "libvirt/lv_int.h"

#define LV_SONAME "libvirt.so.0"
/* Running guests only; a guest whose libvirt job is busy is reported with
 * what needs no job rather than waited for. */
#define FLAGS                                       \
	(VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
#define MAX_NICS 64
/* lv_int.h spells the groups as numbers (it builds without libvirt). */
_Static_assert(HV_LV_GROUPS ==
                   (VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BLOCK),
               "HV_LV_GROUPS");
_Static_assert(HV_LV_GROUP_BALLOON == VIR_DOMAIN_STATS_BALLOON,
               "HV_LV_GROUP_BALLOON");
_Static_assert(HV_LV_GROUP_NET == VIR_DOMAIN_STATS_INTERFACE,
               "HV_LV_GROUP_NET");

struct fns {
	__typeof__(virInitialize) *init;
	__typeof__(virSetErrorFunc) *set_error_func;
	__typeof__(virConnectOpenReadOnly) *open_ro;
	__typeof__(virConnectClose) *close;
	__typeof__(virConnectIsAlive) *is_alive;
	__typeof__(virConnectGetAllDomainStats) *get_all;
	__typeof__(virDomainStatsRecordListFree) *list_free;
	__typeof__(virDomainGetUUIDString) *uuid;
	__typeof__(virDomainGetName) *name;
	__typeof__(virDomainGetID) *id;
	__typeof__(virDomainGetXMLDesc) *xml;
	__typeof__(virGetLastErrorMessage) *last_msg;
};

/* What a guest's record does not bring every call (kept for one run of
 * it: a guest started again under its UUID has another domain ID, and
 * maybe other NICs and tap names):
 * - its NICs from its XML, fetched once per domain and again every
 *   HV_LV_XML_REFRESH calls (a NIC plugged or unplugged), or when the
 *   interface group counts another number: the stats groups asked for
 *   leave NICs out or unnamed;
 * - its balloon values from the last call with the balloon group. */
struct gcache {
	char uuid[HV_UUID_LEN];
	unsigned id;  /* virDomainGetID: another at each start */
	int n;        /* -1: the XML could not be had */
	unsigned age; /* calls since fetched */
	hv_lv_net nic[MAX_NICS];
	bool has_bal;
	hv_u64 bal[6]; /* in add_balloon's order */
};

struct hv_lv {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned refs; /* owner + a running thread */
	char uri[256];
	uint64_t timeout_ns;
	bool disabled, started, stop;
	bool want, busy;   /* a call asked for / running */
	bool want_nic;     /* the next calls add the interface group */
	uint64_t asked_ns; /* when the pending call was asked for */
	bool ever_done;    /* some call has completed */
	bool last_ok;      /* the last call succeeded */
	bool permanent;    /* the last failure will not go away by retrying */
	hv_lv_tab *latest; /* newest successful table */
	char why[HV_LV_WHY_LEN];
	unsigned calls, connects;
	/* the thread's own */
	void *dl;
	struct fns f;
	virConnectPtr conn;
	struct gcache *gc;
	size_t ngc;
	unsigned since_bal; /* calls since the last with the balloon group */
	bool need_bal;      /* a guest has no balloon values yet */
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* libvirt's default error handler prints to stderr: library code never
 * prints. Errors are read with virGetLastErrorMessage instead. */
static void quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static int load(hv_lv *lv, char *why, size_t len)
{
	void *h = dlopen(LV_SONAME, RTLD_NOW | RTLD_LOCAL);
	void **slot = (void **)&lv->f;
	static const char *const sym[] = {
	    "virInitialize",
	    "virSetErrorFunc",
	    "virConnectOpenReadOnly",
	    "virConnectClose",
	    "virConnectIsAlive",
	    "virConnectGetAllDomainStats",
	    "virDomainStatsRecordListFree",
	    "virDomainGetUUIDString",
	    "virDomainGetName",
	    "virDomainGetID",
	    "virDomainGetXMLDesc",
	    "virGetLastErrorMessage",
	};

	if (!h) {
		snprintf(why, len, "libvirt: library not installed (%s)",
		         LV_SONAME);
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(sym) / sizeof(sym[0]); i++) {
		/* POSIX: dlsym's result converts to a function pointer. */
		slot[i] = dlsym(h, sym[i]);
		if (!slot[i]) {
			snprintf(why, len, "libvirt: %s lacks %s", LV_SONAME,
			         sym[i]);
			dlclose(h);
			return -ENOENT;
		}
	}
	lv->dl = h;
	if (lv->f.init() < 0) {
		snprintf(why, len, "libvirt: virInitialize failed");
		return -EIO;
	}
	lv->f.set_error_func(NULL, quiet);
	return 0;
}

static const char *last_msg(hv_lv *lv)
{
	const char *m = lv->f.last_msg();

	return m ? m : "unknown error";
}

static int connect_lv(hv_lv *lv, char *why, size_t len)
{
	lv->conn = lv->f.open_ro(lv->uri);
	__atomic_add_fetch(&lv->connects, 1, __ATOMIC_RELAXED);
	if (!lv->conn) {
		snprintf(why, len, "libvirt: cannot connect to %s: %s", lv->uri,
		         last_msg(lv));
		return -ENOTCONN;
	}
	return 0;
}

static struct gcache *gc_find(struct gcache *c, size_t n, const char *u,
                              unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].uuid, u) == 0 && c[i].id == id)
			return &c[i];
	return NULL;
}

/* d's NICs from its XML (cached in nc, see struct gcache). */
static int add_nics(hv_lv *lv, virDomainPtr dom, hv_lv_dom *d, bool counted,
                    bool cached, struct gcache *nc)
{
	if (cached &&
	    !hv_lv_xml_due(nc->n, nc->age, counted, d->nnet, MAX_NICS)) {
		nc->age++;
	} else {
		char *xml = lv->f.xml(dom, 0);
		nc->n = xml ? hv_lv_parse_ifaces(xml, nc->nic, MAX_NICS) : -1;
		nc->age = 0;
		free(xml);
	}
	return hv_lv_dom_set_nics(d, nc->nic, nc->n, counted);
}

/* The balloon values of this call (kept in nc), or of the last call that
 * had the balloon group: they are gauges, an older one is still right as
 * of its call. A guest new since then has none yet, and a call that asked
 * but got no current size (the guest's job was busy): the next call asks
 * again. */
static void add_balloon(hv_lv *lv, hv_lv_dom *d, bool asked, struct gcache *nc)
{
	hv_u64 *f[6] = {&d->bal_cur_kib, &d->bal_max_kib, &d->avail_kib,
	                &d->unused_kib,  &d->usable_kib,  &d->cache_kib};
	bool got = asked && hv_ok(d->bal_cur_kib);

	for (int i = 0; i < 6; i++) {
		if (got)
			nc->bal[i] = *f[i];
		else if (nc->has_bal)
			*f[i] = nc->bal[i];
		else if (!asked)
			*f[i] = hv_na(HV_NA_NOTYET);
	}
	nc->has_bal |= got;
	lv->need_bal |= !got && (asked || !nc->has_bal);
}

static void to_params(const virTypedParameter *vp, int n, hv_lv_param *p)
{
	for (int i = 0; i < n; i++) {
		p[i].field = vp[i].field;
		p[i].type = vp[i].type;
		switch (vp[i].type) {
		case VIR_TYPED_PARAM_INT:
			p[i].v.l = vp[i].value.i;
			break;
		case VIR_TYPED_PARAM_UINT:
			p[i].v.ul = vp[i].value.ui;
			break;
		case VIR_TYPED_PARAM_LLONG:
			p[i].v.l = vp[i].value.l;
			break;
		case VIR_TYPED_PARAM_ULLONG:
			p[i].v.ul = vp[i].value.ul;
			break;
		case VIR_TYPED_PARAM_STRING:
			p[i].v.s = vp[i].value.s;
			break;
		default:
			p[i].v.ul = 0;
			break;
		}
	}
}

/* One record into the table (with its NICs from the XML). */
static int add_record(hv_lv *lv, hv_lv_tab *t, virDomainStatsRecordPtr r,
                      unsigned groups, struct gcache *nc)
{
	hv_lv_dom *d = hv_lv_tab_add(t);
	const struct gcache *c;
	hv_lv_param *p;
	const char *name;
	unsigned id;
	int rc;

	if (!d)
		return -ENOMEM;
	if (lv->f.uuid(r->dom, d->uuid) < 0)
		d->uuid[0] = '\0';
	for (char *u = d->uuid; *u; u++)
		if (*u >= 'A' && *u <= 'F')
			*u = (char)(*u - 'A' + 'a');
	name = lv->f.name(r->dom);
	if (name)
		hv_sanitize_name(d->name, sizeof(d->name), name, strlen(name));
	p = calloc(r->nparams > 0 ? (size_t)r->nparams : 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	to_params(r->params, r->nparams, p);
	rc = hv_lv_dom_fill(d, p, (size_t)(r->nparams > 0 ? r->nparams : 0));
	free(p);
	if (rc)
		return rc;
	id = lv->f.id(r->dom); /* the handle's, no call to libvirtd */
	c = gc_find(lv->gc, lv->ngc, d->uuid, id);
	if (c) {
		*nc = *c;
	} else {
		snprintf(nc->uuid, sizeof(nc->uuid), "%s", d->uuid);
		nc->id = id;
	}
	add_balloon(lv, d, groups & HV_LV_GROUP_BALLOON, nc);
	return add_nics(lv, r->dom, d, groups & HV_LV_GROUP_NET, c != NULL, nc);
}

static int stats_call(hv_lv *lv, unsigned groups,
                      virDomainStatsRecordPtr **recs, char *why, size_t len)
{
	int n = lv->f.get_all(lv->conn, groups, recs, FLAGS);

	if (n >= 0)
		return n;
	/* libvirtd restarted or died: reconnect once, at once, so a daemon
	 * that is back costs no more than this call. */
	if (lv->f.is_alive(lv->conn) != 1) {
		lv->f.close(lv->conn);
		lv->conn = NULL;
		if (connect_lv(lv, why, len))
			return -ENOTCONN;
		n = lv->f.get_all(lv->conn, groups, recs, FLAGS);
		if (n >= 0)
			return n;
	}
	snprintf(why, len, "libvirt: %s", last_msg(lv));
	return -EIO;
}

/* One bulk call into a new table. */
static int one_call(hv_lv *lv, unsigned groups, hv_lv_tab **out, char *why,
                    size_t len)
{
	virDomainStatsRecordPtr *recs = NULL;
	struct gcache *nc = NULL;
	hv_lv_tab *t = NULL;
	int n, rc = 0;

	if (!lv->conn && connect_lv(lv, why, len))
		return -ENOTCONN;
	t = hv_lv_tab_new();
	if (!t)
		return -ENOMEM;
	t->call_mono_ns = clock_ns(CLOCK_MONOTONIC);
	t->call_boot_ns = clock_ns(CLOCK_BOOTTIME);
	n = stats_call(lv, groups, &recs, why, len);
	if (n < 0) {
		rc = n;
		goto out;
	}
	nc = calloc(n ? (size_t)n : 1, sizeof(*nc));
	if (!nc) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_record(lv, t, recs[i], groups, &nc[i]);
	hv_lv_tab_sort(t);
	t->dur_ns = clock_ns(CLOCK_MONOTONIC) - t->call_mono_ns;
	if (rc == 0) { /* the cache keeps only guests still there */
		free(lv->gc);
		lv->gc = nc;
		lv->ngc = (size_t)n;
		nc = NULL;
	}
out:
	if (recs)
		lv->f.list_free(recs);
	free(nc);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(why, len, "libvirt: out of memory");
		hv_lv_tab_unref(t);
		return rc;
	}
	*out = t;
	return 0;
}

static void lv_release(hv_lv *lv)
{
	bool last;

	pthread_mutex_lock(&lv->mu);
	last = --lv->refs == 0;
	pthread_mutex_unlock(&lv->mu);
	if (!last)
		return;
	if (lv->conn)
		lv->f.close(lv->conn);
	/* The library stays loaded: libvirt keeps threads and atexit state. */
	hv_lv_tab_unref(lv->latest);
	free(lv->gc);
	pthread_cond_destroy(&lv->cv);
	pthread_mutex_destroy(&lv->mu);
	free(lv);
}

/* The groups of the next call (called with the lock). */
static unsigned call_groups(hv_lv *lv)
{
	unsigned g = HV_LV_GROUPS;

	if (lv->want_nic)
		g |= HV_LV_GROUP_NET;
	if (lv->need_bal || ++lv->since_bal >= HV_LV_BALLOON_EVERY) {
		g |= HV_LV_GROUP_BALLOON;
		lv->since_bal = 0;
		lv->need_bal = false;
	}
	return g;
}

/* Runs one call with the lock dropped; publishes the outcome. */
static void serve(hv_lv *lv)
{
	char why[HV_LV_WHY_LEN] = "";
	hv_lv_tab *t = NULL;
	unsigned groups = call_groups(lv);
	int rc;

	lv->want = false;
	lv->busy = true;
	pthread_mutex_unlock(&lv->mu);
	rc = lv->dl ? 0 : load(lv, why, sizeof(why));
	if (rc == 0)
		rc = one_call(lv, groups, &t, why, sizeof(why));
	pthread_mutex_lock(&lv->mu);
	lv->busy = false;
	__atomic_add_fetch(&lv->calls, 1, __ATOMIC_RELAXED);
	lv->ever_done = true;
	lv->last_ok = rc == 0;
	lv->permanent = !lv->dl;
	snprintf(lv->why, sizeof(lv->why), "%s", rc ? why : "");
	if (t) {
		hv_lv_tab_unref(lv->latest);
		lv->latest = t;
	}
	pthread_cond_broadcast(&lv->cv);
}

static void *lv_thread(void *arg)
{
	hv_lv *lv = arg;

	pthread_mutex_lock(&lv->mu);
	while (!lv->stop) {
		if (!lv->want) {
			pthread_cond_wait(&lv->cv, &lv->mu);
			continue;
		}
		serve(lv);
	}
	pthread_mutex_unlock(&lv->mu);
	lv_release(lv);
	return NULL;
}

hv_lv *hv_lv_new(const char *uri, unsigned timeout_ms)
{
	hv_lv *lv = calloc(1, sizeof(*lv));
	pthread_condattr_t ca;

	if (!lv)
		return NULL;
	if (!uri || !uri[0])
		uri = HV_LV_DEFAULT_URI;
	snprintf(lv->uri, sizeof(lv->uri), "%s", uri);
	lv->disabled = strcmp(uri, "none") == 0;
	lv->timeout_ns =
	    (uint64_t)(timeout_ms ? timeout_ms : HV_LV_DEFAULT_TIMEOUT_MS) *
	    1000000ULL;
	lv->refs = 1;
	lv->need_bal = true; /* the first call has every group */
	pthread_mutex_init(&lv->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lv->cv, &ca);
	pthread_condattr_destroy(&ca);
	return lv;
}

void hv_lv_free(hv_lv *lv)
{
	if (!lv)
		return;
	pthread_mutex_lock(&lv->mu);
	lv->stop = true;
	pthread_cond_broadcast(&lv->cv);
	pthread_mutex_unlock(&lv->mu);
	/* A thread stuck in a hung libvirtd frees the object when it comes
	 * back (detached): closing never waits for libvirtd. */
	lv_release(lv);
}

/* Start the thread with every signal blocked in it (SIGPIPE from a
 * libvirtd that went away belongs to no one). Called with the lock. */
static int start(hv_lv *lv)
{
	sigset_t all, old;
	pthread_t th;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	lv->refs++;
	rc = pthread_create(&th, NULL, lv_thread, lv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		lv->refs--;
		return -rc;
	}
	pthread_detach(th);
	lv->started = true;
	return 0;
}

/* While no call ever completed, wait for the first, up to the deadline. */
static void wait_first(hv_lv *lv)
{
	uint64_t end = lv->asked_ns + lv->timeout_ns;
	struct timespec ts = {.tv_sec = (time_t)(end / 1000000000ULL),
	                      .tv_nsec = (long)(end % 1000000000ULL)};

	while (!lv->ever_done &&
	       pthread_cond_timedwait(&lv->cv, &lv->mu, &ts) != ETIMEDOUT)
		;
}

hv_lv_tab *hv_lv_poll(hv_lv *lv, enum hv_lv_status *st, char *why, size_t len)
{
	hv_lv_tab *t = NULL;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	*st = HV_LV_UNAVAILABLE;
	if (lv->disabled) {
		snprintf(why, len, "libvirt: disabled (uri none)");
		return NULL;
	}
	pthread_mutex_lock(&lv->mu);
	if (!lv->started && start(lv)) {
		snprintf(why, len, "libvirt: cannot start its thread");
		goto out;
	}
	if (lv->ever_done && lv->permanent) { /* no library: never retried */
		snprintf(why, len, "%s", lv->why);
		goto out;
	}
	if (!lv->want && !lv->busy) {
		lv->want = true;
		lv->asked_ns = now;
		pthread_cond_broadcast(&lv->cv);
	}
	if (!lv->ever_done)
		wait_first(lv);
	now = clock_ns(CLOCK_MONOTONIC);
	t = hv_lv_tab_ref(lv->latest);
	if (lv->busy && now - lv->asked_ns > lv->timeout_ns) {
		snprintf(why, len, "libvirt: no reply in %u ms",
		         (unsigned)(lv->timeout_ns / 1000000ULL));
		*st = t ? HV_LV_STALE : HV_LV_UNAVAILABLE;
	} else if (!lv->ever_done) {
		snprintf(why, len, "libvirt: no reply in %u ms",
		         (unsigned)(lv->timeout_ns / 1000000ULL));
	} else if (!lv->last_ok) {
		snprintf(why, len, "%s", lv->why);
		*st = t ? HV_LV_STALE : HV_LV_UNAVAILABLE;
	} else {
		why[0] = '\0';
		*st = HV_LV_OK;
	}
out:
	pthread_mutex_unlock(&lv->mu);
	return t;
}

void hv_lv_want_nic_stats(hv_lv *lv, bool on)
{
	pthread_mutex_lock(&lv->mu);
	lv->want_nic = on;
	pthread_mutex_unlock(&lv->mu);
}

unsigned hv_lv_calls(const hv_lv *lv)
{
	return __atomic_load_n(&lv->calls, __ATOMIC_RELAXED);
}

unsigned hv_lv_connects(const hv_lv *lv)
{
	return __atomic_load_n(&lv->connects, __ATOMIC_RELAXED);
}
