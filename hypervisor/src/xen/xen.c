/* SPDX-License-Identifier: MIT */
/* Xen backend: domains from getdomaininfolist/getvcpuinfo, xenstore names
 * (cached), /proc/net/dev vifs and blkback statistics; the host from
 * libxenctrl (physinfo, topology, per-pCPU idle, C/P-state statistics,
 * cpufreq parameters, PSR CMT); knobs for pCPU hotplug, governor, max
 * frequency and max C-state. See docs/arch/xen.md. */
/* Xen's public headers need GNU C (anonymous unions); the project builds
 * strict C17, so lift the strict flag for this one file. */
#undef __STRICT_ANSI__
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstat.h>
#include <xentoollog.h>

#include "hv/backend.h"
#include "hv/platform.h"
#include "hv/sysio.h"
#include "xen/xen_int.h"

#define DOM_CHUNK 1024
#define HOTPLUG_TRIES 10
#define HOTPLUG_SLEEP_MS 100
#define PX_REPROBE 16 /* samples between retries of absent P-states */
#define CC_MAX 16
#define CX_ARR 64

typedef void *(*xs_open_fn)(unsigned long);
typedef void *(*xs_read_fn)(void *, uint32_t, const char *, unsigned int *);
typedef void (*xs_close_fn)(void *);

struct pcpu_state {
	uint64_t last_idle, last_mono, busy;
	int have;
	int max_cx; /* 0 unknown */
};

struct xen_priv {
	hv_env env;
	xentoollog_logger quiet; /* libxenctrl logs to stderr otherwise */
	xc_interface *xch;
	void *xs_lib, *xsh;
	xs_open_fn xs_open;
	xs_read_fn xs_read;
	xs_close_fn xs_close;
	xc_domaininfo_t *dinfo;
	hv_xen_dominfo *doms;
	size_t domcap;
	hv_xen_vbd *vbd;
	size_t vbdcap;
	hv_xen_doms *ds;
	hv_xen_counts cnt; /* cumulative */
	/* libxenstat as the domain source (HVKIT_XEN_SOURCE=xenstat, or when
	 * libxenstore cannot be loaded): every field from libxenstat, at its
	 * cost; the handle still comes from getdomaininfolist. */
	xenstat_handle *st;
	xenstat_node *node;
	struct pcpu_state *pc;
	size_t npc;
	unsigned px_skip; /* countdown until P-states are probed again */
	int psr_cmt;
	uint32_t psr_factor;
	char version[32];
	char arch[16], cpu_model[64]; /* dom0's view: hv_host_ident */
	hv_xen_ras *ras;              /* /dev/mcelog and page offlining */
};

/* ---- quiet logger ---- */
static void quiet_vmessage(xentoollog_logger *l, xentoollog_level lvl, int e,
                           const char *ctx, const char *fmt, va_list ap)
{
	(void)l, (void)lvl, (void)e, (void)ctx, (void)fmt, (void)ap;
}

static void quiet_progress(xentoollog_logger *l, const char *ctx,
                           const char *what, int pct, unsigned long done,
                           unsigned long total)
{
	(void)l, (void)ctx, (void)what, (void)pct, (void)done, (void)total;
}

static void quiet_destroy(xentoollog_logger *l)
{
	(void)l;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the real data source ---- */
static int src_domlist(void *ctx, const hv_xen_dominfo **out, size_t *n,
                       hv_xen_counts *cnt, hv_err *err)
{
	struct xen_priv *p = ctx;
	uint32_t first = 0;
	size_t got = 0;

	if (!p->dinfo) {
		p->dinfo = calloc(DOM_CHUNK, sizeof(*p->dinfo));
		if (!p->dinfo)
			return hv_err_set(err, ENOMEM, "xen: out of memory");
	}
	for (;;) {
		int r =
		    xc_domain_getinfolist(p->xch, first, DOM_CHUNK, p->dinfo);
		cnt->domlist++;
		if (r < 0)
			return hv_err_set(err, errno ? errno : EIO,
			                  "xen: getdomaininfolist: %s",
			                  strerror(errno));
		if (got + (size_t)r > p->domcap) {
			size_t nc = got + (size_t)r + 64;
			hv_xen_dominfo *nd = realloc(p->doms, nc * sizeof(*nd));
			if (!nd)
				return hv_err_set(err, ENOMEM,
				                  "xen: out of memory");
			p->doms = nd;
			p->domcap = nc;
		}
		for (int i = 0; i < r; i++) {
			const xc_domaininfo_t *x = &p->dinfo[i];
			hv_xen_dominfo *d = &p->doms[got++];

			d->domid = x->domain;
			d->flags = x->flags;
			d->tot_pages = x->tot_pages;
			d->max_pages = x->max_pages;
			d->cpu_ns = x->cpu_time;
			d->nr_online_vcpus = x->nr_online_vcpus;
			d->max_vcpu_id = x->max_vcpu_id;
			d->ssidref = x->ssidref;
			memcpy(d->handle, x->handle, 16);
		}
		if (r < DOM_CHUNK)
			break;
		first = p->dinfo[r - 1].domain + 1u;
	}
	*out = p->doms;
	*n = got;
	return 0;
}

static int src_vcpu(void *ctx, uint32_t domid, uint32_t vcpu,
                    hv_xen_vcpuinfo *out, hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	xc_vcpuinfo_t vi;

	cnt->vcpuinfo++;
	if (xc_vcpu_getinfo(p->xch, domid, vcpu, &vi) < 0)
		return -(errno ? errno : EIO);
	out->online = vi.online;
	out->cpu = (int32_t)vi.cpu;
	out->ns = vi.cpu_time;
	return 0;
}

static int src_name(void *ctx, uint32_t domid, char *buf, size_t len,
                    hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	char path[64];
	unsigned int l = 0;
	char *v;

	if (!p->xsh)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	cnt->xs_reads++;
	v = p->xs_read(p->xsh, 0, path, &l);
	if (!v)
		return -ENOENT;
	if (l >= len)
		l = (unsigned)len - 1;
	memcpy(buf, v, l);
	buf[l] = '\0';
	free(v);
	return 0;
}

static ssize_t src_netdev(void *ctx, char *buf, size_t len, hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;

	cnt->netdev++;
	return hv_xen_read_netdev(&p->env, buf, len);
}

static int src_vbds(void *ctx, const hv_xen_vbd **out, size_t *n,
                    hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	int rc = hv_xen_read_vbds(&p->env, &p->vbd, &p->vbdcap, n, cnt);

	*out = p->vbd;
	return rc;
}

/* ---- libxenstat as the source ---- */
static int st_vcpu(void *ctx, uint32_t domid, uint32_t vcpu,
                   hv_xen_vcpuinfo *out, hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	xenstat_domain *d = xenstat_node_domain(p->node, domid);
	xenstat_vcpu *v;

	(void)cnt; /* libxenstat made its getvcpuinfo calls already */
	if (!d)
		return -ESRCH;
	if (vcpu >= xenstat_domain_num_vcpus(d) ||
	    !(v = xenstat_domain_vcpu(d, vcpu)))
		return -ENOENT;
	out->online = xenstat_vcpu_online(v) ? 1 : 0;
	out->cpu = -1; /* libxenstat drops it */
	out->ns = xenstat_vcpu_ns(v);
	return 0;
}

static int st_name(void *ctx, uint32_t domid, char *buf, size_t len,
                   hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	xenstat_domain *d = xenstat_node_domain(p->node, domid);
	const char *n = d ? xenstat_domain_name(d) : NULL;

	(void)cnt;
	if (!n)
		return -ENOENT;
	snprintf(buf, len, "%s", n);
	return 0;
}

/* libxenstat's vifs as /proc/net/dev lines so one parser attaches them.
 * Its counters are dom0's side of the vif (rbytes = what the guest sent),
 * which is what the receive columns of /proc/net/dev hold. */
static ssize_t st_netdev(void *ctx, char *buf, size_t len, hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	unsigned nd = xenstat_node_num_domains(p->node);
	size_t off = 0;

	(void)cnt;
	off += (size_t)snprintf(buf, len, "Inter-| xenstat\n face |\n");
	for (unsigned i = 0; i < nd && off + 1 < len; i++) {
		xenstat_domain *d = xenstat_node_domain_by_index(p->node, i);
		unsigned nn = d ? xenstat_domain_num_networks(d) : 0;
		for (unsigned j = 0; j < nn && off + 1 < len; j++) {
			xenstat_network *n = xenstat_domain_network(d, j);
			if (!n)
				continue;
			off += (size_t)snprintf(
			    buf + off, len - off,
			    "vif%u.%u: %llu %llu %llu %llu 0 0 0 0 %llu %llu "
			    "%llu %llu 0 0 0 0\n",
			    xenstat_domain_id(d), xenstat_network_id(n),
			    xenstat_network_rbytes(n),
			    xenstat_network_rpackets(n),
			    xenstat_network_rerrs(n), xenstat_network_rdrop(n),
			    xenstat_network_tbytes(n),
			    xenstat_network_tpackets(n),
			    xenstat_network_terrs(n), xenstat_network_tdrop(n));
		}
	}
	if (off >= len)
		off = len - 1; /* the caller grows the buffer and asks again */
	return (ssize_t)off;
}

static int st_vbds(void *ctx, const hv_xen_vbd **out, size_t *n,
                   hv_xen_counts *cnt)
{
	struct xen_priv *p = ctx;
	unsigned nd = xenstat_node_num_domains(p->node);

	(void)cnt;
	*n = 0;
	for (unsigned i = 0; i < nd; i++) {
		xenstat_domain *d = xenstat_node_domain_by_index(p->node, i);
		unsigned nb = d ? xenstat_domain_num_vbds(d) : 0;
		for (unsigned j = 0; j < nb; j++) {
			xenstat_vbd *b = xenstat_domain_vbd(d, j);
			if (!b)
				continue;
			if (*n == p->vbdcap) {
				size_t nc = p->vbdcap ? p->vbdcap * 2 : 16;
				hv_xen_vbd *na =
				    realloc(p->vbd, nc * sizeof(*na));
				if (!na)
					return -ENOMEM;
				p->vbd = na;
				p->vbdcap = nc;
			}
			hv_xen_vbd *v = &p->vbd[(*n)++];
			memset(v, 0, sizeof(*v));
			v->domid = xenstat_domain_id(d);
			v->dev = xenstat_vbd_dev(b);
			/* libxenstat: 1 blkback, 2 blktap, 3 tapdisk3 */
			v->src = xenstat_vbd_type(b) >= 2 ? HV_BLK_TAPDISK
			                                  : HV_BLK_BLKBACK;
			v->ok = !xenstat_vbd_error(b);
			v->oo = xenstat_vbd_oo_reqs(b);
			v->rd = xenstat_vbd_rd_reqs(b);
			v->wr = xenstat_vbd_wr_reqs(b);
			v->rsect = xenstat_vbd_rd_sects(b);
			v->wsect = xenstat_vbd_wr_sects(b);
		}
	}
	*out = p->vbd;
	return 0;
}

/* ---- probe/open/close ---- */
static int xen_probe(const hv_env *env)
{
	char path[PATH_MAX], buf[256];

	if (hv_env_path(env, HV_ROOT_PROC, path, sizeof(path),
	                "xen/capabilities") == 0 &&
	    hv_read_file(path, buf, sizeof(buf), NULL) >= 0 &&
	    strstr(buf, "control_d"))
		return 100;
	if (hv_env_path(env, HV_ROOT_DEV, path, sizeof(path), "xen/privcmd") ==
	        0 &&
	    access(path, F_OK) == 0)
		return 50;
	return 0;
}

static void xen_close(void *priv)
{
	struct xen_priv *p = priv;

	if (!p)
		return;
	if (p->xsh && p->xs_close)
		p->xs_close(p->xsh);
	if (p->xs_lib)
		dlclose(p->xs_lib);
	if (p->node)
		xenstat_free_node(p->node);
	if (p->st)
		xenstat_uninit(p->st);
	if (p->xch)
		xc_interface_close(p->xch);
	hv_xen_ras_close(p->ras);
	hv_xen_doms_free(p->ds);
	free(p->dinfo);
	free(p->doms);
	free(p->vbd);
	free(p->pc);
	free(p);
}

static void open_xenstore(struct xen_priv *p)
{
	/* Loaded at run time: libxenstat's pkg-config does not hand us
	 * -lxenstore, and names are the only thing we need from it. */
	p->xs_lib = dlopen("libxenstore.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!p->xs_lib)
		return;
	p->xs_open = (xs_open_fn)dlsym(p->xs_lib, "xs_open");
	p->xs_read = (xs_read_fn)dlsym(p->xs_lib, "xs_read");
	p->xs_close = (xs_close_fn)dlsym(p->xs_lib, "xs_close");
	if (p->xs_open && p->xs_read && p->xs_close)
		p->xsh = p->xs_open(0);
}

/* Cache monitoring (Intel RDT through Xen's PSR) is x86 only: xenctrl.h
 * declares xc_psr_cmt_* for x86 alone, and Xen on ARM has no equivalent,
 * so elsewhere llc_bytes stays "unsupported". */
#if defined(__i386__) || defined(__x86_64__)
#define XEN_HAVE_PSR 1
static void psr_open(struct xen_priv *p)
{
	p->psr_cmt = xc_psr_cmt_enabled(p->xch) > 0;
	if (p->psr_cmt &&
	    xc_psr_cmt_get_l3_upscaling_factor(p->xch, &p->psr_factor) < 0)
		p->psr_cmt = 0;
}
#else
#define XEN_HAVE_PSR 0
static void psr_open(struct xen_priv *p)
{
	p->psr_cmt = 0;
}
#endif

static int xen_open(const hv_env *env, const hv_backend_opts *opts, void **priv,
                    hv_err *err)
{
	struct xen_priv *p;
	int rc = 0;

	(void)opts;
	p = calloc(1, sizeof(*p));
	if (!p)
		return hv_err_set(err, ENOMEM, "xen: out of memory");
	p->env = *env;
	p->quiet.vmessage = quiet_vmessage;
	p->quiet.progress = quiet_progress;
	p->quiet.destroy = quiet_destroy;
	p->xch = xc_interface_open(&p->quiet, &p->quiet, 0);
	if (!p->xch) {
		rc = hv_err_set(err, errno ? errno : ENODEV,
		                "xen: cannot open the hypervisor interface "
		                "(not dom0, or privcmd missing): %s",
		                strerror(errno ? errno : ENODEV));
		goto out;
	}
	p->ds = hv_xen_doms_new();
	if (!p->ds) {
		rc = hv_err_set(err, ENOMEM, "xen: out of memory");
		goto out;
	}
	const char *want = getenv("HVKIT_XEN_SOURCE");
	if (!(want && strcmp(want, "xenstat") == 0))
		open_xenstore(p);
	if (!p->xsh) {
		p->st = xenstat_init();
		if (!p->st) {
			rc = hv_err_set(err, EIO,
			                "xen: neither libxenstore nor "
			                "libxenstat could be opened");
			goto out;
		}
	}
	int maj = xc_version(p->xch, XENVER_version, NULL);
	xen_extraversion_t extra = {0};
	if (maj >= 0) {
		xc_version(p->xch, XENVER_extraversion, &extra);
		extra[sizeof(extra) - 1] = '\0';
		snprintf(p->version, sizeof(p->version), "%d.%d%s", maj >> 16,
		         maj & 0xffff, extra);
	}
	p->ras = hv_xen_ras_open(&p->env, p->xch);
	psr_open(p);
	hv_host_ident(&p->env, p->arch, sizeof(p->arch), p->cpu_model,
	              sizeof(p->cpu_model));
	*priv = p;
	p = NULL;
out:
	xen_close(p);
	return rc;
}

/* ---- host ---- */
/* Which pCPUs are online: every cpupool's CPUs plus the free ones (an
 * offline CPU is in no pool and not free). The topology is no proof: Xen
 * keeps a valid core id for some offlined CPUs. on[] gets n entries. */
#define XEN_ARM_NO_PM                                                     \
	"Xen on ARM has no P/C-state statistics or controls (Xen builds " \
	"pmstat and pm_op only with ACPI cpufreq, which ARM lacks)"

/* Xen on ARM (dom0's kernel architecture, read at open). */
static bool xen_is_arm(const struct xen_priv *p)
{
	return !strncmp(p->arch, "aarch64", 7) || !strncmp(p->arch, "arm", 3);
}

static int online_map(struct xen_priv *p, uint32_t n, uint8_t *on)
{
	uint32_t pool = 0;
	xc_cpumap_t free_map;

	memset(on, 0, n);
	for (int guard = 0; guard < 4096; guard++) {
		xc_cpupoolinfo_t *ci = xc_cpupool_getinfo(p->xch, pool);
		if (!ci)
			break;
		for (uint32_t i = 0; i < n; i++)
			if (xc_cpumap_testcpu((int)i, ci->cpumap))
				on[i] = 1;
		pool = ci->cpupool_id + 1;
		xc_cpupool_infofree(p->xch, ci);
	}
	/* On ARM there is no pCPU offline: a CPU in no cpupool is the one
	 * taken out of service (set_online), so free CPUs count as offline. */
	if (xen_is_arm(p))
		return pool ? 0 : -(errno ? errno : EIO);
	free_map = xc_cpupool_freeinfo(p->xch);
	if (!free_map)
		return pool ? 0 : -(errno ? errno : EIO);
	for (uint32_t i = 0; i < n; i++)
		if (xc_cpumap_testcpu((int)i, free_map))
			on[i] = 1;
	free(free_map);
	return 0;
}

static int pcpu_state_grow(struct xen_priv *p, size_t n)
{
	if (n <= p->npc)
		return 0;
	struct pcpu_state *np = realloc(p->pc, n * sizeof(*np));
	if (!np)
		return -ENOMEM;
	memset(np + p->npc, 0, (n - p->npc) * sizeof(*np));
	p->pc = np;
	p->npc = n;
	return 0;
}

static void fill_cstates(struct xen_priv *p, hv_pcpu *pc)
{
	struct pcpu_state *st = &p->pc[pc->id];
	/* Sized well past Xen's ACPI_PROCESSOR_MAX_POWER (8): some libxc
	 * versions size their copy-out by Xen's own count, not ours. */
	uint64_t trig[CX_ARR], res[CX_ARR];
	uint64_t pcs[CC_MAX], ccs[CC_MAX];
	struct xc_cx_stat cx = {0};

	if (!st->max_cx) {
		int m = 0;
		if (xc_pm_get_max_cx(p->xch, (int)pc->id, &m) < 0 || m <= 0)
			return;
		st->max_cx = m;
	}
	if (st->max_cx > CX_ARR)
		return; /* more than any Xen reports: do not trust it */
	cx.nr = (uint32_t)st->max_cx;
	cx.triggers = trig;
	cx.residencies = res;
	cx.nr_pc = cx.nr_cc = CC_MAX;
	cx.pc = pcs;
	cx.cc = ccs;
	memset(trig, 0, sizeof(trig));
	memset(res, 0, sizeof(res));
	if (xc_pm_get_cxstat(p->xch, (int)pc->id, &cx) < 0) {
		st->max_cx = 0; /* re-read the count next time */
		return;
	}
	/* Entry 0 is C0 (running): Xen's own busy time since boot, better
	 * than our wall-minus-idle estimate; not an idle state. */
	if (cx.nr >= 1)
		pc->busy_ns = hv_val(res[0]);
	uint32_t n = 0, got = cx.nr < CX_ARR ? cx.nr : CX_ARR;
	for (uint32_t i = 1; i < got && n < HV_CSTATE_MAX; i++, n++) {
		hv_cstate *c = &pc->cstate[n];
		snprintf(c->name, sizeof(c->name), "C%u", i);
		snprintf(c->desc, sizeof(c->desc), "Xen C%u", i);
		c->time_ns = hv_val(res[i]);
		c->usage = hv_val(trig[i]);
	}
	pc->nr_cstate = n;
}

static int get_para(struct xen_priv *p, unsigned cpu,
                    struct xc_get_cpufreq_para *para, uint32_t **cpus,
                    uint32_t **freqs, char **govs)
{
	int rc = -EIO;

	memset(para, 0, sizeof(*para));
	*cpus = NULL;
	*freqs = NULL;
	*govs = NULL;
	for (int tries = 0; tries < 3; tries++) {
		if (xc_get_cpufreq_para(p->xch, (int)cpu, para) == 0)
			return 0;
		rc = -(errno ? errno : EIO);
		if (errno != EAGAIN)
			break;
		/* Xen told us the sizes: allocate and ask again. */
		free(*cpus);
		free(*freqs);
		free(*govs);
		*cpus = calloc(para->cpu_num + 1, sizeof(uint32_t));
		*freqs = calloc(para->freq_num + 1, sizeof(uint32_t));
		*govs = calloc(para->gov_num + 1, CPUFREQ_NAME_LEN);
		if (!*cpus || !*freqs || !*govs) {
			rc = -ENOMEM;
			break;
		}
		para->affected_cpus = *cpus;
		para->scaling_available_frequencies = *freqs;
		para->scaling_available_governors = *govs;
	}
	free(*cpus);
	free(*freqs);
	free(*govs);
	*cpus = NULL;
	*freqs = NULL;
	*govs = NULL;
	return rc;
}

static int fill_pstates(struct xen_priv *p, hv_pcpu *pc)
{
	struct xc_px_stat px = {0};
	int maxpx = 0;

	if (xc_pm_get_max_px(p->xch, (int)pc->id, &maxpx) < 0 || maxpx <= 0)
		return -ENODEV;
	if (maxpx > 255)
		return -ERANGE; /* Xen's count is a uint8_t */
	/* libxc sizes its copy-out by Xen's count at the time of the call,
	 * not by ours: leave room in case it grew in between. */
	size_t room = (size_t)maxpx + 8;
	uint64_t *trans = calloc(room * room, sizeof(*trans));
	struct xc_px_val *pt = calloc(room, sizeof(*pt));
	if (!trans || !pt)
		goto done;
	px.total = (uint8_t)maxpx;
	px.trans_pt = trans;
	px.pt = pt;
	if (xc_pm_get_pxstat(p->xch, (int)pc->id, &px) == 0) {
		uint32_t n = px.total < maxpx ? px.total : (uint32_t)maxpx;
		if (n > HV_PSTATE_MAX)
			n = HV_PSTATE_MAX;
		for (uint32_t i = 0; i < n; i++) {
			pc->pstate[i].khz = pt[i].freq * 1000; /* MHz */
			pc->pstate[i].time_ns = hv_val(pt[i].residency);
		}
		pc->nr_pstate = n;
	}
done:
	free(trans);
	free(pt);

	struct xc_get_cpufreq_para para;
	uint32_t *cpus, *freqs;
	char *govs;
	if (get_para(p, pc->id, &para, &cpus, &freqs, &govs) == 0) {
		pc->cur_khz = hv_val(para.scaling_cur_freq);
		pc->min_khz = hv_val(para.scaling_min_freq);
		pc->max_khz = hv_val(para.scaling_max_freq);
		pc->hw_min_khz = hv_val(para.cpuinfo_min_freq);
		pc->hw_max_khz = hv_val(para.cpuinfo_max_freq);
		snprintf(pc->governor, sizeof(pc->governor), "%.*s",
		         CPUFREQ_NAME_LEN, para.scaling_governor);
		snprintf(pc->driver, sizeof(pc->driver), "%.*s",
		         CPUFREQ_NAME_LEN, para.scaling_driver);
		free(cpus);
		free(freqs);
		free(govs);
	}
	return 0;
}

/* Host identity and memory from physinfo and what open() learnt. */
static void host_ident(const struct xen_priv *p, const xc_physinfo_t *pi,
                       hv_host *h)
{
	snprintf(h->arch, sizeof(h->arch), "%s", p->arch);
	snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", p->cpu_model);
	/* On ARM, physinfo's cpu_khz is the generic timer's frequency (62.5
	 * MHz under QEMU), not a CPU clock: leave the nominal clock unknown. */
	h->cpu_khz = xen_is_arm(p) ? 0 : pi->cpu_khz;
	if (xen_is_arm(p)) {
		snprintf(h->freq_note, sizeof(h->freq_note), "%s",
		         XEN_ARM_NO_PM);
		snprintf(h->idle_note, sizeof(h->idle_note), "%s",
		         XEN_ARM_NO_PM);
	}
	h->mem_total_kib = hv_val(pi->total_pages * 4);
	h->mem_free_kib = hv_val(pi->free_pages * 4);
	snprintf(h->idle_driver, sizeof(h->idle_driver), "xen");
}

/* pCPU i's place and online state: the online map when it could be read,
 * else an invalid core id in the topology means offline. */
static void pcpu_topo(hv_pcpu *c, uint32_t i, const xc_cputopo_t *topo,
                      unsigned ntopo, const uint8_t *on, int have_on)
{
	c->id = i;
	c->pkg = c->die = c->core = -1;
	c->online = -1;
	c->hotplug = i != 0;
	if (have_on)
		c->online = on[i] ? 1 : 0;
	else if (i < ntopo)
		c->online = topo[i].core == XEN_INVALID_CORE_ID ? 0 : 1;
	if (c->online == 1 && i < ntopo &&
	    topo[i].core != XEN_INVALID_CORE_ID) {
		c->pkg = (int32_t)topo[i].socket;
		c->core = (int32_t)topo[i].core;
	}
}

/* pCPU idle and busy time; ci is NULL when Xen gave none for it. */
static void pcpu_idle(hv_pcpu *c, struct pcpu_state *st, const xc_cpuinfo_t *ci,
                      uint64_t now)
{
	if (ci && c->online != 0) {
		uint64_t idle = ci->idletime;
		/* Xen gives idle time only; busy accumulates wall
		 * time minus idle between samples, never going back. */
		if (st->have && idle >= st->last_idle && now > st->last_mono) {
			uint64_t dw = now - st->last_mono;
			uint64_t di = idle - st->last_idle;
			if (dw > di)
				st->busy += dw - di;
		}
		st->last_idle = idle;
		st->last_mono = now;
		st->have = 1;
		c->idle_ns = hv_val(idle);
		c->busy_ns = hv_val(st->busy);
	} else {
		st->have = 0;
		c->idle_ns = c->busy_ns = hv_na(HV_NA_UNAVAILABLE);
	}
}

static int sample_host(struct xen_priv *p, hv_snap *s, hv_err *err)
{
	hv_host *h = hv_snap_host_mut(s);
	xc_physinfo_t pi = {0};
	xc_cputopo_t *topo = NULL;
	xc_cpuinfo_t *ci = NULL;
	uint8_t *on = NULL;
	int have_on = 0;
	unsigned ntopo;
	int nci = 0, rc = 0;
	bool px_try;

	snprintf(h->backend, sizeof(h->backend), "xen");
	snprintf(h->hv_version, sizeof(h->hv_version), "%s", p->version);
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
		h->hostname[0] = '\0';
	if (xc_physinfo(p->xch, &pi) < 0)
		return hv_err_set(err, errno ? errno : EIO, "xen: physinfo: %s",
		                  strerror(errno));
	host_ident(p, &pi, h);

	uint32_t n = pi.max_cpu_id + 1;
	if (pcpu_state_grow(p, n) < 0)
		return hv_err_set(err, ENOMEM, "xen: out of memory");
	hv_pcpu *pc = hv_snap_pcpus(s, n);
	topo = calloc(n, sizeof(*topo));
	ci = calloc(n, sizeof(*ci));
	on = calloc(n, 1);
	if (!pc || !topo || !ci || !on) {
		rc = hv_err_set(err, ENOMEM, "xen: out of memory");
		goto out;
	}
	h->pcpu = pc;
	h->nr_pcpu = n;
	ntopo = n;
	/* Xen on ARM answers core 0, socket 0 for every CPU (it keeps no
	 * topology): reading that as one core would make every CPU cpu0's SMT
	 * sibling, so no CPU could ever be parked. Unknown is the truth. */
	if (xen_is_arm(p) || xc_cputopoinfo(p->xch, &ntopo, topo) < 0)
		ntopo = 0;
	have_on = online_map(p, n, on) == 0;
	/* No 128-CPU cap: the buffer is sized from physinfo. */
	if (xc_getcpuinfo(p->xch, (int)n, ci, &nci) < 0)
		nci = 0;
	uint64_t now = mono_ns();
	px_try = p->px_skip == 0;
	bool px_any = false;
	for (uint32_t i = 0; i < n; i++) {
		hv_pcpu *c = &pc[i];

		pcpu_topo(c, i, topo, ntopo, on, have_on);
		pcpu_idle(c, &p->pc[i], (int)i < nci ? &ci[i] : NULL, now);
		if (c->online == 0)
			continue;
		fill_cstates(p, c);
		if (px_try && fill_pstates(p, c) == 0)
			px_any = true;
	}
	/* No P-states (QEMU has no _PSS, or cpufreq=none): say so once per
	 * PX_REPROBE samples rather than failing a hypercall per pCPU. */
	if (px_try && !px_any)
		p->px_skip = PX_REPROBE;
	else if (p->px_skip)
		p->px_skip--;
out:
	free(topo);
	free(ci);
	free(on);
	return rc;
}

static void sample_psr(struct xen_priv *p, hv_snap *s)
{
#if XEN_HAVE_PSR
	size_t nd = hv_snap_ndom(s);

	for (size_t i = 0; i < nd; i++) {
		hv_dom *d = hv_snap_dom_mut(s, i);
		uint32_t rmid = 0;
		uint64_t raw = 0, tsc = 0;

		if (!p->psr_cmt)
			continue; /* llc_bytes stays "unsupported" */
		if (xc_psr_cmt_get_domain_rmid(p->xch, d->id, &rmid) < 0 ||
		    !rmid) {
			d->llc_bytes =
			    hv_na(HV_NA_UNAVAILABLE); /* not attached */
			continue;
		}
		if (xc_psr_cmt_get_data(p->xch, rmid, 0,
		                        XC_PSR_CMT_L3_OCCUPANCY, &raw,
		                        &tsc) < 0) {
			d->llc_bytes = hv_na(HV_NA_ERROR);
			continue;
		}
		d->llc_bytes = hv_val(raw * p->psr_factor);
		d->sources |= HV_SRC_RDT;
	}
#else
	(void)p;
	(void)s;
#endif
}

static int xen_sample(void *priv, hv_snap *s, hv_err *err)
{
	struct xen_priv *p = priv;
	hv_xen_src src = {
	    .ctx = p,
	    .domlist = src_domlist,
	    .vcpu = src_vcpu,
	    .name = src_name,
	    .netdev = src_netdev,
	    .vbds = src_vbds,
	};
	int rc;

	rc = sample_host(p, s, err);
	if (rc < 0)
		return rc;
	hv_xen_ras_sample(p->ras, s);
	if (p->st) {
		if (p->node)
			xenstat_free_node(p->node);
		p->node = xenstat_get_node(
		    p->st, XENSTAT_VCPU | XENSTAT_NETWORK | XENSTAT_VBD);
		if (!p->node)
			return hv_err_set(err, EIO,
			                  "xen: libxenstat failed to "
			                  "retrieve statistics");
		src.vcpu = st_vcpu;
		src.name = st_name;
		src.netdev = st_netdev;
		src.vbds = st_vbds;
		src.sources = HV_SRC_XENSTAT;
		/* libxenstat read every name anyway: take them all */
		hv_xen_doms_set_name_refresh(p->ds, UINT32_MAX);
	}
	rc = hv_xen_doms_sample(p->ds, &src, s, &p->cnt, err);
	if (rc < 0)
		return rc;
	sample_psr(p, s);
	return 0;
}

/* ---- knobs ---- */
static int cpu_is_online(struct xen_priv *p, unsigned cpu, hv_err *err)
{
	xc_physinfo_t pi = {0};

	if (xc_physinfo(p->xch, &pi) < 0)
		return hv_err_set(err, errno, "xen: physinfo: %s",
		                  strerror(errno));
	if (cpu > pi.max_cpu_id)
		return hv_err_set(err, ENOENT, "cpu%u: no such pCPU (max %u)",
		                  cpu, pi.max_cpu_id);
	unsigned n = pi.max_cpu_id + 1;
	uint8_t *on = calloc(n, 1);
	if (!on)
		return hv_err_set(err, ENOMEM, "xen: out of memory");
	if (online_map(p, n, on) == 0) {
		int r = on[cpu];
		free(on);
		return r;
	}
	free(on);
	xc_cputopo_t *t = calloc(n, sizeof(*t));
	if (!t)
		return hv_err_set(err, ENOMEM, "xen: out of memory");
	int rc;
	if (xc_cputopoinfo(p->xch, &n, t) < 0 || cpu >= n)
		rc = hv_err_set(err, errno ? errno : EIO,
		                "xen: cputopoinfo: %s", strerror(errno));
	else
		rc = t[cpu].core != XEN_INVALID_CORE_ID;
	free(t);
	return rc;
}

/* The cpupool holding cpu, or -ENOENT when it is in none. */
static int cpu_pool(struct xen_priv *p, unsigned cpu, uint32_t *id)
{
	uint32_t pool = 0;

	for (int guard = 0; guard < 4096; guard++) {
		xc_cpupoolinfo_t *ci = xc_cpupool_getinfo(p->xch, pool);
		if (!ci)
			break;
		int in = xc_cpumap_testcpu((int)cpu, ci->cpumap);
		*id = ci->cpupool_id;
		pool = ci->cpupool_id + 1;
		xc_cpupool_infofree(p->xch, ci);
		if (in)
			return 0;
	}
	return -ENOENT;
}

/* Xen on ARM has no pCPU offline (xen-hptool and XEN_SYSCTL_cpu_hotplug are
 * x86 only): taking a pCPU out of service means removing it from its
 * cpupool, and bringing it back means adding it to Pool-0 (id 0). */
static int set_pool_online(struct xen_priv *p, unsigned cpu, int on,
                           hv_err *err)
{
	uint32_t id = 0;
	int in = cpu_pool(p, cpu, &id) == 0;
	int e;

	if (!on && cpu == 0)
		return hv_err_set(err, EPERM,
		                  "cpu0 cannot be taken out of service: it is "
		                  "the boot CPU (Xen on ARM: cpupools stand in "
		                  "for pCPU offline)");
	if (in == on)
		return 0; /* already in the wanted state */
	if (on ? xc_cpupool_addcpu(p->xch, 0, (int)cpu) == 0
	       : xc_cpupool_removecpu(p->xch, id, (int)cpu) == 0)
		return 0;
	e = errno ? errno : EIO;
	return hv_err_set(err, e,
	                  "Xen on ARM has no pCPU offline; %s cpu%u %s "
	                  "cpupool %u failed: %s%s",
	                  on ? "adding" : "removing", cpu, on ? "to" : "from",
	                  on ? 0 : id, strerror(e),
	                  e == EBUSY ? " (the pool's last CPU, or a vCPU "
	                               "pinned there)"
	                             : "");
}

static int set_online(struct xen_priv *p, unsigned cpu, int on, hv_err *err)
{
	char why[200];
	int e = 0;

	for (int t = 0; t < HOTPLUG_TRIES; t++) {
		int r = on ? xc_cpu_online(p->xch, (int)cpu)
		           : xc_cpu_offline(p->xch, (int)cpu);
		if (r == 0)
			return 0;
		e = errno ? errno : EIO;
		if (e == EEXIST)
			return 0; /* already in the wanted state */
		if (!hv_xen_hotplug_retry(e))
			break;
		struct timespec ts = {0, HOTPLUG_SLEEP_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	return hv_err_set(err, e, "%s",
	                  hv_xen_hotplug_reason(on, cpu, e, why, sizeof(why)));
}

static int no_pstates(unsigned cpu, int e, hv_err *err)
{
	return hv_err_set(err, ENOTSUP,
	                  "cpu%u: Xen has no P-states here (no cpufreq "
	                  "driver registered: no ACPI _PSS, e.g. under QEMU, "
	                  "or cpufreq=none): %s",
	                  cpu, strerror(e));
}

static int xen_knob_get(void *priv, const char *knob, char *val, size_t len,
                        hv_err *err)
{
	struct xen_priv *p = priv;
	const char *kind;
	unsigned cpu;
	int rc;

	if (strcmp(knob, "xen/max_cstate") == 0 && xen_is_arm(p))
		return hv_err_set(err, ENOTSUP, "%s", XEN_ARM_NO_PM);
	if (strcmp(knob, "xen/max_cstate") == 0) {
		uint32_t v = 0;
		if (xc_get_cpuidle_max_cstate(p->xch, &v) < 0)
			return hv_err_set(err, errno, "xen: max_cstate: %s",
			                  strerror(errno));
		if (v == XEN_SYSCTL_CX_UNLIMITED)
			snprintf(val, len, "unlimited");
		else
			snprintf(val, len, "%u", v);
		return 0;
	}
	if (strncmp(knob, "mem/", 4) == 0 && p->ras)
		return hv_xen_ras_knob_get(p->ras, knob, val, len, err);
	if (hv_xen_parse_cpu_knob(knob, &cpu, &kind) < 0)
		return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
	if (strcmp(kind, "online") == 0) {
		rc = cpu_is_online(p, cpu, err);
		if (rc < 0)
			return rc;
		snprintf(val, len, "%d", rc);
		return 0;
	}
	if (strcmp(kind, "governor") && strcmp(kind, "max_khz") &&
	    strcmp(kind, "min_khz"))
		return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
	if (xen_is_arm(p))
		return hv_err_set(err, ENOTSUP, "cpu%u: %s", cpu,
		                  XEN_ARM_NO_PM);

	struct xc_get_cpufreq_para para;
	uint32_t *cpus, *freqs;
	char *govs;
	rc = get_para(p, cpu, &para, &cpus, &freqs, &govs);
	if (rc < 0)
		return no_pstates(cpu, -rc, err);
	if (strcmp(kind, "governor") == 0)
		snprintf(val, len, "%.*s", CPUFREQ_NAME_LEN,
		         para.scaling_governor);
	else
		snprintf(val, len, "%u",
		         kind[1] == 'a' ? para.scaling_max_freq
		                        : para.scaling_min_freq);
	free(cpus);
	free(freqs);
	free(govs);
	return 0;
}

static int xen_knob_set(void *priv, const char *knob, const char *val,
                        hv_err *err)
{
	struct xen_priv *p = priv;
	const char *kind;
	unsigned cpu;
	uint64_t v;

	if (strcmp(knob, "xen/max_cstate") == 0 && xen_is_arm(p))
		return hv_err_set(err, ENOTSUP, "%s", XEN_ARM_NO_PM);
	if (strcmp(knob, "xen/max_cstate") == 0) {
		if (strcmp(val, "unlimited") == 0)
			v = XEN_SYSCTL_CX_UNLIMITED;
		else if (hv_parse_u64(val, &v) < 0 || v >= UINT32_MAX)
			return hv_err_set(err, EINVAL,
			                  "xen/max_cstate: want a number or "
			                  "\"unlimited\", got \"%s\"",
			                  val);
		if (xc_set_cpuidle_max_cstate(p->xch, (uint32_t)v) < 0)
			return hv_err_set(err, errno, "xen: set max_cstate: %s",
			                  strerror(errno));
		return 0;
	}
	if (strncmp(knob, "mem/", 4) == 0 && p->ras)
		return hv_xen_ras_knob_set(p->ras, knob, val, err);
	if (hv_xen_parse_cpu_knob(knob, &cpu, &kind) < 0)
		return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
	if (strcmp(kind, "online") && xen_is_arm(p))
		return hv_err_set(err, ENOTSUP, "cpu%u: %s", cpu,
		                  XEN_ARM_NO_PM);
	if (strcmp(kind, "online") == 0) {
		if (strcmp(val, "0") && strcmp(val, "1"))
			return hv_err_set(err, EINVAL,
			                  "%s: want 0 or 1, got \"%s\"", knob,
			                  val);
		if (xen_is_arm(p))
			return set_pool_online(p, cpu, val[0] == '1', err);
		return set_online(p, cpu, val[0] == '1', err);
	}
	if (strcmp(kind, "governor") == 0) {
		char gov[CPUFREQ_NAME_LEN];
		if (!*val || strlen(val) >= sizeof(gov))
			return hv_err_set(err, EINVAL,
			                  "%s: bad governor \"%s\"", knob, val);
		snprintf(gov, sizeof(gov), "%s", val);
		if (xc_set_cpufreq_gov(p->xch, (int)cpu, gov) < 0) {
			int e = errno;
			if (e == ENOENT || e == ENODEV || e == EOPNOTSUPP)
				return no_pstates(cpu, e, err);
			return hv_err_set(err, e, "cpu%u: set governor %s: %s",
			                  cpu, val, strerror(e));
		}
		return 0;
	}
	if (strcmp(kind, "max_khz") == 0 || strcmp(kind, "min_khz") == 0) {
		if (hv_parse_u64(val, &v) < 0 || v == 0 || v > INT32_MAX)
			return hv_err_set(err, EINVAL, "%s: bad kHz \"%s\"",
			                  knob, val);
		int type = kind[1] == 'a' ? SCALING_MAX_FREQ : SCALING_MIN_FREQ;
		if (xc_set_cpufreq_para(p->xch, (int)cpu, type, (int)v) < 0) {
			int e = errno;
			if (e == ENOENT || e == ENODEV || e == EOPNOTSUPP)
				return no_pstates(cpu, e, err);
			return hv_err_set(err, e, "cpu%u: set %s %s: %s", cpu,
			                  kind, val, strerror(e));
		}
		return 0;
	}
	return hv_err_set(err, ENOTSUP, "xen: no knob %s", knob);
}

const struct hv_backend_ops hv_xen_ops = {
    .name = "xen",
    .desc = "Xen via libxenctrl (domains, pCPUs, PM, PSR) and dom0 files",
    .probe = xen_probe,
    .open = xen_open,
    .sample = xen_sample,
    .knob_get = xen_knob_get,
    .knob_set = xen_knob_set,
    .close = xen_close,
};
