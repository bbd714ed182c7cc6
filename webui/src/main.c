/* SPDX-License-Identifier: MIT */
/* hv-webd: one host's live state and history for browsers, scripts and
 * Prometheus. See hv-webd(1) and docs/arch/webui.md. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: hv-webd [OPTION]...\n"
	    "Serve this host's hypervisor state over HTTP: a dashboard, a JSON "
	    "API,\n"
	    "Prometheus /metrics and RRD history.\n"
	    "\n"
	    "  -l, --listen ADDR:PORT    listen address (default "
	    "127.0.0.1:8463)\n"
	    "  -c, --config FILE         configuration file (key = value "
	    "lines)\n"
	    "  -b, --backend NAME        kvm, xen, replay or synth (default: "
	    "auto)\n"
	    "      --synth-domains N     synth backend: number of domains\n"
	    "      --synth-vcpus N       synth backend: vCPUs per domain\n"
	    "      --period SECONDS      sampling period (default 1)\n"
	    "      --rrd-dir DIR         keep RRD history in DIR (default: "
	    "none)\n"
	    "      --rrdcached ADDR      send RRD updates through rrdcached at "
	    "ADDR\n"
	    "      --port-file FILE      write the bound port to FILE once "
	    "listening\n"
	    "      --dump-metrics        take two samples, print /metrics and "
	    "exit\n"
	    "  -h, --help                show this help and exit\n"
	    "  -V, --version             show the version and exit\n"
	    "\n"
	    "Endpoints: / (dashboard), /metrics, "
	    "/api/v1/{host,domains,domains/ID,pcpus,\n"
	    "history,history/"
	    "overview,graph,powerd,events,config,csrf,control},\n"
	    "/healthz. SIGHUP reloads the configuration file.\n"
	    "Control actions are off unless the configuration enables them.\n");
}

enum { O_SYNTH_D = 256, O_SYNTH_V, O_PERIOD, O_RRD, O_RRDC, O_PORTF, O_DUMP };

static const struct option opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"config", required_argument, NULL, 'c'},
    {"backend", required_argument, NULL, 'b'},
    {"synth-domains", required_argument, NULL, O_SYNTH_D},
    {"synth-vcpus", required_argument, NULL, O_SYNTH_V},
    {"period", required_argument, NULL, O_PERIOD},
    {"rrd-dir", required_argument, NULL, O_RRD},
    {"rrdcached", required_argument, NULL, O_RRDC},
    {"port-file", required_argument, NULL, O_PORTF},
    {"dump-metrics", no_argument, NULL, O_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

typedef struct run_opts {
	const char *config, *port_file;
	int dump;
} run_opts;

/* Pass 1: find --config (so that the command line overrides it), answer
 * --help and --version. 1: done, exit 0. */
static int pass_config(int argc, char **argv, run_opts *ro)
{
	int o;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "l:c:b:hV", opts, NULL)) != -1) {
		if (o == 'c')
			ro->config = optarg;
		else if (o == 'h') {
			usage(stdout);
			return 1;
		} else if (o == 'V') {
			printf("hv-webd %s\n", HVKIT_VERSION);
			return 1;
		}
	}
	return 0;
}

static const char *opt_key(int o)
{
	switch (o) {
	case 'l':
		return "listen";
	case 'b':
		return "backend";
	case O_SYNTH_D:
		return "synth_domains";
	case O_SYNTH_V:
		return "synth_vcpus";
	case O_PERIOD:
		return "period";
	case O_RRD:
		return "rrd_dir";
	case O_RRDC:
		return "rrdcached";
	default:
		return NULL;
	}
}

/* Defaults, the configuration file, then the command line over it; run
 * again as is on SIGHUP. 0, or 2 with the reason in err. */
static int build_config(int argc, char **argv, web_config *cfg, run_opts *ro,
                        hv_err *err)
{
	int o;
	web_config_defaults(cfg);
	if (ro->config && web_config_load(cfg, ro->config, err))
		return 2;
	optind = 1;
	opterr = 1;
	while ((o = getopt_long(argc, argv, "l:c:b:hV", opts, NULL)) != -1) {
		const char *key = opt_key(o);
		if (o == O_PORTF)
			ro->port_file = optarg;
		else if (o == O_DUMP)
			ro->dump = 1;
		else if (!key && o != 'c') {
			usage(stderr);
			return 2;
		}
		if (key && web_config_set(cfg, key, optarg, err)) {
			char m[sizeof(err->msg)];
			snprintf(m, sizeof(m), "%s", err->msg);
			hv_err_set(err, EINVAL, "--%s: %s", key, m);
			return 2;
		}
	}
	if (optind < argc)
		return hv_err_set(err, EINVAL, "unexpected argument '%s'",
		                  argv[optind]),
		       2;
	if (cfg->control && !cfg->auth_hash[0] && !cfg->token_hash[0])
		return hv_err_set(
		           err, EINVAL,
		           "control = yes needs auth_hash or token_hash"),
		       2;
	return 0;
}

/* --dump-metrics: two samples (so that rates exist), one exposition. */
static int dump_metrics(hv_collector *col, const web_config *cfg, hv_err *err)
{
	web_buf b;
	hv_collector_stats st;
	for (int i = 0; i < 2; i++)
		if (hv_collector_step(col, err))
			return 1;
	hv_snap *s = hv_collector_latest(col);
	hv_collector_stats_get(col, &st);
	web_prom_extra x = {.st = &st,
	                    .power_budget_w = cfg->power_budget_w,
	                    .powerd_running = -1};
	web_buf_init(&b);
	web_prom_render(s, &x, WEB_PROM_TEXT, &b);
	fwrite(b.p, 1, b.len, stdout);
	web_buf_free(&b);
	hv_snap_unref(s);
	return 0;
}

/* SIGHUP: read the configuration again; a bad one changes nothing (the
 * last good one stays in force) and says why. */
static void reload(int argc, char **argv, web_server *sv, const run_opts *ro)
{
	web_config next;
	run_opts r2 = *ro;
	hv_err err = {0};
	char restart[128];
	if (!ro->config) {
		fprintf(stderr,
		        "hv-webd: SIGHUP: no --config file to reload\n");
		return;
	}
	if (build_config(argc, argv, &next, &r2, &err)) {
		fprintf(stderr,
		        "hv-webd: SIGHUP: %s; keeping the configuration in "
		        "force\n",
		        err.msg[0] ? err.msg : "bad command line");
		return;
	}
	web_server_reload(sv, &next, restart, sizeof(restart));
	fprintf(stderr, "hv-webd: SIGHUP: reloaded %s%s%s\n", ro->config,
	        restart[0] ? "; needs a restart to change: " : "", restart);
}

/* Serve until SIGINT or SIGTERM; SIGHUP reloads. */
static void serve(int argc, char **argv, web_server *sv, const run_opts *ro,
                  const sigset_t *set)
{
	int sig = 0;
	for (;;) {
		if (sigwait(set, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		reload(argc, argv, sv, ro);
	}
	fprintf(stderr, "hv-webd: %s, stopping\n", strsignal(sig));
}

static void write_port(const char *port_file, unsigned port)
{
	FILE *f = port_file ? fopen(port_file, "we") : NULL;
	if (f) {
		fprintf(f, "%u\n", port);
		fclose(f);
	}
}

/* Backend, collector, RRD writer and server up; then serve. */
static int run(int argc, char **argv, const web_config *cfg, const run_opts *ro,
               const sigset_t *set, hv_err *err)
{
	hv_env env;
	hv_backend *be = NULL;
	hv_collector *col = NULL;
	web_rrd *rrd = NULL;
	web_server *sv = NULL;
	int rc = 1;
	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&env, err))
		goto out;
	hv_backend_opts bo = {
	    .name = cfg->backend[0] ? cfg->backend : NULL,
	    .qmp_dirs = cfg->qmp_dirs[0] ? cfg->qmp_dirs : NULL,
	    .synth_domains = cfg->synth_domains,
	    .synth_vcpus = cfg->synth_vcpus,
	};
	if (hv_backend_open(&env, &bo, &be, err))
		goto out;
	/* History lives in hv-webd's compact ring (hist.c); the collector
	 * keeps only a few whole snapshots. */
	hv_collector_opts co = {.period_s = cfg->period_s, .ring = 4};
	if (hv_collector_new(be, &co, &col, err))
		goto out;
	if (ro->dump) {
		rc = dump_metrics(col, cfg, err);
		goto out;
	}
	if (hv_collector_start(col, err) ||
	    (cfg->rrd_dir[0] &&
	     (web_rrd_open(cfg, col, &rrd, err) || web_rrd_start(rrd, err))) ||
	    web_server_start(cfg, col, rrd, &sv, err))
		goto out;
	fprintf(stderr, "hv-webd: listening on %s://%s%s%s:%u/ (backend %s)\n",
	        cfg->tls_key[0] ? "https" : "http",
	        strchr(cfg->listen_addr, ':') ? "[" : "", cfg->listen_addr,
	        strchr(cfg->listen_addr, ':') ? "]" : "", web_server_port(sv),
	        hv_backend_name(be));
	write_port(ro->port_file, web_server_port(sv));
	serve(argc, argv, sv, ro, set);
	rc = 0;
out:
	web_server_stop(sv);
	web_rrd_close(rrd);
	hv_collector_free(col);
	hv_backend_close(be);
	return rc;
}

int main(int argc, char **argv)
{
	web_config cfg;
	hv_err err = {0};
	run_opts ro = {0};
	sigset_t set;

	/* Each sample renders multi-MB buffers (/metrics of 1,000 domains:
	 * 7 MB, and its gzip) in whichever thread asks first. With glibc's
	 * sliding mmap threshold they would land in per-thread heaps and
	 * stay there; a fixed threshold gives them back to the system, so
	 * RSS stays flat over days (bench/soak). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (pass_config(argc, argv, &ro))
		return 0;
	if (build_config(argc, argv, &cfg, &ro, &err)) {
		if (err.msg[0])
			fprintf(stderr, "hv-webd: %s\n", err.msg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Block before any thread exists so only sigwait() sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (run(argc, argv, &cfg, &ro, &set, &err)) {
		fprintf(stderr, "hv-webd: %s\n",
		        err.msg[0] ? err.msg : strerror(err.code));
		return 1;
	}
	return 0;
}
