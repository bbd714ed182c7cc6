/* SPDX-License-Identifier: MIT */
/* hv-webd internals: buffers, configuration, renderers (Prometheus, JSON),
 * RRD history store, power-daemon files, authentication and the HTTP server.
 * Everything reads the host through libhv's collector; nothing here opens
 * /proc or /sys. */
#ifndef WEB_H
#define WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/backend.h"
#include "hv/collector.h"
#include "hv/err.h"
#include "hv/rates.h"
#include "hv/sample.h"

#define WEB_DEFAULT_ADDR "127.0.0.1"
#define WEB_DEFAULT_PORT 8463
#define WEB_SCHEMA 1

/* ---- growable text buffer (buf.c) ---- */
typedef struct web_buf {
	char *p;
	size_t len, cap;
	int oom; /* sticky: an append failed */
} web_buf;

void web_buf_init(web_buf *b);
void web_buf_free(web_buf *b);
int web_buf_reserve(web_buf *b, size_t extra);
void web_buf_put(web_buf *b, const char *s, size_t n);
void web_buf_puts(web_buf *b, const char *s);
void web_buf_putc(web_buf *b, char c);
void web_buf_printf(web_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void web_buf_u64(web_buf *b, uint64_t v);
/* v / 10^decimals printed exactly, trailing zeros trimmed ("1.5", "3"). */
void web_buf_fixed(web_buf *b, uint64_t v, unsigned decimals);
/* A double as Prometheus/JSON text; NaN -> "NaN" (prom) handled by caller. */
void web_buf_double(web_buf *b, double v);
/* Prometheus label value escaping: \ " and newline. */
void web_buf_prom_label(web_buf *b, const char *s);
/* JSON string with quotes. */
void web_buf_json_str(web_buf *b, const char *s);
/* JSON number or null for NaN/Inf. */
void web_buf_json_num(web_buf *b, double v);
char *web_buf_steal(web_buf *b, size_t *len);

/* ---- configuration (config.c) ---- */
typedef struct web_config {
	char listen_addr[64];
	unsigned port;
	char backend[16]; /* "" = auto */
	unsigned synth_domains, synth_vcpus;
	char qmp_dirs[512];
	double period_s;     /* collector period */
	unsigned ring;       /* collector ring (snapshots) */
	char rrd_dir[512];   /* "" = no RRD history */
	unsigned rrd_step;   /* seconds, default 10 */
	char rrdcached[256]; /* "" = write files directly */
	unsigned conn_limit, per_ip_limit, conn_timeout_s;
	char tls_key[512], tls_cert[512];
	bool control; /* allow knob changes */
	char auth_user[64];
	char auth_hash[160];   /* crypt(3) hash of the Basic password */
	char token_hash[160];  /* crypt(3) hash of the bearer token */
	char theme[8];         /* auto | dark | light */
	double power_budget_w; /* 0 = none */
	char rundir[512];      /* "" = HVKIT_RUNDIR */
	char journal
	    [512]; /* control journal, "" = <rundir>/webd-journal.jsonl */
} web_config;

void web_config_defaults(web_config *c);
/* Parse "key = value" lines; unknown keys and bad values are errors. */
int web_config_load(web_config *c, const char *path, hv_err *err);
int web_config_set(web_config *c, const char *key, const char *val,
                   hv_err *err);
int web_parse_listen(web_config *c, const char *s, hv_err *err);

/* ---- Prometheus exposition (prom.c) ---- */
enum web_prom_fmt { WEB_PROM_TEXT = 0, WEB_PROM_OPENMETRICS = 1 };

#define WEB_POWERD_MAX_CPUS 256
/* What hv-powerd's state.json says (docs/arch/powerd.md). */
typedef struct web_powerd_info {
	int running; /* -1: no state file, 0: stale pid, 1: running */
	int held;    /* knobs held, -1 unknown */
	unsigned nhwerr, nparked;
	uint32_t hwerr[WEB_POWERD_MAX_CPUS];  /* CPUs offlined for errors */
	uint32_t parked[WEB_POWERD_MAX_CPUS]; /* CPUs parked for power */
} web_powerd_info;

typedef struct web_prom_extra {
	const hv_collector_stats *st; /* NULL: omit collector families */
	double power_budget_w;        /* <= 0: omitted */
	int powerd_running;           /* -1 unknown/omitted */
	const web_powerd_info *pd;    /* NULL or running < 0: omitted */
	int rrd;                      /* 0: no RRD history, rrd_* omitted */
	uint64_t rrd_updates, rrd_write_errors;
} web_prom_extra;

/* Render snap (may be NULL before the first sample) into out. */
void web_prom_render(const hv_snap *snap, const web_prom_extra *x,
                     enum web_prom_fmt fmt, web_buf *out);
/* Choose a format from an Accept header (NULL = text). */
enum web_prom_fmt web_prom_negotiate(const char *accept);
const char *web_prom_ctype(enum web_prom_fmt fmt);

/* ---- JSON (api.c) ---- */
/* Each returns 0 or an HTTP status (404, 400) with a message in err. */
void web_json_host(const hv_snap *s, const hv_collector_stats *st, web_buf *o);
void web_json_domains(const hv_snap *s, web_buf *o);
int web_json_domain(const hv_snap *s, const char *id, web_buf *o, hv_err *err);
void web_json_pcpus(const hv_snap *s, web_buf *o);
/* Compact live update for the page's event stream. */
void web_json_live(const hv_snap *s, web_buf *o);
/* History of one domain (id) or the host (id NULL) from ring snapshots. */
int web_json_ring_history(hv_snap *const *ring, size_t n, const char *id,
                          double range_s, web_buf *o, hv_err *err);
const hv_dom *web_find_dom(const hv_snap *s, const char *id);
/* Share of a pCPU's time in idle states past the first (NaN if unknown). */
double web_pcpu_deep_pct(const hv_pcpu_rate *pr, const hv_pcpu *p);
void web_json_error(web_buf *o, int status, const char *msg);

/* ---- compact in-memory history (hist.c) ---- */
typedef struct web_hist web_hist;
int web_hist_new(size_t cap, web_hist **out, hv_err *err);
void web_hist_free(web_hist *h); /* NULL allowed */
void web_hist_add(web_hist *h, const hv_snap *s);
/* Same JSON as web_json_ring_history; id NULL = host. */
int web_hist_json(web_hist *h, const hv_snap *s, const char *id, double range_s,
                  web_buf *o, hv_err *err);
/* The overview page's first paint: the last range_s of the pCPU heatmaps
 * {t, pcpu:{id, online, cur_hz, deep_idle_pct}} (one array per sample) and
 * the last nspark samples of every domain's cpu_pct {spark:{key:[...]}}. */
void web_hist_overview_json(web_hist *h, double range_s, size_t nspark,
                            web_buf *o);

/* ---- RRD history (rrdstore.c) ---- */
typedef struct web_rrd web_rrd;
int web_rrd_open(const web_config *c, hv_collector *col, web_rrd **out,
                 hv_err *err);
int web_rrd_start(web_rrd *r, hv_err *err); /* writer thread */
void web_rrd_close(web_rrd *r);             /* NULL allowed */
/* Write one step now from the given snapshots (tests, and the thread). */
int web_rrd_write(web_rrd *r, const hv_snap *prev, const hv_snap *cur,
                  hv_err *err);
/* JSON {t:[], series:{}} of a domain file (id = name/uuid) or the host. */
int web_rrd_fetch_json(web_rrd *r, const hv_snap *s, const char *id,
                       double range_s, const char *cf, web_buf *o, hv_err *err);
/* PNG or SVG graph; *img malloc'd. */
int web_rrd_graph(web_rrd *r, const hv_snap *s, const char *id,
                  const char *what, double range_s, bool svg,
                  unsigned char **img, size_t *len, hv_err *err);
const char *web_rrd_dir(const web_rrd *r);
/* Files written, and files that failed to be created or updated, since
 * start (for /metrics). */
void web_rrd_counts(web_rrd *r, uint64_t *updates, uint64_t *errors);
/* File name (without directory) for a domain. */
void web_rrd_dom_file(const hv_dom *d, char *buf, size_t len);

/* ---- hv-powerd files (powerd.c) ---- */
/* {running, state, journal:[...]} from HVKIT_RUNDIR; never fails hard. */
void web_powerd_json(const char *rundir, unsigned max_lines, web_buf *o);
int web_powerd_running(const char *rundir);
void web_powerd_read(const char *rundir, web_powerd_info *pi);

/* ---- auth (auth.c) ---- */
/* 1 when the Authorization header value matches the configured secrets. */
int web_auth_check(const web_config *c, const char *authorization);
int web_ct_equal(const char *a, const char *b); /* constant-time */
int web_b64_decode(const char *in, char *out, size_t outlen);

/* ---- server (http.c) ---- */
typedef struct web_server web_server;
int web_server_start(const web_config *c, hv_collector *col, web_rrd *rrd,
                     web_server **out, hv_err *err);
void web_server_stop(web_server *s); /* NULL allowed */
unsigned web_server_port(const web_server *s);
/* SIGHUP: apply a validated configuration's reloadable keys (theme,
 * control, auth_user, auth_hash, token_hash, power_budget_w) at once.
 * restart gets a note ("" if none) when other keys differ: those need a
 * restart and stay as they are. */
int web_server_reload(web_server *s, const web_config *c, char *restart,
                      size_t len);
/* Copy the reloadable keys (above) of src into dst. */
void web_config_live_copy(web_config *dst, const web_config *src);

/* ---- embedded assets (generated) ---- */
typedef struct web_asset {
	const char *path; /* "/app.js" */
	const char *ctype;
	const unsigned char *data;
	size_t len;
} web_asset;
const web_asset *web_asset_find(const char *path);

#endif
