/* SPDX-License-Identifier: MIT */
/* Actuator: journal and state file are on disk BEFORE a change, undo is
 * byte-exact, a SIGKILLed run is repaired by the next start (from the
 * state file, or from the journal when the state file is damaged), only
 * one live instance, dry-run touches nothing. Knobs are files in a temp
 * tree here; test_daemon.sh drives the real libhv knobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pd_act.h"
#include "pd_policy.h"

typedef struct fx {
	char root[256];
	char run[300];
	char knobs[300];
	int fail_set; /* make the next set fail with this errno */
	int checks;   /* journal-before-change checks done */
	pd_config cfg;
} fx;

static void kpath(const fx *f, const char *knob, char *p, size_t n)
{
	char k[128];
	snprintf(k, sizeof(k), "%s", knob);
	for (char *c = k; *c; c++)
		if (*c == '/')
			*c = '_';
	snprintf(p, n, "%s/%s", f->knobs, k);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *b;
	size_t n;
	if (!fp)
		return NULL;
	b = calloc(1, 1 << 20);
	n = fread(b, 1, (1 << 20) - 1, fp);
	b[n] = '\0';
	fclose(fp);
	return b;
}

static void put(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

static int fget(void *ctx, const char *knob, char *val, size_t len, hv_err *e)
{
	fx *f = ctx;
	char p[512];
	char *s;
	kpath(f, knob, p, sizeof(p));
	s = slurp(p);
	if (!s)
		return hv_err_set(e, ENOENT, "%s: no such knob", knob);
	s[strcspn(s, "\n")] = '\0';
	snprintf(val, len, "%s", s);
	free(s);
	return 0;
}

static int fset(void *ctx, const char *knob, const char *val, hv_err *e)
{
	fx *f = ctx;
	char p[512], jp[512], sp[512];
	char *j, *st;
	if (f->fail_set) {
		int rc = f->fail_set;
		f->fail_set = 0;
		return hv_err_set(e, rc, "%s: refused", knob);
	}
	/* The change is announced on disk before it is made. */
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	snprintf(sp, sizeof(sp), "%s/state.json", f->run);
	j = slurp(jp);
	st = slurp(sp);
	assert_non_null(j);
	char *last = strrchr(j, '{');
	assert_non_null(last);
	assert_non_null(strstr(last, knob));
	if (!strstr(last, "\"event\":\"release\"") &&
	    !strstr(last, "\"event\":\"restore\"") &&
	    !strstr(last, "\"one_way\":true")) {
		assert_non_null(strstr(last, "\"event\":\"set\""));
		assert_non_null(st);
		assert_non_null(strstr(st, knob));
	}
	f->checks++;
	free(j);
	free(st);
	kpath(f, knob, p, sizeof(p));
	char buf[128];
	snprintf(buf, sizeof(buf), "%s\n", val); /* sysfs shows a newline */
	put(p, buf);
	return 0;
}

static int fundo(void *ctx, const char *knob, const char *cur, const char *orig,
                 hv_err *e)
{
	(void)cur;
	return fset(ctx, knob, orig, e);
}

static const char *files[][2] = {
    {"cpu/3/online", "1\n"},           {"cpu/2/online", "1\n"},
    {"cpu/1/governor", "schedutil\n"}, {"cpu/1/max_khz", "4200000\n"},
    {"cpu/1/cstate/3/disable", "0\n"},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static int setup(void **st)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/pdact-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->run, sizeof(f->run), "%s/run", f->root);
	snprintf(f->knobs, sizeof(f->knobs), "%s/knobs", f->root);
	mkdir(f->knobs, 0755);
	for (size_t i = 0; i < NFILES; i++) {
		char p[512];
		kpath(f, files[i][0], p, sizeof(p));
		put(p, files[i][1]);
	}
	pd_config_defaults(&f->cfg);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	fx *f = *st;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void decisions(pd_out *o)
{
	static const char *set[][2] = {
	    {"cpu/1/governor", "powersave"}, {"cpu/1/max_khz", "2100000"},
	    {"cpu/1/cstate/3/disable", "1"}, {"cpu/3/online", "0"},
	    {"cpu/2/online", "0"},
	};
	pd_out_reset(o);
	o->cap = 8;
	o->d = calloc(o->cap, sizeof(*o->d));
	for (size_t i = 0; i < 5; i++) {
		pd_decision *d = &o->d[o->n++];
		snprintf(d->knob, sizeof(d->knob), "%s", set[i][0]);
		snprintf(d->value, sizeof(d->value), "%s", set[i][1]);
		snprintf(d->policy, sizeof(d->policy), "test");
		snprintf(d->reason, sizeof(d->reason), "because %zu", i);
	}
}

static void assert_original(const fx *f)
{
	for (size_t i = 0; i < NFILES; i++) {
		char p[512];
		char *s;
		kpath(f, files[i][0], p, sizeof(p));
		s = slurp(p);
		assert_non_null(s);
		assert_string_equal(s, files[i][1]); /* byte-exact */
		free(s);
	}
}

static void assert_changed(const fx *f)
{
	char p[512];
	char *s;
	kpath(f, "cpu/3/online", p, sizeof(p));
	s = slurp(p);
	assert_string_equal(s, "0\n");
	free(s);
	kpath(f, "cpu/1/governor", p, sizeof(p));
	s = slurp(p);
	assert_string_equal(s, "powersave\n");
	free(s);
}

static pd_act *open_act(fx *f, bool dry)
{
	pd_knob_ops ops = {f, fget, fset, fundo};
	pd_act_opts o = {f->run, dry, "test.conf", 0};
	pd_act *a = NULL;
	hv_err e = {0};
	assert_int_equal(0, pd_act_open(&o, &ops, &a, &e));
	return a;
}

/* A page soft-offline: journalled before it is made, as one way, never
 * held: a stop, a crash + recovery (from the state file or from the
 * journal) and a dry run never write the page back. */
static void one_way_decisions(pd_out *o)
{
	pd_out_reset(o);
	o->cap = 4;
	o->d = calloc(o->cap, sizeof(*o->d));
	pd_decision *d = &o->d[o->n++];
	snprintf(d->knob, sizeof(d->knob), "mem/0x5000/offline");
	snprintf(d->value, sizeof(d->value), "1");
	snprintf(d->policy, sizeof(d->policy), "hwerr");
	snprintf(d->reason, sizeof(d->reason), "ALERT page 0x5000: 3 errors");
	d = &o->d[o->n++];
	snprintf(d->knob, sizeof(d->knob), "cpu/3/online");
	snprintf(d->value, sizeof(d->value), "0");
	snprintf(d->policy, sizeof(d->policy), "hwerr");
	snprintf(d->reason, sizeof(d->reason), "ALERT cpu 3");
}

static void test_one_way(void **st)
{
	fx *f = *st;
	char p[512], jp[512];
	char *s;
	unsigned bad = 0;
	pd_out o = {0};
	pd_mem *m = pd_mem_new();

	kpath(f, "mem/0x5000/offline", p, sizeof(p));
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	put(p, "0\n");
	/* dry run: nothing written, the journal says one way */
	pd_act *a = open_act(f, true);
	one_way_decisions(&o);
	assert_int_equal(2, pd_act_apply(a, &o, m, &f->cfg, 1.0));
	pd_act_close(a);
	s = slurp(p);
	assert_string_equal(s, "0\n");
	free(s);
	s = slurp(jp);
	assert_non_null(strstr(s, "\"one_way\":true"));
	assert_non_null(strstr(s, "cannot be brought back"));
	free(s);
	/* real, then killed: recovery restores the CPU, not the page */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pd_act *c = open_act(f, false);
		pd_act_recover(c, &bad, NULL);
		pd_act_apply(c, &o, m, &f->cfg, 1.0);
		size_t n;
		pd_act_held(c, &n);
		if (n != 1)
			_exit(3); /* the page must not be held */
		raise(SIGKILL);
		_exit(0);
	}
	int stt;
	waitpid(pid, &stt, 0);
	assert_true(WIFSIGNALED(stt) && WTERMSIG(stt) == SIGKILL);
	s = slurp(p);
	assert_string_equal(s, "1\n");
	free(s);
	char sp[512];
	snprintf(sp, sizeof(sp), "%s/state.json", f->run);
	unlink(sp); /* recovery from the journal alone */
	a = open_act(f, false);
	assert_int_equal(1, pd_act_recover(a, &bad, NULL));
	assert_int_equal(bad, 0);
	pd_act_close(a);
	s = slurp(p);
	assert_string_equal(s, "1\n"); /* still offline */
	free(s);
	assert_original(f);
	pd_mem_free(m);
	pd_out_free(&o);
}

static void test_apply_and_undo(void **st)
{
	fx *f = *st;
	pd_out o = {0};
	pd_mem *m = pd_mem_new();
	pd_act *a = open_act(f, false);
	unsigned bad;
	size_t n;

	assert_int_equal(0, pd_act_recover(a, &bad, NULL));
	decisions(&o);
	assert_int_equal(5, pd_act_apply(a, &o, m, &f->cfg, 1.0));
	assert_int_equal(f->checks, 5);
	assert_changed(f);
	pd_act_held(a, &n);
	assert_int_equal(n, 5);
	/* A release puts the original back, byte-exact. */
	pd_out_reset(&o);
	o.n = 1;
	snprintf(o.d[0].knob, PD_KNOB_LEN, "cpu/1/governor");
	o.d[0].release = true;
	assert_int_equal(1, pd_act_apply(a, &o, m, &f->cfg, 2.0));
	pd_act_held(a, &n);
	assert_int_equal(n, 4);
	pd_act_close(a); /* restores the rest */
	assert_original(f);
	char jp[512];
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	char *j = slurp(jp);
	assert_non_null(strstr(j, "\"event\":\"clean\""));
	assert_non_null(strstr(j, "\"reason\":\"because 3\""));
	assert_non_null(strstr(j, "\"old\":\"1\",\"new\":\"0\""));
	free(j);
	pd_out_free(&o);
	pd_mem_free(m);
}

static void crash_child(fx *f)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pd_out o = {0};
		pd_mem *m = pd_mem_new();
		pd_act *a = open_act(f, false);
		unsigned bad;
		pd_act_recover(a, &bad, NULL);
		decisions(&o);
		pd_act_apply(a, &o, m, &f->cfg, 1.0);
		raise(SIGKILL); /* no cleanup of any kind */
		_exit(0);
	}
	int stt;
	waitpid(pid, &stt, 0);
	assert_true(WIFSIGNALED(stt) && WTERMSIG(stt) == SIGKILL);
}

static void test_kill9_then_restart(void **st)
{
	fx *f = *st;
	unsigned bad = 0;

	crash_child(f);
	assert_changed(f);
	pd_act *a = open_act(f, false); /* the lock died with the child */
	assert_int_equal(5, pd_act_recover(a, &bad, NULL));
	assert_int_equal(bad, 0);
	assert_original(f);
	pd_act_close(a);
	assert_original(f);
}

static void test_kill9_damaged_state_uses_journal(void **st)
{
	fx *f = *st;
	unsigned bad = 0;
	char sp[512];

	/* an earlier clean run, so the journal has history before the crash */
	pd_act *a = open_act(f, false);
	pd_act_recover(a, &bad, NULL);
	pd_act_close(a);
	crash_child(f);
	snprintf(sp, sizeof(sp), "%s/state.json", f->run);
	put(sp, "{\"held\": [ {\"knob\": tru"); /* torn */
	a = open_act(f, false);
	assert_int_equal(5, pd_act_recover(a, &bad, NULL));
	assert_original(f);
	pd_act_close(a);
}

/* A journal rotated many times over (tiny limit) still rebuilds every
 * held knob after a crash with a torn state file. */
static void test_rotation_keeps_recovery(void **st)
{
	fx *f = *st;
	pd_knob_ops ops = {f, fget, fset, fundo};
	pd_act_opts o = {f->run, false, "test.conf", 600};
	unsigned bad = 0;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pd_out out = {0};
		pd_mem *m = pd_mem_new();
		pd_act *a = NULL;
		if (pd_act_open(&o, &ops, &a, NULL))
			_exit(1);
		pd_act_recover(a, &bad, NULL);
		decisions(&out);
		pd_act_apply(a, &out, m, &f->cfg, 1.0);
		for (int i = 0; i < 30; i++) /* filler: forces rotations */
			pd_act_event(a, "reload", "padding padding padding");
		raise(SIGKILL);
		_exit(0);
	}
	int stt;
	waitpid(pid, &stt, 0);
	assert_changed(f);
	char sp[512], jp[512];
	snprintf(sp, sizeof(sp), "%s/state.json", f->run);
	put(sp, "garbage");
	snprintf(jp, sizeof(jp), "%s/journal.jsonl.1", f->run);
	assert_true(access(jp, F_OK) == 0); /* it did rotate */
	pd_act *a = NULL;
	assert_int_equal(0, pd_act_open(&o, &ops, &a, NULL));
	assert_int_equal(5, pd_act_recover(a, &bad, NULL));
	assert_original(f);
	pd_act_close(a);
}

static void test_single_instance(void **st)
{
	fx *f = *st;
	pd_knob_ops ops = {f, fget, fset, fundo};
	pd_act_opts o = {f->run, false, NULL, 0};
	pd_act *a = open_act(f, false), *b = NULL;
	hv_err e = {0};
	assert_int_equal(-EBUSY, pd_act_open(&o, &ops, &b, &e));
	assert_non_null(strstr(e.msg, "another hv-powerd"));
	pd_act_close(a);
}

static void test_dry_run_touches_nothing(void **st)
{
	fx *f = *st;
	pd_out o = {0};
	pd_mem *m = pd_mem_new();
	pd_act *a = open_act(f, true);
	unsigned bad;
	size_t n;
	assert_int_equal(0, pd_act_recover(a, &bad, NULL));
	decisions(&o);
	assert_int_equal(5, pd_act_apply(a, &o, m, &f->cfg, 1.0));
	assert_int_equal(f->checks, 0);
	assert_original(f);
	pd_act_held(a, &n);
	assert_int_equal(n, 5); /* simulated, so decisions do not repeat */
	pd_act_close(a);
	assert_original(f);
	char jp[512];
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	char *j = slurp(jp);
	assert_non_null(strstr(j, "\"dry_run\":true"));
	free(j);
	pd_out_free(&o);
	pd_mem_free(m);
}

static void test_refused_change(void **st)
{
	fx *f = *st;
	pd_out o = {0};
	pd_mem *m = pd_mem_new();
	pd_act *a = open_act(f, false);
	unsigned bad;
	size_t n;
	pd_act_recover(a, &bad, NULL);
	decisions(&o);
	o.n = 1; /* governor only */
	f->fail_set = EINVAL;
	assert_int_equal(0, pd_act_apply(a, &o, m, &f->cfg, 1.0));
	pd_act_held(a, &n);
	assert_int_equal(n, 0);
	char jp[512];
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	char *j = slurp(jp);
	assert_non_null(strstr(j, "\"event\":\"failed\""));
	free(j);
	pd_act_close(a);
	assert_original(f);
	pd_out_free(&o);
	pd_mem_free(m);
}

/* A journal that cannot grow (RLIMIT_FSIZE: EFBIG, as a full disk gives
 * ENOSPC) blocks every new change, leaves the knobs as they were and the
 * journal whole; once the file can grow again, changes resume. */
static void test_full_journal_blocks(void **st)
{
	fx *f = *st;
	pd_out o = {0};
	pd_mem *m = pd_mem_new();
	pd_act *a = open_act(f, false);
	struct rlimit old, lim;
	struct stat js;
	unsigned bad;
	size_t n;
	char jp[512];

	pd_act_recover(a, &bad, NULL);
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	assert_int_equal(0, stat(jp, &js));
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)js.st_size + 40; /* less than one record */
	setrlimit(RLIMIT_FSIZE, &lim);
	decisions(&o);
	assert_int_equal(0, pd_act_apply(a, &o, m, &f->cfg, 1.0));
	assert_int_equal(f->checks, 0);
	assert_original(f);
	pd_act_held(a, &n);
	assert_int_equal(n, 0);
	assert_non_null(pd_act_blocked(a));
	assert_non_null(strstr(pd_act_blocked(a), "File too large"));
	char *j = slurp(jp);
	assert_int_equal((long)strlen(j), (long)js.st_size); /* cut back */
	free(j);
	setrlimit(RLIMIT_FSIZE, &old);
	pd_act_write_state(a, m, NULL); /* room again: resumes */
	assert_null(pd_act_blocked(a));
	assert_int_equal(5, pd_act_apply(a, &o, m, &f->cfg, 2.0));
	assert_changed(f);
	pd_act_close(a);
	assert_original(f);
	signal(SIGXFSZ, SIG_DFL);
	pd_out_free(&o);
	pd_mem_free(m);
}

/* state.json torn and a journal that cannot say what is held: refused,
 * and the files stay as they were. */
static void test_unknown_state_refused(void **st)
{
	fx *f = *st;
	pd_act *a;
	unsigned bad = 0;
	hv_err e = {0};
	char sp[512], jp[512];

	mkdir(f->run, 0755);
	snprintf(sp, sizeof(sp), "%s/state.json", f->run);
	snprintf(jp, sizeof(jp), "%s/journal.jsonl", f->run);
	put(sp, "{\"held\": [ {\"knob\": tru");
	put(jp, "{\"event\":\"set\"}\nnot a record\n");
	a = open_act(f, false);
	assert_int_equal(-EIO, pd_act_recover(a, &bad, &e));
	assert_non_null(strstr(e.msg, "line 2 is not a record"));
	pd_act_event(a, "stop", "x"); /* writes nothing now */
	pd_act_close(a);
	char *s = slurp(sp), *j = slurp(jp);
	assert_string_equal(s, "{\"held\": [ {\"knob\": tru");
	assert_string_equal(j, "{\"event\":\"set\"}\nnot a record\n");
	free(s);
	free(j);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test_setup_teardown(test_one_way, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_and_undo, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_kill9_then_restart, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_kill9_damaged_state_uses_journal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_keeps_recovery, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_single_instance, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_touches_nothing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refused_change, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_full_journal_blocks, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_state_refused, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
