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
#include "hv/version.h"
#ifdef PD_HAVE_PLAT
#include "hv/platform.h"
#endif
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
    "by policy, journalling every change and restoring every knob on exit.\n"
    "\n"
    "  -c, --config FILE   policy configuration (required; see hv-powerd(8))\n"
    "  -n, --dry-run       compute and journal decisions, change nothing\n"
    "  -1, --once          run one decision round, restore, and exit\n"
    "  -b, --backend NAME  kvm, xen or synth (default: auto-detect)\n"
    "  -t, --check         validate the configuration and exit\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Environment: HVKIT_SYSFS, HVKIT_PROCFS, HVKIT_DEVFS (host roots),\n"
    "HVKIT_RUNDIR (journal.jsonl and state.json; default /run/hvkit).\n"
    "Signals: SIGHUP reloads the configuration (a bad file keeps the old\n"
    "one); SIGTERM and SIGINT restore every knob and exit.\n"
    "Exit status: 0 ok, 1 runtime error, 2 usage or configuration error.\n";

/* Knob access: libhv's knobs through the backend; the PM QoS pseudo-knob
 * through the platform layer's request, held on an fd that the kernel
 * drops when hv-powerd exits or dies. */
typedef struct pd_ctx {
	hv_backend *be;
	const hv_env *env;
#ifdef PD_HAVE_PLAT
	hv_plat *plat;
#endif
} pd_ctx;

static int kget(void *ctx, const char *knob, char *val, size_t len, hv_err *err)
{
	pd_ctx *c = ctx;

	if (!strcmp(knob, PD_QOS_KNOB)) {
#ifdef PD_HAVE_PLAT
		int32_t held = c->plat ? hv_plat_qos_held(c->plat) : -1;
		if (held >= 0)
			snprintf(val, len, "%d", (int)held);
		else
			snprintf(val, len, "none");
		return 0;
#else
		(void)val;
		(void)len;
		return hv_err_set(err, ENOTSUP,
		                  "PM QoS: built without the platform layer");
#endif
	}
	return hv_knob_get(c->be, knob, val, len, err);
}

static int kset(void *ctx, const char *knob, const char *val, hv_err *err)
{
	pd_ctx *c = ctx;

	if (!strcmp(knob, PD_QOS_KNOB)) {
#ifdef PD_HAVE_PLAT
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
#else
		(void)val;
		return hv_err_set(err, ENOTSUP,
		                  "PM QoS: built without the platform layer");
#endif
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

/* One round: sample, decide, act. */
static int round_once(hv_collector *col, const pd_config *cfg, pd_mem *mem,
                      pd_act *act, pd_out *out, double *last_energy,
                      bool *energy_noted, bool dry, pd_noisy *nz)
{
	hv_err e = {0};
	hv_snap *s = NULL;
	pd_view v;
	size_t nheld;
	const pd_hold *held;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((rc = hv_collector_step(col, &e))) {
		pd_log(PD_LOG_ERR, "sample: %s", e.msg);
		goto out;
	}
	s = hv_collector_latest(col);
	if (!s) {
		rc = -EAGAIN;
		goto out;
	}
	if ((rc = pd_view_build(s, &v, &e))) {
		pd_log(PD_LOG_ERR, "%s", e.msg);
		goto out;
	}
	held = pd_act_held(act, &nheld);
	if (dry)
		pd_view_overlay(&v, held, nheld);
	if ((rc = pd_decide(cfg, mem, &v, held, nheld, out))) {
		pd_log(PD_LOG_ERR, "decide: %s", strerror(-rc));
		goto out;
	}
	pd_act_notes(act, out);
	pd_act_apply(act, out, mem, cfg, v.t);
	pd_noisy_step(nz, s, v.t);
	if (cfg->energy.enabled &&
	    (isnan(*last_energy) ||
	     v.t - *last_energy >= cfg->energy.interval_s)) {
		pd_act_energy(act, &v);
		/* Say once why figures are missing, not every interval. */
		bool attributed = false;
		for (unsigned i = 0; i < v.ndom; i++)
			attributed |= !isnan(v.dom[i].watts);
		if (!isnan(*last_energy) && !*energy_noted &&
		    !isnan(v.pkg_watts) && v.ndom && !attributed) {
			*energy_noted = true;
			pd_act_event(act, "note",
			             "energy: package power is known but libhv "
			             "attributed none of it to domains");
		}
		if (!isnan(*last_energy) && !*energy_noted &&
		    isnan(v.pkg_watts)) {
			*energy_noted = true;
			pd_act_event(
			    act, "note",
			    "energy: no package power (RAPL) from this "
			    "backend: per-domain energy unavailable");
		}
		*last_energy = v.t;
	}
	pd_act_write_state(act, mem, &v);
out:
	pd_view_free(&v);
	hv_snap_unref(s);
	return rc;
}

int main(int argc, char **argv)
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
	const char *cfg_path = NULL, *backend = NULL;
	bool dry = false, once = false, check = false;
	pd_config cfg;
	hv_env env;
	hv_err e = {0};
	hv_backend *be = NULL;
	hv_collector *col = NULL;
	pd_noisy *nz = NULL;
	pd_ctx ctx;
	pd_act *act = NULL;
	pd_mem *mem = NULL;
	pd_out out = {0};
	sigset_t mask;
	int sfd = -1, opt, ret = 1;
	double last_energy = NAN;
	bool energy_noted = false;

	memset(&ctx, 0, sizeof(ctx));
	while ((opt = getopt_long(argc, argv, "c:n1b:thV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case '1':
			once = true;
			break;
		case 'b':
			backend = optarg;
			break;
		case 't':
			check = true;
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
	if (optind < argc || !cfg_path) {
		fprintf(stderr, "hv-powerd: %s\n%s",
		        optind < argc ? "unexpected argument"
		                      : "--config FILE is required",
		        usage);
		return 2;
	}
	if (pd_config_load(cfg_path, &cfg, &e)) {
		fprintf(stderr, "hv-powerd: %s\n", e.msg);
		return 2;
	}
	if (check) {
		printf("%s: ok\n", cfg_path);
		return 0;
	}
	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&env, &e)) {
		fprintf(stderr, "hv-powerd: %s\n", e.msg);
		return 2;
	}
	/* Signals arrive through a signalfd: no handler, no global state. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		pd_log(PD_LOG_ERR, "signalfd: %s", strerror(errno));
		goto out;
	}

	hv_backend_opts bo = {0};
	bo.name = backend ? backend : (cfg.backend[0] ? cfg.backend : NULL);
	if (hv_backend_open(&env, &bo, &be, &e)) {
		pd_log(PD_LOG_ERR, "backend: %s", e.msg);
		goto out;
	}
	ctx.be = be;
	ctx.env = &env;
	pd_knob_ops ops = {&ctx, kget, kset, kundo};
	pd_act_opts ao = {env.run, dry, cfg_path, 0};
	if (pd_act_open(&ao, &ops, &act, &e)) {
		pd_log(PD_LOG_ERR, "%s", e.msg);
		goto out;
	}
	unsigned failed = 0;
	int n = pd_act_recover(act, &failed, &e);
	if (n > 0)
		pd_log(PD_LOG_WARN,
		       "restored %d knob(s) left by a previous run", n);
	if (failed) {
		pd_log(PD_LOG_ERR,
		       "%u knob(s) of a previous run could not be "
		       "restored; "
		       "see %s",
		       failed, pd_act_state_path(act));
		goto out;
	}
	if (!dry && pd_noisy_recover(&env, act, &e)) {
		pd_log(PD_LOG_ERR,
		       "[noisy]: restoring a previous run's resctrl changes: "
		       "%s (kept in %s/noisy.undo)",
		       e.msg, env.run);
		goto out;
	}
	if (cfg.noisy.enabled && pd_noisy_open(&env, &cfg, act, dry, &nz, &e)) {
		pd_log(PD_LOG_ERR, "[noisy]: %s", e.msg);
		pd_act_event(act, "error", e.msg);
		goto out;
	}
	mem = pd_mem_new();
	hv_collector_opts co = {cfg.period_s, 4};
	if (!mem || hv_collector_new(be, &co, &col, &e)) {
		pd_log(PD_LOG_ERR, "collector: %s", mem ? e.msg : "no memory");
		goto out;
	}
	{
		char msg[512];
		snprintf(msg, sizeof(msg),
		         "backend %s, config %s, period %gs%s%s",
		         hv_backend_name(be), cfg_path, cfg.period_s,
		         dry ? ", dry-run" : "", once ? ", once" : "");
		pd_act_event(act, "start", msg);
		pd_log(PD_LOG_INFO, "started: %s", msg);
	}
	/* A first sample so the first round has rates. */
	if (hv_collector_step(col, &e))
		pd_log(PD_LOG_WARN, "first sample: %s", e.msg);

	double next = mono() + (once ? (cfg.period_s < 1 ? cfg.period_s : 1)
	                             : cfg.period_s);
	bool stop = false;
	unsigned failed_rounds = 0;
	while (!stop) {
		double wait = next - mono();
		struct pollfd pfd = {sfd, POLLIN, 0};
		int pr = poll(&pfd, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0);
		if (pr > 0) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					pd_config nc;
					hv_err re = {0};
					if (pd_config_load(cfg_path, &nc,
					                   &re)) {
						pd_log(PD_LOG_ERR,
						       "reload refused, "
						       "keeping "
						       "the running "
						       "configuration: %s",
						       re.msg);
						pd_act_event(act,
						             "reload-failed",
						             re.msg);
					} else {
						cfg = nc;
						hv_collector_set_period(
						    col, cfg.period_s);
						pd_act_event(act, "reload",
						             cfg_path);
						pd_log(PD_LOG_INFO,
						       "configuration "
						       "reloaded");
					}
				} else {
					stop = true;
				}
			}
			continue;
		}
		if (mono() < next)
			continue;
		next += cfg.period_s;
		if (next < mono())
			next = mono() + cfg.period_s;
		if (round_once(col, &cfg, mem, act, &out, &last_energy,
		               &energy_noted, dry, nz)) {
			/* Blind: with no samples, parked CPUs could not come
			 * back when load returns. After 10 s (at least 3
			 * rounds) without one, give everything back. */
			failed_rounds++;
			size_t nh;
			pd_act_held(act, &nh);
			if (nh && failed_rounds * cfg.period_s >= 10 &&
			    failed_rounds >= 3) {
				pd_log(PD_LOG_ERR,
				       "no samples for %u rounds: "
				       "restoring "
				       "every knob (fail safe)",
				       failed_rounds);
				pd_act_restore_all(act,
				                   "no samples: fail safe");
			}
		} else {
			failed_rounds = 0;
		}
		if (once)
			break;
	}
	ret = 0;
out:
	if (nz && pd_noisy_restore(nz, "stop")) {
		pd_log(PD_LOG_ERR,
		       "[noisy]: restore incomplete: it stays in "
		       "%s/noisy.undo for the next start",
		       env.run);
		ret = 1;
	}
	pd_noisy_free(nz);
	nz = NULL;
	if (act) {
		unsigned bad = pd_act_restore_all(act, "stop");
		if (bad) {
			pd_log(PD_LOG_ERR,
			       "%u knob(s) could not be restored: they "
			       "stay in "
			       "%s for the next start",
			       bad, pd_act_state_path(act));
			ret = 1;
		}
		pd_act_event(act, "stop", bad ? "incomplete restore" : "clean");
	}
	pd_act_close(act);
#ifdef PD_HAVE_PLAT
	hv_plat_close(ctx.plat);
#endif
	hv_collector_free(col);
	hv_backend_close(be);
	pd_mem_free(mem);
	pd_out_free(&out);
	if (sfd >= 0)
		close(sfd);
	return ret;
}
