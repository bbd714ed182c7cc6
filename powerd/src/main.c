/* SPDX-License-Identifier: MIT */
/* hv-powerd: power policies for Xen and KVM hosts, with a journal, dry-run
 * and a full undo. See hv-powerd(8) and docs/arch/powerd.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/collector.h"
#include "hv/env.h"
#include "hv/platform.h"
#include "hv/rundir.h"
#include "hv/version.h"
#include "pd_act.h"
#include "pd_config.h"
#include "pd_log.h"
#include "pd_noisy.h"
#include "pd_policy.h"
#include "pd_view.h"

static const char usage[] =
    "Usage: hv-powerd --config FILE [--dry-run] [--once] [--backend NAME]\n"
    "\n"
    "Steer P-states, C-states and pCPU online state of a Xen or KVM host\n"
    "by policy, journalling every change and restoring every knob on exit\n"
    "(a soft-offlined memory page is the exception: that cannot be undone).\n"
    "\n"
    "  -c, --config FILE   policy configuration (required; see hv-powerd(8))\n"
    "  -n, --dry-run       compute and journal decisions, change nothing\n"
    "                      (says which would be permanent: page soft-offline)\n"
    "  -1, --once          run one decision round, restore, and exit\n"
    "  -b, --backend NAME  kvm, xen or synth (default: auto-detect)\n"
    "  -t, --check         validate the configuration and exit\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Environment: HVKIT_SYSFS, HVKIT_PROCFS, HVKIT_DEVFS (host roots),\n"
    "HVKIT_RUNDIR (" HV_RUN_JOURNAL " and " HV_RUN_STATE
    "; default " HV_RUNDIR_DEFAULT ").\n"
    "Signals: SIGHUP reloads the configuration (a bad file keeps the old\n"
    "one); SIGTERM and SIGINT restore every knob and exit.\n"
    "Exit status: 0 ok, 1 runtime error, 2 usage or configuration error.\n";

/* Knob access: libhv's knobs through the backend; the PM QoS pseudo-knob
 * through the platform layer's request, held on an fd that the kernel
 * drops when hv-powerd exits or dies. */
typedef struct pd_ctx {
	hv_backend *be;
	const hv_env *env;
	hv_plat *plat;
} pd_ctx;

static int kget(void *ctx, const char *knob, char *val, size_t len, hv_err *err)
{
	pd_ctx *c = ctx;

	if (!strcmp(knob, PD_QOS_KNOB)) {
		int32_t held = c->plat ? hv_plat_qos_held(c->plat) : -1;
		if (held >= 0)
			snprintf(val, len, "%d", (int)held);
		else
			snprintf(val, len, "none");
		return 0;
	}
	return hv_knob_get(c->be, knob, val, len, err);
}

static int kset(void *ctx, const char *knob, const char *val, hv_err *err)
{
	pd_ctx *c = ctx;

	if (!strcmp(knob, PD_QOS_KNOB)) {
		int rc;
		char *end;
		long us;
		if (!strcmp(val, "none")) {
			if (c->plat)
				hv_plat_qos_release(c->plat);
			return 0;
		}
		us = strtol(val, &end, 10);
		if (*end || us < 0 || us > INT32_MAX)
			return hv_err_set(err, EINVAL,
			                  "PM QoS: bad latency '%s'", val);
		if (!c->plat && (rc = hv_plat_open(c->env, &c->plat, err)))
			return rc;
		return hv_plat_qos_hold(c->plat, (int32_t)us, err);
	}
	return hv_knob_set(c->be, knob, val, NULL, err);
}

static int kundo(void *ctx, const char *knob, const char *cur, const char *orig,
                 hv_err *err)
{
	pd_ctx *c = ctx;
	hv_change chg;

	if (!strcmp(knob, PD_QOS_KNOB))
		return kset(ctx, knob, orig, err);
	memset(&chg, 0, sizeof(chg));
	snprintf(chg.knob, sizeof(chg.knob), "%s", knob);
	snprintf(chg.old, sizeof(chg.old), "%s", orig);
	snprintf(chg.new_, sizeof(chg.new_), "%s", cur);
	return hv_knob_undo(c->be, &chg, err);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Everything the daemon holds, on main()'s stack (no globals). */
typedef struct pd_daemon {
	const char *cfg_path, *backend;
	bool dry, once, check;
	pd_config cfg;
	hv_env env;
	int sfd; /* signalfd: SIGTERM, SIGINT, SIGHUP */
	hv_backend *be;
	pd_ctx ctx;
	pd_act *act;
	pd_noisy *nz;
	pd_mem *mem;
	hv_collector *col;
	pd_out out;
	double last_energy; /* NAN: none yet */
	bool energy_noted;
	unsigned failed_rounds;
} pd_daemon;

#define PD_RUN (-1) /* a setup step that does not end the program */

/* ---- one round: sample, decide, act -------------------------------- */

/* Journal energy every interval; say once why figures are missing. */
static void record_energy(pd_daemon *d, const pd_view *v)
{
	bool attributed = false, first = isnan(d->last_energy);

	if (!d->cfg.energy.enabled ||
	    (!first && v->t - d->last_energy < d->cfg.energy.interval_s))
		return;
	pd_act_energy(d->act, v);
	for (unsigned i = 0; i < v->ndom; i++)
		attributed |= !isnan(v->dom[i].watts);
	if (!first && !d->energy_noted && !isnan(v->pkg_watts) && v->ndom &&
	    !attributed) {
		d->energy_noted = true;
		pd_act_event(d->act, "note",
		             "energy: package power is known but libhv "
		             "attributed none of it to domains");
	}
	/* Without RAPL, libhv may attribute hwmon power: not missing then. */
	if (!first && !d->energy_noted && isnan(v->pkg_watts) && !attributed) {
		d->energy_noted = true;
		pd_act_event(d->act, "note",
		             "energy: no package power (RAPL) from this "
		             "backend: per-domain energy unavailable");
	}
	d->last_energy = v->t;
}

/* A new sample and its view (*s: a reference to drop). */
static int take_sample(pd_daemon *d, hv_snap **s, pd_view *v)
{
	hv_err e = {0};
	int rc;

	if ((rc = hv_collector_step(d->col, &e))) {
		pd_log(PD_LOG_ERR, "sample: %s", e.msg);
		return rc;
	}
	if (!(*s = hv_collector_latest(d->col)))
		return -EAGAIN;
	if ((rc = pd_view_build(*s, v, &e)))
		pd_log(PD_LOG_ERR, "%s", e.msg);
	return rc;
}

static int round_once(pd_daemon *d)
{
	hv_snap *s = NULL;
	pd_view v;
	size_t nheld;
	const pd_hold *held;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((rc = take_sample(d, &s, &v)))
		goto out;
	held = pd_act_held(d->act, &nheld);
	if (d->dry)
		pd_view_overlay(&v, held, nheld);
	if ((rc = pd_decide(&d->cfg, d->mem, &v, held, nheld, &d->out))) {
		pd_log(PD_LOG_ERR, "decide: %s", strerror(-rc));
		goto out;
	}
	pd_act_notes(d->act, &d->out);
	pd_act_apply(d->act, &d->out, d->mem, &d->cfg, v.t);
	pd_noisy_step(d->nz, s, v.t);
	record_energy(d, &v);
	pd_act_write_state(d->act, d->mem, &v);
out:
	pd_view_free(&v);
	hv_snap_unref(s);
	return rc;
}

/* A round; blind (no samples) for 10 s and at least 3 rounds -> every
 * knob back, as parked CPUs could not come back when load returns. */
static void step(pd_daemon *d)
{
	size_t nh;

	if (!round_once(d)) {
		d->failed_rounds = 0;
		return;
	}
	d->failed_rounds++;
	pd_act_held(d->act, &nh);
	if (nh && d->failed_rounds * d->cfg.period_s >= 10 &&
	    d->failed_rounds >= 3) {
		pd_log(PD_LOG_ERR,
		       "no samples for %u rounds: restoring every knob (fail "
		       "safe)",
		       d->failed_rounds);
		pd_act_restore_all(d->act, "no samples: fail safe");
	}
}

/* ---- signals and the loop ------------------------------------------ */

/* SIGHUP: a bad file keeps the running configuration. */
static void reload(pd_daemon *d)
{
	pd_config nc;
	hv_err e = {0};

	if (pd_config_load(d->cfg_path, &nc, &e)) {
		pd_log(PD_LOG_ERR,
		       "reload refused, keeping the running configuration: %s",
		       e.msg);
		pd_act_event(d->act, "reload-failed", e.msg);
		return;
	}
	d->cfg = nc;
	hv_collector_set_period(d->col, d->cfg.period_s);
	pd_act_event(d->act, "reload", d->cfg_path);
	pd_log(PD_LOG_INFO, "configuration reloaded");
}

/* Every pending signal; true when one asks to stop. */
static bool read_signals(pd_daemon *d)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			stop = true;
	}
	return stop;
}

/* Rounds every period until a signal stops them (one with --once). */
static void run(pd_daemon *d)
{
	double p = d->cfg.period_s;
	double next = mono() + (d->once ? (p < 1 ? p : 1) : p);

	for (;;) {
		double wait = next - mono();
		struct pollfd pfd = {d->sfd, POLLIN, 0};
		if (poll(&pfd, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0) > 0) {
			if (read_signals(d))
				return;
			continue;
		}
		if (mono() < next)
			continue;
		next += d->cfg.period_s;
		if (next < mono())
			next = mono() + d->cfg.period_s;
		step(d);
		if (d->once)
			return;
	}
}

/* ---- setup --------------------------------------------------------- */

/* Options: PD_RUN to go on, else the exit status. */
static int parse_args(pd_daemon *d, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"once", no_argument, NULL, '1'},
	    {"backend", required_argument, NULL, 'b'},
	    {"check", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:n1b:thV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d->cfg_path = optarg;
			break;
		case 'n':
			d->dry = true;
			break;
		case '1':
			d->once = true;
			break;
		case 'b':
			d->backend = optarg;
			break;
		case 't':
			d->check = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			puts(HV_VERSION_LINE("hv-powerd"));
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc || !d->cfg_path) {
		fprintf(stderr, "hv-powerd: %s\n%s",
		        optind < argc ? "unexpected argument"
		                      : "--config FILE is required",
		        usage);
		return 2;
	}
	return PD_RUN;
}

/* The configuration (--check ends here) and the host roots. */
static int load_config(pd_daemon *d)
{
	hv_err e = {0};

	if (pd_config_load(d->cfg_path, &d->cfg, &e)) {
		fprintf(stderr, "hv-powerd: %s\n", e.msg);
		return 2;
	}
	if (d->check) {
		printf("%s: ok\n", d->cfg_path);
		return 0;
	}
	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&d->env, &e)) {
		fprintf(stderr, "hv-powerd: %s\n", e.msg);
		return 2;
	}
	return PD_RUN;
}

/* Signals arrive through a signalfd: no handler, no global state. */
static int block_signals(pd_daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sfd < 0) {
		int rc = -errno;
		pd_log(PD_LOG_ERR, "signalfd: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* The backend and the actuator (journal, state file, lock). */
static int open_actuator(pd_daemon *d)
{
	hv_backend_opts bo = {0};
	hv_err e = {0};
	int rc;

	bo.name = d->backend ? d->backend
	                     : (d->cfg.backend[0] ? d->cfg.backend : NULL);
	if ((rc = hv_backend_open(&d->env, &bo, &d->be, &e))) {
		pd_log(PD_LOG_ERR, "backend: %s", e.msg);
		return rc;
	}
	d->ctx.be = d->be;
	d->ctx.env = &d->env;
	pd_knob_ops ops = {&d->ctx, kget, kset, kundo};
	pd_act_opts ao = {d->env.run, d->dry, d->cfg_path, 0};
	if ((rc = pd_act_open(&ao, &ops, &d->act, &e)))
		pd_log(PD_LOG_ERR, "%s", e.msg);
	return rc;
}

/* Whatever a previous run left changed goes back before we start. */
static int recover(pd_daemon *d)
{
	unsigned failed = 0;
	hv_err e = {0};
	int n = pd_act_recover(d->act, &failed, &e);

	if (n < 0) { /* the previous run's state is unknown: do not run */
		pd_log(PD_LOG_ERR, "refusing to start: %s", e.msg);
		return n;
	}
	if (n > 0)
		pd_log(PD_LOG_WARN,
		       "restored %d knob(s) left by a previous run", n);
	if (failed) {
		pd_log(PD_LOG_ERR,
		       "%u knob(s) of a previous run could not be restored; "
		       "see %s",
		       failed, pd_act_state_path(d->act));
		return -EIO;
	}
	if (!d->dry && pd_noisy_recover(&d->env, d->act, &e)) {
		pd_log(PD_LOG_ERR,
		       "[noisy]: restoring a previous run's resctrl changes: "
		       "%s (kept in %s/" HV_RUN_NOISY_UNDO ")",
		       e.msg, d->env.run);
		return -EIO;
	}
	return 0;
}

/* [noisy], the policy memory and the collector with a first sample (so
 * the first round has rates); then the start record. */
static int start(pd_daemon *d)
{
	hv_err e = {0};
	char msg[512];

	if (d->cfg.noisy.enabled &&
	    pd_noisy_open(&d->env, &d->cfg, d->act, d->dry, &d->nz, &e)) {
		pd_log(PD_LOG_ERR, "[noisy]: %s", e.msg);
		pd_act_event(d->act, "error", e.msg);
		return -EIO;
	}
	d->mem = pd_mem_new();
	hv_collector_opts co = {d->cfg.period_s, 4};
	if (!d->mem || hv_collector_new(d->be, &co, &d->col, &e)) {
		pd_log(PD_LOG_ERR, "collector: %s",
		       d->mem ? e.msg : "no memory");
		return -EIO;
	}
	snprintf(msg, sizeof(msg), "backend %s, config %s, period %gs%s%s",
	         hv_backend_name(d->be), d->cfg_path, d->cfg.period_s,
	         d->dry ? ", dry-run" : "", d->once ? ", once" : "");
	pd_act_event(d->act, "start", msg);
	pd_log(PD_LOG_INFO, "started: %s", msg);
	if (hv_collector_step(d->col, &e))
		pd_log(PD_LOG_WARN, "first sample: %s", e.msg);
	return 0;
}

/* Every change back (noisy first, then knobs newest first) and every
 * handle closed; 1 when something could not be restored. */
static int finish(pd_daemon *d, int ret)
{
	if (d->nz && pd_noisy_restore(d->nz, "stop")) {
		pd_log(PD_LOG_ERR,
		       "[noisy]: restore incomplete: it stays in "
		       "%s/" HV_RUN_NOISY_UNDO " for the next start",
		       d->env.run);
		ret = 1;
	}
	pd_noisy_free(d->nz);
	d->nz = NULL;
	if (d->act) {
		unsigned bad = pd_act_restore_all(d->act, "stop");
		if (bad) {
			pd_log(PD_LOG_ERR,
			       "%u knob(s) could not be restored: they stay in "
			       "%s for the next start",
			       bad, pd_act_state_path(d->act));
			ret = 1;
		}
		pd_act_event(d->act, "stop",
		             bad ? "incomplete restore" : "clean");
	}
	pd_act_close(d->act);
	hv_plat_close(d->ctx.plat);
	hv_collector_free(d->col);
	hv_backend_close(d->be);
	pd_mem_free(d->mem);
	pd_out_free(&d->out);
	if (d->sfd >= 0)
		close(d->sfd);
	return ret;
}

int main(int argc, char **argv)
{
	pd_daemon d = {.sfd = -1, .last_energy = NAN};
	int ret;

	if ((ret = parse_args(&d, argc, argv)) != PD_RUN ||
	    (ret = load_config(&d)) != PD_RUN)
		return ret;
	if (block_signals(&d) || open_actuator(&d) || recover(&d) || start(&d))
		return finish(&d, 1);
	run(&d);
	return finish(&d, 0);
}
