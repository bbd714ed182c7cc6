/* SPDX-License-Identifier: MIT */
/* hv-webd: one host's live state and history for browsers, scripts and
 * Prometheus. See hv-webd(1) and docs/arch/webui.md. */
#include <errno.h>
#include <getopt.h>
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
	    "history,graph,powerd,events,config,csrf,control}, /healthz.\n"
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

int main(int argc, char **argv)
{
	web_config cfg;
	hv_err err = {0};
	hv_env env;
	hv_backend *be = NULL;
	hv_collector *col = NULL;
	web_rrd *rrd = NULL;
	web_server *sv = NULL;
	const char *port_file = NULL, *config = NULL;
	int dump = 0, rc = 1, o;

	web_config_defaults(&cfg);
	/* Pass 1: find --config, so that the command line overrides it. */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "l:c:b:hV", opts, NULL)) != -1) {
		if (o == 'c')
			config = optarg;
		else if (o == 'h') {
			usage(stdout);
			return 0;
		} else if (o == 'V') {
			printf("hv-webd %s\n", HVKIT_VERSION);
			return 0;
		}
	}
	if (config && web_config_load(&cfg, config, &err)) {
		fprintf(stderr, "hv-webd: %s\n", err.msg);
		return 2;
	}
	optind = 1;
	opterr = 1;
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
			port_file = optarg;
			break;
		case O_DUMP:
			dump = 1;
			break;
		case 'c':
			break;
		default:
			usage(stderr);
			return 2;
		}
		if (key && web_config_set(&cfg, key, optarg, &err)) {
			fprintf(stderr, "hv-webd: --%s: %s\n", key, err.msg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hv-webd: unexpected argument '%s'\n",
		        argv[optind]);
		return 2;
	}
	if (cfg.control && !cfg.auth_hash[0] && !cfg.token_hash[0]) {
		fprintf(
		    stderr,
		    "hv-webd: control = yes needs auth_hash or token_hash\n");
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Block before any thread exists so only sigwait() sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&env, &err))
		goto fail;
	hv_backend_opts bo = {
	    .name = cfg.backend[0] ? cfg.backend : NULL,
	    .qmp_dirs = cfg.qmp_dirs[0] ? cfg.qmp_dirs : NULL,
	    .synth_domains = cfg.synth_domains,
	    .synth_vcpus = cfg.synth_vcpus,
	};
	if (hv_backend_open(&env, &bo, &be, &err))
		goto fail;
	/* History lives in hv-webd's compact ring (hist.c); the collector
	 * keeps only a few whole snapshots. */
	hv_collector_opts co = {.period_s = cfg.period_s, .ring = 4};
	if (hv_collector_new(be, &co, &col, &err))
		goto fail;
	if (dump) {
		web_buf b;
		hv_collector_stats st;
		/* Two samples, so that rates exist. */
		for (int i = 0; i < 2; i++)
			if (hv_collector_step(col, &err))
				goto fail;
		hv_snap *s = hv_collector_latest(col);
		hv_collector_stats_get(col, &st);
		web_prom_extra x = {.st = &st,
		                    .power_budget_w = cfg.power_budget_w,
		                    .powerd_running = -1};
		web_buf_init(&b);
		web_prom_render(s, &x, WEB_PROM_TEXT, &b);
		fwrite(b.p, 1, b.len, stdout);
		web_buf_free(&b);
		hv_snap_unref(s);
		rc = 0;
		goto out;
	}
	if (hv_collector_start(col, &err))
		goto fail;
	if (cfg.rrd_dir[0]) {
		if (web_rrd_open(&cfg, col, &rrd, &err) ||
		    web_rrd_start(rrd, &err))
			goto fail;
	}
	if (web_server_start(&cfg, col, rrd, &sv, &err))
		goto fail;
	fprintf(stderr, "hv-webd: listening on %s://%s%s%s:%u/ (backend %s)\n",
	        cfg.tls_key[0] ? "https" : "http",
	        strchr(cfg.listen_addr, ':') ? "[" : "", cfg.listen_addr,
	        strchr(cfg.listen_addr, ':') ? "]" : "", web_server_port(sv),
	        hv_backend_name(be));
	if (port_file) {
		FILE *f = fopen(port_file, "we");
		if (f) {
			fprintf(f, "%u\n", web_server_port(sv));
			fclose(f);
		}
	}
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "hv-webd: %s, stopping\n", strsignal(sig));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "hv-webd: %s\n",
	        err.msg[0] ? err.msg : strerror(err.code));
	rc = 1;
out:
	web_server_stop(sv);
	web_rrd_close(rrd);
	hv_collector_free(col);
	hv_backend_close(be);
	return rc;
}
