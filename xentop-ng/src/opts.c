/* SPDX-License-Identifier: MIT */
/* Command line (xentop's flags plus ours) and the config file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hv/cfg.h"
#include "xt.h"

void xt_usage(FILE *f)
{
	fputs("Usage: xentop-ng [OPTION]...\n"
	      "Displays ongoing information about virtual machines (Xen or "
	      "KVM) and the host.\n"
	      "\n"
	      "xentop options:\n"
	      "  -h, --help            display this help and exit\n"
	      "  -V, --version         output version information and exit\n"
	      "  -d, --delay=SECONDS   seconds between updates, fractional "
	      "(default 3)\n"
	      "  -n, --networks        output vif network data\n"
	      "  -x, --vbds            output vbd block device data\n"
	      "  -r, --repeat-header   repeat table header before each "
	      "domain\n"
	      "  -v, --vcpus           output vcpu data\n"
	      "  -b, --batch           output in batch mode, no user input "
	      "accepted\n"
	      "  -i, --iterations=N    number of iterations before exiting\n"
	      "  -f, --full-name       output the full domain name (not "
	      "truncated)\n"
	      "  -z, --dom0-first      display dom0 first (ignore sorting)\n"
	      "  -p, --pcpus           show physical CPU stats\n"
	      "\n"
	      "xentop-ng options:\n"
	      "      --backend=NAME    xen, kvm, synth or replay (default: "
	      "detect)\n"
	      "      --json            JSON Lines, one object per sample\n"
	      "      --csv             long CSV: timestamp,domain,uuid,metric,"
	      "value\n"
	      "      --record=FILE     also write every sample to FILE "
	      "(JSON Lines)\n"
	      "      --replay=FILE     play back a recording instead of "
	      "sampling\n"
	      "      --sort=COLUMN     sort column (name, cpu_pct, mem, ...)\n"
	      "      --reverse         reverse the sort order\n"
	      "      --columns=LIST    screen columns, comma-separated\n"
	      "      --filter=TEXT     show domains whose name, id or UUID "
	      "match\n"
	      "      --host-percent    CPU(%) as share of the whole host\n"
	      "      --no-color        no colours (also when NO_COLOR is set)\n"
	      "      --mouse           enable the mouse\n"
	      "      --synth-domains=N, --synth-vcpus=N   synth backend size\n"
	      "      --no-config       neither read nor write the config "
	      "file\n"
	      "      --list-columns    list column names and exit\n"
	      "\n"
	      "Report bugs to the hvkit project.\n",
	      f);
}

enum {
	O_BACKEND = 256,
	O_JSON,
	O_CSV,
	O_RECORD,
	O_REPLAY,
	O_SORT,
	O_REVERSE,
	O_COLUMNS,
	O_FILTER,
	O_HOSTPCT,
	O_NOCOLOR,
	O_MOUSE,
	O_SYNTHD,
	O_SYNTHV,
	O_NOCONFIG,
	O_LISTCOLS,
};

static bool parse_delay(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || end == s || *end || !(d > 0) || d > 86400)
		return false;
	*out = d < 0.05 ? 0.05 : d;
	return true;
}

static bool parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"networks", no_argument, NULL, 'n'},
    {"vbds", no_argument, NULL, 'x'},
    {"repeat-header", no_argument, NULL, 'r'},
    {"vcpus", no_argument, NULL, 'v'},
    {"delay", required_argument, NULL, 'd'},
    {"batch", no_argument, NULL, 'b'},
    {"iterations", required_argument, NULL, 'i'},
    {"full-name", no_argument, NULL, 'f'},
    {"dom0-first", no_argument, NULL, 'z'},
    {"pcpus", no_argument, NULL, 'p'},
    {"backend", required_argument, NULL, O_BACKEND},
    {"json", no_argument, NULL, O_JSON},
    {"csv", no_argument, NULL, O_CSV},
    {"record", required_argument, NULL, O_RECORD},
    {"replay", required_argument, NULL, O_REPLAY},
    {"sort", required_argument, NULL, O_SORT},
    {"reverse", no_argument, NULL, O_REVERSE},
    {"columns", required_argument, NULL, O_COLUMNS},
    {"filter", required_argument, NULL, O_FILTER},
    {"host-percent", no_argument, NULL, O_HOSTPCT},
    {"no-color", no_argument, NULL, O_NOCOLOR},
    {"mouse", no_argument, NULL, O_MOUSE},
    {"synth-domains", required_argument, NULL, O_SYNTHD},
    {"synth-vcpus", required_argument, NULL, O_SYNTHV},
    {"no-config", no_argument, NULL, O_NOCONFIG},
    {"list-columns", no_argument, NULL, O_LISTCOLS},
    {0, 0, 0, 0},
};

/* Options that only set a flag or a mode; false for any other. */
static bool set_flag(xt_opts *o, int c)
{
	switch (c) {
	case 'n':
		o->nets = true;
		break;
	case 'x':
		o->vbds = true;
		break;
	case 'r':
		o->repeat_header = true;
		break;
	case 'v':
		o->vcpus = true;
		break;
	case 'b':
		if (o->mode == XT_TUI)
			o->mode = XT_BATCH;
		break;
	case 'f':
		o->full_name = true;
		break;
	case 'z':
		o->dom0_first = true;
		break;
	case 'p':
		o->pcpus = true;
		break;
	case O_JSON:
		o->mode = XT_JSON;
		break;
	case O_CSV:
		o->mode = XT_CSV;
		break;
	case O_REVERSE:
		o->reverse = true;
		break;
	case O_HOSTPCT:
		o->host_pct = true;
		break;
	case O_NOCOLOR:
		o->color = false;
		break;
	case O_MOUSE:
		o->mouse = true;
		break;
	case O_NOCONFIG:
		o->no_config = true;
		break;
	default:
		return false;
	}
	return true;
}

/* Options that take a number; -1 with a message on a bad one. */
static int set_number(xt_opts *o, int c, const char *arg, FILE *err)
{
	long l;
	if (c == 'd') {
		if (parse_delay(arg, &o->delay_s))
			return 0;
		fprintf(err,
		        "xentop-ng: bad delay '%s': want seconds > 0, e.g. "
		        "0.5\n",
		        arg);
		return -1;
	}
	if (c == 'i') {
		if (!parse_long(arg, &l)) {
			fprintf(err, "xentop-ng: bad iterations '%s'\n", arg);
			return -1;
		}
		o->iterations = l;
		return 0;
	}
	if (!parse_long(arg, &l) || l > 1000000) {
		fprintf(err, "xentop-ng: bad count '%s'\n", arg);
		return -1;
	}
	if (c == O_SYNTHD)
		o->synth_domains = (unsigned)l;
	else
		o->synth_vcpus = (unsigned)l;
	return 0;
}

/* Options that take text; -1 with a message on a bad one. */
static int set_text(xt_opts *o, int c, const char *arg, FILE *err)
{
	switch (c) {
	case O_BACKEND:
		o->backend = arg;
		break;
	case O_RECORD:
		o->record = arg;
		break;
	case O_REPLAY:
		o->replay = arg;
		break;
	case O_SORT: {
		int i = xt_col_find(arg);
		if (i < 0) {
			fprintf(err,
			        "xentop-ng: unknown column '%s' (see "
			        "--list-columns)\n",
			        arg);
			return -1;
		}
		snprintf(o->sort, sizeof(o->sort), "%s",
		         xt_col_name(&xt_cols[i]));
		break;
	}
	case O_COLUMNS:
		snprintf(o->columns, sizeof(o->columns), "%s", arg);
		break;
	case O_FILTER:
		snprintf(o->filter, sizeof(o->filter), "%s", arg);
		break;
	default:
		return set_number(o, c, arg, err);
	}
	return 0;
}

/* --help, --version, --list-columns: print and stop (1). */
static int info(int c, FILE *out)
{
	if (c == 'h') {
		xt_usage(out);
	} else if (c == 'V') {
		fprintf(out, "%s\n", HV_VERSION_LINE("xentop-ng"));
	} else {
		for (size_t i = 0; i < xt_ncols; i++)
			fprintf(out, "%-12s %-12s %s\n",
			        xt_col_name(&xt_cols[i]),
			        xt_col_header(&xt_cols[i]),
			        xt_col_help(&xt_cols[i]));
	}
	return 1;
}

int xt_opts_parse(xt_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	int c;
	optind = 0; /* 0: full re-initialisation (glibc), for a second parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hVnxrvd:bi:fzp", long_opts,
	                        NULL)) != -1) {
		if (set_flag(o, c))
			continue;
		if (c == 'h' || c == 'V' || c == O_LISTCOLS)
			return info(c, out);
		if (c == ':') {
			fprintf(err, "xentop-ng: option needs a value: %s\n",
			        argv[optind - 1]);
			return -1;
		}
		if (c == '?') {
			fprintf(err,
			        "xentop-ng: unknown option %s (try --help)\n",
			        argv[optind - 1]);
			return -1;
		}
		if (set_text(o, c, optarg, err))
			return -1;
	}
	if (optind < argc) {
		fprintf(err, "xentop-ng: unexpected argument '%s'\n",
		        argv[optind]);
		return -1;
	}
	return 0;
}

/* ---- config file: key = value lines, '#' comments ---- */
int xt_config_path(char *buf, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	if (x && *x)
		n = snprintf(buf, len, "%s/hvkit/xentop-ng.conf", x);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.config/hvkit/xentop-ng.conf", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int delay_key(const hv_cfg_key *k, void *obj, char *v, char *why,
                     size_t wlen)
{
	if (!parse_delay(v, (double *)((char *)obj + k->off))) {
		snprintf(why, wlen, "'%s' is not seconds > 0", v);
		return -EINVAL;
	}
	return 0;
}

static int sort_key(const hv_cfg_key *k, void *obj, char *v, char *why,
                    size_t wlen)
{
	int c = xt_col_find(v);

	if (c < 0) {
		snprintf(why, wlen, "unknown column '%s'", v);
		return -EINVAL;
	}
	snprintf((char *)obj + k->off, (size_t)k->max, "%s",
	         xt_col_name(&xt_cols[c]));
	return 0;
}

#define O(f) offsetof(xt_opts, f)
#define BOOL(key, f, help)                                               \
	{                                                                \
		"", key, HV_CFG_BOOL, O(f), 0, 0, "no", help, NULL, NULL \
	}
static const hv_cfg_key cfg_keys[] = {
    {"", "delay", HV_CFG_FUNC, O(delay_s), 0, 0, "3", "seconds between updates",
     NULL, delay_key},
    {"", "sort", HV_CFG_FUNC, O(sort), 0, sizeof(((xt_opts *)0)->sort), "name",
     "sort column", NULL, sort_key},
    BOOL("reverse", reverse, "reverse the sort order"),
    {"", "columns", HV_CFG_TEXT, O(columns), 0, sizeof(((xt_opts *)0)->columns),
     "", "screen columns, comma-separated", NULL, NULL},
    BOOL("vcpus", vcpus, "vCPU rows"),
    BOOL("networks", nets, "network rows"),
    BOOL("vbds", vbds, "block device rows"),
    BOOL("repeat_header", repeat_header, "header before each domain"),
    BOOL("host_percent", host_pct, "CPU(%) as share of the whole host"),
    BOOL("mouse", mouse, "enable the mouse"),
    {"", "heatmap", HV_CFG_UINT, O(heatmap), 0, 2, "0",
     "0 busy, 1 frequency, 2 deep C-state", NULL, NULL},
    {0},
};
#undef BOOL
#undef O
static const hv_cfg_key *const cfg_tables[] = {cfg_keys, NULL};
/* Written by xentop-ng itself: a bad line is skipped, not fatal. */
static const hv_cfg_spec cfg_spec = {cfg_tables, HV_CFG_LENIENT};

void xt_opts_default(xt_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* delay 3 s (xentop's), sort by name: the config keys' defaults;
	 * cannot fail (xentop_opts checks them) */
	hv_cfg_defaults(&cfg_spec, o, NULL);
	o->color = true;
}

int xt_config_load(xt_opts *o, const char *path, char *msg, size_t msglen)
{
	hv_err e = {0};
	hv_cfg_lines *l = NULL;
	int rc;

	if (msglen)
		msg[0] = 0;
	rc = hv_cfg_load(&cfg_spec, path, o, sizeof(*o), &l, &e);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	if (rc > 0)
		snprintf(msg, msglen, "%s:%u: bad setting ignored", path,
		         hv_cfg_last_bad(l));
	hv_cfg_lines_free(l);
	return 0;
}

static int mkdirs(char *path)
{
	/* Create the parent directories of path. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int xt_config_save(const xt_opts *o, const char *path, char *msg, size_t msglen)
{
	char tmp[4200];
	int rc = 0;
	snprintf(tmp, sizeof(tmp), "%s", path);
	if ((rc = mkdirs(tmp)))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		rc = -errno;
		goto out;
	}
	fprintf(f,
	        "# xentop-ng settings, written on exit (key W writes now)\n"
	        "delay = %g\nsort = %s\nreverse = %d\ncolumns = %s\n"
	        "vcpus = %d\nnetworks = %d\nvbds = %d\nrepeat_header = %d\n"
	        "host_percent = %d\nmouse = %d\nheatmap = %d\n",
	        o->delay_s, o->sort, o->reverse, o->columns, o->vcpus, o->nets,
	        o->vbds, o->repeat_header, o->host_pct, o->mouse, o->heatmap);
	if (fclose(f) || rename(tmp, path))
		rc = -errno;
out:
	if (rc)
		snprintf(msg, msglen, "cannot write %s: %s", path,
		         strerror(-rc));
	else
		snprintf(msg, msglen, "settings written to %s", path);
	return rc;
}
