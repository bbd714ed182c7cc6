/* SPDX-License-Identifier: MIT */
/* hv-webd benchmark: /metrics and JSON rendering for 1,000 synth domains
 * x (4 vCPUs, 2 disks, 2 NICs), in process and over HTTP on loopback.
 * Prints figures and ratios against baselines measured in the same run:
 * the collector's own sampling cost, a memcpy of the same bytes, and a
 * naive snprintf("%g") formatting of the same sample lines.
 * Usage: web_bench [DOMAINS] [VCPUS]. bench/webui/run.sh adds wrk and RSS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define RUNS 15
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return v[n / 2];
}

/* One GET on a fresh connection; returns body bytes (or -1). */
static long http_get(unsigned port, const char *path, const char *accept,
                     int gz)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port)};
	long total = 0;
	char req[256], buf[65536];
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: b\r\nAccept: "
	                 "%s\r\n%sConnection: close\r\n\r\n",
	                 path, accept, gz ? "Accept-Encoding: gzip\r\n" : "");
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	close(fd);
	return total;
}

/* Baseline: the collector's own sampling cost, median of RUNS steps. */
static int bench_sample(hv_collector *col, double *sample_ms, hv_err *err)
{
	double t[RUNS];

	for (int i = 0; i < RUNS; i++) {
		double a = now_ms();
		if (hv_collector_step(col, err))
			return -1;
		t[i] = now_ms() - a;
	}
	*sample_ms = median(t, RUNS);
	return 0;
}

/* Baseline: a memcpy of the rendered bytes. */
static double bench_memcpy(const web_buf *b)
{
	double t[RUNS];
	char *copy = malloc(b->len + 1);

	for (int i = 0; i < RUNS; i++) {
		double a = now_ms();
		memcpy(copy, b->p, b->len);
		t[i] = now_ms() - a;
	}
	free(copy);
	return median(t, RUNS);
}

/* Baseline: the same sample lines formatted naively, strtod + "%.17g". */
static double bench_naive(const web_buf *b)
{
	double t[RUNS];
	char *naive = malloc(b->len * 2 + 64);

	for (int i = 0; i < RUNS; i++) {
		double a = now_ms();
		size_t off = 0;
		for (char *p = b->p, *e; p && *p; p = e ? e + 1 : NULL) {
			e = strchr(p, '\n');
			char *sp = e ? memrchr(p, ' ', (size_t)(e - p)) : NULL;
			if (*p == '#' || !sp) {
				size_t l = e ? (size_t)(e - p + 1) : strlen(p);
				memcpy(naive + off, p, l);
				off += l;
				continue;
			}
			double v = strtod(sp + 1, NULL);
			off += (size_t)sprintf(naive + off, "%.*s %.17g\n",
			                       (int)(sp - p), p, v);
		}
		t[i] = now_ms() - a;
		(void)off;
	}
	free(naive);
	return median(t, RUNS);
}

/* /metrics rendering in process, both formats, against the baselines. */
static void bench_prom(hv_collector *col, hv_snap *s, double sample_ms)
{
	hv_collector_stats st;
	double t[RUNS];

	hv_collector_stats_get(col, &st);
	web_prom_extra x = {.st = &st, .powerd_running = -1};
	web_buf b;
	size_t size[2] = {0, 0};
	double rend[2];
	for (int f = 0; f < 2; f++) {
		for (int i = 0; i < RUNS; i++) {
			web_buf_init(&b);
			double a = now_ms();
			web_prom_render(s, &x, (enum web_prom_fmt)f, &b);
			t[i] = now_ms() - a;
			size[f] = b.len;
			web_buf_free(&b);
		}
		rend[f] = median(t, RUNS);
	}
	/* Baselines on the same bytes: memcpy, and naive printf formatting. */
	web_buf_init(&b);
	web_prom_render(s, &x, WEB_PROM_TEXT, &b);
	double memcpy_ms = bench_memcpy(&b);
	size_t lines = 0;
	for (size_t i = 0; i < b.len; i++)
		lines += b.p[i] == '\n';
	double naive_ms = bench_naive(&b);
	web_buf_free(&b);
	printf("  /metrics text 0.0.4 render              %8.2f ms  %7.0f KB  "
	       "%zu lines\n",
	       rend[0], size[0] / 1024.0, lines);
	printf("  /metrics OpenMetrics render             %8.2f ms  %7.0f KB\n",
	       rend[1], size[1] / 1024.0);
	printf("  baseline: memcpy of the same bytes      %8.2f ms  (render = "
	       "%.0fx)\n",
	       memcpy_ms, rend[0] / (memcpy_ms > 0 ? memcpy_ms : 1e-3));
	printf("  baseline: naive strtod+printf per line  %8.2f ms  (render is "
	       "%.1fx faster)\n",
	       naive_ms, naive_ms / rend[0]);
	printf("  render / collector sample               %8.2fx\n",
	       rend[0] / sample_ms);
}

/* The dashboard's JSON: the domain list and an SSE live frame. */
static void bench_json(hv_snap *s)
{
	double t[RUNS], js[2];
	size_t jsz[2];
	web_buf b;

	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < RUNS; i++) {
			web_buf_init(&b);
			double a = now_ms();
			if (k)
				web_json_live(s, &b);
			else
				web_json_domains(s, &b);
			t[i] = now_ms() - a;
			jsz[k] = b.len;
			web_buf_free(&b);
		}
		js[k] = median(t, RUNS);
	}
	printf("  /api/v1/domains JSON                    %8.2f ms  %7.0f KB\n",
	       js[0], jsz[0] / 1024.0);
	printf("  SSE live frame JSON                     %8.2f ms  %7.0f KB\n",
	       js[1], jsz[1] / 1024.0);
}

/* Scrapes over HTTP on loopback with the collector running: plain (cold
 * and again within the same sample), then gzip as Prometheus asks. */
static void bench_http(unsigned port)
{
	/* A scraper's clock is not the collector's: scrape at a period of
	 * 1.37 s so every phase of the 1 s sample cycle is hit. The first
	 * scrape arms the pre-renderer. */
	double cold[10], warm[10];
	long bytes = http_get(port, "/metrics", "text/plain", 0);
	for (int i = 0; i < 10; i++) {
		struct timespec ts = {1, 370000000};
		nanosleep(&ts, NULL);
		double a = now_ms();
		bytes = http_get(port, "/metrics", "text/plain", 0);
		cold[i] = now_ms() - a;
		a = now_ms();
		http_get(port, "/metrics", "text/plain", 0);
		warm[i] = now_ms() - a;
	}
	double worst = 0;
	for (int i = 0; i < 10; i++)
		worst = cold[i] > worst ? cold[i] : worst;
	printf("  HTTP scrape every 1.37 s (median, max)  %8.2f ms  %6.2f ms  "
	       "(%ld bytes on the wire)\n",
	       median(cold, 10), worst, bytes);
	printf("  HTTP scrape again, same sample          %8.2f ms\n",
	       median(warm, 10));
	/* As Prometheus asks: Accept-Encoding: gzip (compressed once per
	 * sample by the follower thread while someone scrapes). */
	double gzt[10];
	long gzbytes = http_get(port, "/metrics", "text/plain", 1);
	for (int i = 0; i < 10; i++) {
		struct timespec ts = {1, 370000000};
		nanosleep(&ts, NULL);
		double a = now_ms();
		gzbytes = http_get(port, "/metrics", "text/plain", 1);
		gzt[i] = now_ms() - a;
	}
	printf("  HTTP scrape with gzip, every 1.37 s     %8.2f ms  (%ld bytes "
	       "on the wire, %.0fx smaller)\n",
	       median(gzt, 10), gzbytes,
	       (double)bytes / (double)(gzbytes > 0 ? gzbytes : 1));
	printf("  target: < 20 ms per scrape -> %s\n",
	       median(cold, 10) < 20 ? "met (median)"
	                             : "NOT met on this machine");
}

int main(int argc, char **argv)
{
	unsigned ndom = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
	unsigned nvcpu = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
	hv_env env;
	hv_err err = {0};
	hv_backend *be = NULL;
	hv_collector *col = NULL;
	web_server *sv = NULL;
	int rc = 1;

	if (hv_env_init(&env, &err))
		goto fail;
	hv_backend_opts bo = {
	    .name = "synth", .synth_domains = ndom, .synth_vcpus = nvcpu};
	if (hv_backend_open(&env, &bo, &be, &err))
		goto fail;
	hv_collector_opts co = {.period_s = 1.0, .ring = 60};
	if (hv_collector_new(be, &co, &col, &err))
		goto fail;
	double sample_ms;
	if (bench_sample(col, &sample_ms, &err))
		goto fail;
	hv_snap *s = hv_collector_latest(col);
	const hv_dom *d0 = hv_snap_dom(s, 0);
	printf("hv-webd bench: %zu domains x (%u vCPUs, %u NICs, %u disks)\n",
	       hv_snap_ndom(s), d0->nr_vcpu, d0->nr_net, d0->nr_blk);
	printf("  baseline: collector sample (synth)      %8.2f ms\n",
	       sample_ms);
	bench_prom(col, s, sample_ms);
	bench_json(s);
	hv_snap_unref(s);

	/* Over HTTP on loopback, collector running. */
	web_config cfg;
	web_config_defaults(&cfg);
	cfg.port = 0;
	if (hv_collector_start(col, &err) ||
	    web_server_start(&cfg, col, NULL, &sv, &err))
		goto fail;
	bench_http(web_server_port(sv));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "web_bench: %s\n", err.msg);
out:
	web_server_stop(sv);
	hv_collector_free(col);
	hv_backend_close(be);
	return rc;
}
