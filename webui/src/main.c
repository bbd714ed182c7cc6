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

#include "hv/version.h"
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
	    "lines;\n"
	    "                            default " WEB_DEFAULT_CONFIG
	    " if it exists)\n"
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
	    "/healthz.\n"
	    "Control actions are off unless the configuration enables them.\n"
	    "SIGHUP reloads the configuration (a bad file keeps the running "
	    "one).\n");
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

/* What the command line said, kept so that a reload (SIGHUP) applies it
 * over the re-read file again. */
typedef struct web_args {
	const char *config; /* NULL: WEB_DEFAULT_CONFIG when it exists */
	const char *port_file;
	int dump;
	size_t n;
	const char *key[32], *val[32];
} web_args;

/* -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, web_args *a)
{
	int o;

	while ((o = getopt_long(argc, argv, "l:c:b:hV", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (o) {
		case 'l':
			key = "listen";
			break;
		case 'b':
			key = "backend";
			break;
		case O_SYNTH_D:
			key = "synth_domains";
			break;
		case O_SYNTH_V:
			key = "synth_vcpus";
			break;
		case O_PERIOD:
			key = "period";
			break;
		case O_RRD:
			key = "rrd_dir";
			break;
		case O_RRDC:
			key = "rrdcached";
			break;
		case O_PORTF:
			a->port_file = optarg;
			break;
		case O_DUMP:
			a->dump = 1;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts(HV_VERSION_LINE("hv-webd"));
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (key && a->n < sizeof(a->key) / sizeof(a->key[0])) {
			a->key[a->n] = key;
			a->val[a->n++] = optarg;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hv-webd: unexpected argument '%s'\n",
		        argv[optind]);
		return 2;
	}
	return -1;
}

/* Defaults, then the file, then the command line; 0 or an error in err
 * (its message says which). */
static int load_config(const web_args *a, web_config *cfg, hv_err *err)
{
	const char *path = a->config;

	web_config_defaults(cfg);
	/* With no --config, the packaged file when there is one: hv-webd
	 * also starts with no configuration at all, on loopback. */
	if (!path && access(WEB_DEFAULT_CONFIG, F_OK) == 0)
		path = WEB_DEFAULT_CONFIG;
	if (path && web_config_load(cfg, path, err))
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (web_config_set(cfg, a->key[i], a->val[i], err)) {
			hv_err_prefix(err, "--%s", a->key[i]);
			return -1;
		}
	if (cfg->control && !cfg->auth_hash[0] && !cfg->token_hash[0])
		return hv_err_set(
		    err, EINVAL, "control = yes needs auth_hash or token_hash");
	return 0;
}

static int dump_metrics(hv_collector *col, const web_config *cfg, hv_err *err)
{
	web_buf b;
	hv_collector_stats st;

	/* Two samples, so that rates exist. */
	for (int i = 0; i < 2; i++)
		if (hv_collector_step(col, err))
			return -1;
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

/* RRD history and the HTTP server: what a reload restarts. */
static int start_front(const web_config *cfg, hv_collector *col, web_rrd **rrd,
                       web_server **sv, hv_err *err)
{
	if (cfg->rrd_dir[0] &&
	    (web_rrd_open(cfg, col, rrd, err) || web_rrd_start(*rrd, err)))
		return -1;
	return web_server_start(cfg, col, *rrd, sv, err) ? -1 : 0;
}

static void stop_front(web_rrd **rrd, web_server **sv)
{
	web_server_stop(*sv);
	web_rrd_close(*rrd);
	*sv = NULL;
	*rrd = NULL;
}

static void announce(const web_config *cfg, web_server *sv, hv_backend *be,
                     const char *port_file)
{
	fprintf(stderr, "hv-webd: listening on %s://%s%s%s:%u/ (backend %s)\n",
	        cfg->tls_key[0] ? "https" : "http",
	        strchr(cfg->listen_addr, ':') ? "[" : "", cfg->listen_addr,
	        strchr(cfg->listen_addr, ':') ? "]" : "", web_server_port(sv),
	        hv_backend_name(be));
	if (port_file) {
		FILE *f = fopen(port_file, "we");
		if (f) {
			fprintf(f, "%u\n", web_server_port(sv));
			fclose(f);
		}
	}
}

/* SIGHUP: re-read the configuration; a bad one keeps the running one (and
 * a storm of them is harmless: signals coalesce in sigwait). The backend
 * and the sampling go on unchanged until the next start. Theme, control,
 * credentials and the power budget apply at once; only when another key
 * changed (listener, TLS, RRD...) are the HTTP server and the RRD writer
 * restarted, which starts the dashboard's in-memory history over. 0, or
 * -1 when neither the new nor the old configuration could be served. */
static int reload(const web_args *a, web_config *cfg, hv_collector *col,
                  hv_backend *be, web_rrd **rrd, web_server **sv)
{
	web_config nc;
	hv_err err = {0};
	char restart[128];

	if (load_config(a, &nc, &err)) {
		fprintf(stderr,
		        "hv-webd: reload: %s; keeping the running "
		        "configuration\n",
		        err.msg);
		return 0;
	}
	/* Sampling settings are fixed for this run. */
	memcpy(nc.backend, cfg->backend, sizeof(nc.backend));
	memcpy(nc.qmp_dirs, cfg->qmp_dirs, sizeof(nc.qmp_dirs));
	nc.synth_domains = cfg->synth_domains;
	nc.synth_vcpus = cfg->synth_vcpus;
	nc.period_s = cfg->period_s;
	nc.ring = cfg->ring;
	web_server_reload(*sv, &nc, restart, sizeof(restart));
	if (!restart[0]) {
		web_config_live_copy(cfg, &nc);
		fprintf(stderr, "hv-webd: reloaded the configuration\n");
		return 0;
	}
	stop_front(rrd, sv);
	if (start_front(&nc, col, rrd, sv, &err)) {
		fprintf(stderr,
		        "hv-webd: reload: %s; back to the running "
		        "configuration\n",
		        err.msg);
		stop_front(rrd, sv);
		if (start_front(cfg, col, rrd, sv, &err))
			return -1;
	} else {
		*cfg = nc;
		fprintf(stderr, "hv-webd: reloaded the configuration (HTTP "
		                "server and RRD writer restarted)\n");
	}
	announce(cfg, *sv, be, a->port_file);
	return 0;
}

/* The backend and its collector (not started). */
static int open_source(const web_config *cfg, hv_backend **be,
                       hv_collector **col, hv_err *err)
{
	hv_env env;
	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&env, err))
		return -1;
	hv_backend_opts bo = {
	    .name = cfg->backend[0] ? cfg->backend : NULL,
	    .qmp_dirs = cfg->qmp_dirs[0] ? cfg->qmp_dirs : NULL,
	    .synth_domains = cfg->synth_domains,
	    .synth_vcpus = cfg->synth_vcpus,
	};
	if (hv_backend_open(&env, &bo, be, err))
		return -1;
	/* History lives in hv-webd's compact ring (hist.c); the collector
	 * keeps only a few whole snapshots. */
	hv_collector_opts co = {.period_s = cfg->period_s, .ring = 4};
	return hv_collector_new(*be, &co, col, err) ? -1 : 0;
}

int main(int argc, char **argv)
{
	web_args a = {0};
	web_config cfg;
	hv_err err = {0};
	hv_backend *be = NULL;
	hv_collector *col = NULL;
	web_rrd *rrd = NULL;
	web_server *sv = NULL;
	int rc, sig = 0;

	/* Each sample renders multi-MB buffers (/metrics of 1,000 domains:
	 * 7 MB, and its gzip) in whichever thread asks first. With glibc's
	 * sliding mmap threshold they would land in per-thread heaps and
	 * stay there; a fixed threshold gives them back to the system, so
	 * RSS stays flat over days (bench/soak). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	if (load_config(&a, &cfg, &err)) {
		fprintf(stderr, "hv-webd: %s\n", err.msg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Block before any thread exists so only sigwait() sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (open_source(&cfg, &be, &col, &err))
		goto fail;
	if (a.dump) {
		if (dump_metrics(col, &cfg, &err))
			goto fail;
		rc = 0;
		goto out;
	}
	if (hv_collector_start(col, &err) ||
	    start_front(&cfg, col, &rrd, &sv, &err))
		goto fail;
	announce(&cfg, sv, be, a.port_file);
	while (!sigwait(&set, &sig) && sig == SIGHUP)
		if (reload(&a, &cfg, col, be, &rrd, &sv))
			goto fail;
	fprintf(stderr, "hv-webd: %s, stopping\n", strsignal(sig));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "hv-webd: %s\n",
	        err.msg[0] ? err.msg : strerror(err.code));
	rc = 1;
out:
	stop_front(&rrd, &sv);
	hv_collector_free(col);
	hv_backend_close(be);
	return rc;
}
