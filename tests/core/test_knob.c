/* Knob names (one CPU limit), change transactions (newest-first rollback,
 * errors collected, nothing left changed), the journal and atomic-file
 * writers, and the run-directory lock probe. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv/durable.h"
#include "hv/knob.h"
#include "hv/rundir.h"
#include "hv/sample.h"

static void test_parse_fmt(void **st)
{
	static const char *const good[] = {
	    "cpu/0/online",        "cpu/8191/online",
	    "cpu/12/governor",     "cpu/1/min_khz",
	    "cpu/1/max_khz",       "cpu/7/epp",
	    "xen/max_cstate",      "cpu/3/cstate/9/disable",
	    "qos/cpu_dma_latency", "cpu/2/cstate/0/disable"};
	static const char *const bad[] = {"cpu/x/online",
	                                  "cpu//online",
	                                  "cpu/3",
	                                  "cpu/3/",
	                                  "cpu/-1/online",
	                                  "cpu/+1/online",
	                                  "cpu/01/online",
	                                  "cpu/1/foo",
	                                  "cpu/1/cstate/x/disable",
	                                  "cpu/1/cstate/1/enable",
	                                  "xen/other",
	                                  "",
	                                  "cpu/1/online/",
	                                  "cpu/1/cstate/01/disable"};
	hv_knob k;
	hv_err e = {0};
	char buf[HV_KNOB_LEN];
	(void)st;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(hv_knob_parse(good[i], &k, &e), 0);
		assert_true(hv_knob_fmt(&k, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, good[i]); /* one spelling round trip */
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hv_knob_parse(bad[i], &k, NULL), -ENOTSUP);
	/* the one CPU limit, and the C-state limit */
	assert_int_equal(hv_knob_parse("cpu/8192/online", &k, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "8191"));
	assert_int_equal(
	    hv_knob_parse("cpu/99999999999999999999/online", &k, NULL),
	    -ERANGE);
	assert_int_equal(hv_knob_parse("cpu/1/cstate/10/disable", &k, NULL),
	                 -ERANGE);
	assert_int_equal(hv_knob_parse("cpu/3/cstate/2/disable", &k, NULL), 0);
	assert_int_equal(k.kind, HV_KNOB_CSTATE_DISABLE);
	assert_int_equal(k.cpu, 3);
	assert_int_equal(k.state, 2);
	assert_true(hv_knob_is_cpu(k.kind));
	k.cpu = HV_KNOB_MAXCPU;
	assert_int_equal(hv_knob_fmt(&k, buf, sizeof(buf)), -EINVAL);
	k.cpu = 1;
	assert_int_equal(hv_knob_fmt(&k, buf, 5), -ENAMETOOLONG);
}

/* A fake host: knobs in memory, some refuse writes. */
#define NK 8
typedef struct fake {
	char name[NK][HV_KNOB_LEN], val[NK][HV_KNOB_VAL_LEN];
	int refuse[NK];
	size_t n;
	char log[1024]; /* hook calls, in order */
	int hook_fail;
} fake;

static int fidx(fake *f, const char *knob)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], knob))
			return (int)i;
	return -1;
}

static int fget(void *ctx, const char *knob, char *val, size_t len, hv_err *err)
{
	int i = fidx(ctx, knob);
	if (i < 0)
		return hv_err_set(err, ENOENT, "%s: none", knob);
	snprintf(val, len, "%s", ((fake *)ctx)->val[i]);
	return 0;
}

static int fset(void *ctx, const char *knob, const char *val, hv_err *err)
{
	fake *f = ctx;
	int i = fidx(f, knob);
	if (i < 0 || f->refuse[i])
		return hv_err_set(err, EBUSY, "refused");
	snprintf(f->val[i], sizeof(f->val[i]), "%s", val);
	return 0;
}

static int hook(void *ctx, hv_txn_op op, const hv_change *c, const char *tag,
                hv_err *err)
{
	fake *f = ctx;
	size_t l = strlen(f->log);
	snprintf(f->log + l, sizeof(f->log) - l, "%s %s %s>%s %s;",
	         op == HV_TXN_SET    ? "set"
	         : op == HV_TXN_UNDO ? "undo"
	                             : "done",
	         c->knob, c->old, c->new_, tag);
	if (f->hook_fail)
		return hv_err_set(err, ENOSPC, "journal full");
	return 0;
}

static void add(fake *f, const char *k, const char *v)
{
	snprintf(f->name[f->n], HV_KNOB_LEN, "%s", k);
	snprintf(f->val[f->n++], HV_KNOB_VAL_LEN, "%s", v);
}

static void test_txn(void **st)
{
	fake f = {0};
	hv_knob_io io = {&f, fget, fset};
	hv_txn *t;
	hv_err e = {0};
	size_t n;
	(void)st;

	add(&f, "a", "1");
	add(&f, "b", "x");
	add(&f, "c", "5");
	assert_int_equal(hv_txn_begin(&io, &t, &e), 0);
	hv_txn_set_hook(t, hook, &f);
	assert_int_equal(hv_txn_set(t, "a", "0", "parking", &e), 0);
	assert_int_equal(hv_txn_set(t, "a", "0", NULL, &e), 1); /* same */
	assert_int_equal(hv_txn_set(t, "c", "5", NULL, &e), 1); /* already */
	assert_int_equal(hv_txn_set(t, "b", "y", "budget", &e), 0);
	assert_int_equal(hv_txn_set(t, "b", "z", NULL, &e), 0);
	const hv_change *c = hv_txn_changes(t, &n);
	assert_int_equal(n, 2);
	assert_string_equal(c[1].old, "x"); /* the first original stays */
	assert_string_equal(c[1].new_, "z");
	assert_string_equal(hv_txn_tag(t, 1), "budget");
	/* a refused write leaves nothing recorded and nothing changed */
	f.refuse[2] = 1;
	assert_int_equal(hv_txn_set(t, "c", "6", NULL, &e), -EBUSY);
	hv_txn_changes(t, &n);
	assert_int_equal(n, 2);
	assert_string_equal(f.val[2], "5");
	/* a hook that fails (journal full) cancels the write */
	f.refuse[2] = 0;
	f.hook_fail = 1;
	assert_int_equal(hv_txn_set(t, "c", "6", NULL, &e), -ENOSPC);
	assert_int_equal(hv_txn_set(t, "b", "w", NULL, &e), -ENOSPC);
	assert_string_equal(f.val[1], "z");
	c = hv_txn_changes(t, &n);
	assert_int_equal(n, 2);
	assert_string_equal(c[1].new_, "z");
	f.hook_fail = 0;
	f.log[0] = '\0';
	/* rollback: newest first, every failure collected, failed ones kept */
	assert_int_equal(hv_txn_set(t, "c", "7", "lat", &e), 0);
	f.refuse[1] = 1;
	f.log[0] = '\0';
	assert_int_equal(hv_txn_rollback(t, &e), 1);
	assert_string_equal(f.log, "undo c 5>7 lat;done c 5>7 lat;"
	                           "undo b x>z budget;"
	                           "undo a 1>0 parking;done a 1>0 parking;");
	assert_int_equal(e.code, EBUSY);
	assert_non_null(strstr(e.msg, "b: refused"));
	assert_string_equal(f.val[0], "1");
	assert_string_equal(f.val[2], "5");
	c = hv_txn_changes(t, &n);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].knob, "b");
	f.refuse[1] = 0;
	assert_int_equal(hv_txn_rollback(t, &e), 0);
	assert_string_equal(f.val[1], "x");
	/* release one, adopt, commit */
	assert_int_equal(hv_txn_release(t, "a", &e), -ENOENT);
	assert_int_equal(hv_txn_adopt(t, "a", "1", "0", "old run"), 0);
	assert_int_equal(hv_txn_adopt(t, "a", "9", "0", NULL), 0);
	assert_int_equal(hv_txn_find(t, "a"), 0);
	assert_int_equal(hv_txn_release(t, "a", &e), 0);
	assert_string_equal(f.val[0], "1");
	assert_int_equal(hv_txn_adopt(t, "c", "5", "8", NULL), 0);
	assert_int_equal(hv_txn_forget(t, "c"), 0); /* no write */
	assert_int_equal(hv_txn_forget(t, "c"), -ENOENT);
	assert_string_equal(f.val[2], "5");
	assert_int_equal(hv_txn_set(t, "a", "0", NULL, &e), 0);
	hv_txn_commit(t);
	hv_txn_changes(t, &n);
	assert_int_equal(n, 0);
	assert_string_equal(f.val[0], "0");
	hv_txn_free(t);
}

static char tmpdir[64];

static int head_rec(void *ctx, hv_journal *j, hv_err *err)
{
	(*(int *)ctx)++;
	return hv_journal_append(j, "{\"event\":\"held\"}", err);
}

static void test_durable(void **st)
{
	char p[128], *buf = NULL;
	size_t len;
	int heads = 0, fd;
	hv_journal *j;
	hv_err e = {0};
	(void)st;

	snprintf(p, sizeof(p), "%s/f.json", tmpdir);
	assert_int_equal(hv_file_replace(p, "{}", 2, 0, &e), 0);
	assert_int_equal(hv_file_read(p, 100, &buf, &len, &e), 0);
	assert_string_equal(buf, "{}");
	free(buf);
	assert_int_equal(hv_file_read(p, 1, &buf, &len, &e), -EFBIG);
	snprintf(p, sizeof(p), "%s/f.json.tmp", tmpdir);
	assert_int_equal(access(p, F_OK), -1); /* no temp file left */
	snprintf(p, sizeof(p), "%s/nodir/f.json", tmpdir);
	assert_true(hv_file_replace(p, "{}", 2, 0, &e) < 0);
	snprintf(p, sizeof(p), "%s/f.json", tmpdir);
	assert_int_equal(hv_file_remove(p, &e), 0);
	assert_int_equal(hv_file_remove(p, &e), 0);

	/* a torn last line is cut at open */
	snprintf(p, sizeof(p), "%s/j/journal.jsonl", tmpdir);
	{
		char d[128];
		snprintf(d, sizeof(d), "%s/j", tmpdir);
		mkdir(d, 0755);
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\":1}\n{\"b\":", 13), 13);
	close(fd);
	hv_journal_opts o = {p, 60, 0, head_rec, &heads, false};
	assert_int_equal(hv_journal_open(&o, &j, &e), 0);
	assert_int_equal(hv_journal_cut(j), 5);
	assert_int_equal(hv_journal_append(j, "{\"c\":2}", &e), 0);
	assert_int_equal(hv_journal_append(j, "{\"x\":\n1}", &e), -EINVAL);
	assert_int_equal(hv_file_read(p, 1000, &buf, &len, &e), 0);
	assert_string_equal(buf, "{\"a\":1}\n{\"c\":2}\n");
	free(buf);
	/* rotation past 60 bytes: .1 keeps the old, the new starts with a
	 * head record */
	for (int i = 0; i < 8; i++)
		assert_int_equal(
		    hv_journal_append(j, "{\"pad\":\"0123456789\"}", &e), 0);
	assert_true(heads >= 1);
	assert_int_equal(hv_file_read(p, 1000, &buf, &len, &e), 0);
	assert_int_equal(strncmp(buf, "{\"event\":\"held\"}\n", 17), 0);
	free(buf);
	/* the directory vanishes: made again, head first */
	{
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "rm -rf %s/j", tmpdir);
		assert_int_equal(system(cmd), 0);
	}
	heads = 0;
	assert_int_equal(hv_journal_append(j, "{\"d\":3}", &e), 0);
	assert_int_equal(heads, 1);
	assert_int_equal(hv_file_read(p, 1000, &buf, &len, &e), 0);
	assert_string_equal(buf, "{\"event\":\"held\"}\n{\"d\":3}\n");
	free(buf);
	hv_journal_close(j);
}

static void test_lock(void **st)
{
	char p[128];
	int fd = -1, fd2 = -1;
	pid_t pid = 0;
	hv_err e = {0};
	(void)st;

	snprintf(p, sizeof(p), "%s/powerd.lock", tmpdir);
	assert_int_equal(hv_run_lock_probe(p, &pid), 0); /* no file */
	assert_int_equal(hv_run_lock(p, &fd, &e), 0);
	assert_int_equal(hv_run_lock(p, &fd2, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "another hv-powerd"));
	/* seen from another process too, without taking it */
	pid_t child = fork();
	if (!child) {
		pid_t q = 0;
		_exit(hv_run_lock_probe(p, &q) == 1 && q == getppid() ? 0 : 1);
	}
	int stt = 0;
	waitpid(child, &stt, 0);
	assert_true(WIFEXITED(stt) && WEXITSTATUS(stt) == 0);
	assert_int_equal(hv_run_lock_probe(p, &pid), 1);
	assert_int_equal(pid, getpid());
	close(fd);
	assert_int_equal(hv_run_lock_probe(p, &pid), 0);
}

static void test_powerd_holds(void **st)
{
	char p[128], d[128];
	int fd = -1;
	hv_powerd_hold h;
	hv_err e = {0};
	static const char state[] =
	    "{\"version\":1,\"pid\":1,\"held\":[{\"knob\":\"cpu/3/online\","
	    "\"orig\":\"1\",\"cur\":\"0\",\"policy\":\"parking\"}]}";
	(void)st;

	snprintf(d, sizeof(d), "%s/run", tmpdir);
	mkdir(d, 0755);
	snprintf(p, sizeof(p), "%s/%s", d, HV_RUN_STATE);
	assert_int_equal(hv_file_replace(p, state, strlen(state), 0, &e), 0);
	/* a crashed run's state: nobody holds the lock, nothing refused */
	assert_int_equal(hv_powerd_holds(d, "cpu/3/online", &h, &e), 0);
	snprintf(p, sizeof(p), "%s/%s", d, HV_RUN_LOCK);
	assert_int_equal(hv_run_lock(p, &fd, &e), 0);
	assert_int_equal(hv_powerd_holds(d, "cpu/3/online", &h, &e), 1);
	assert_string_equal(h.policy, "parking");
	assert_string_equal(h.orig, "1");
	assert_int_equal(h.pid, getpid());
	assert_int_equal(hv_powerd_holds(d, "cpu/4/online", &h, &e), 0);
	/* running but the state file is torn: cannot know */
	snprintf(p, sizeof(p), "%s/%s", d, HV_RUN_STATE);
	assert_int_equal(hv_file_replace(p, state, 20, 0, &e), 0);
	assert_true(hv_powerd_holds(d, "cpu/3/online", &h, &e) < 0);
	assert_non_null(strstr(e.msg, "runs but"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_parse_fmt),    cmocka_unit_test(test_txn),
	    cmocka_unit_test(test_durable),      cmocka_unit_test(test_lock),
	    cmocka_unit_test(test_powerd_holds),
	};
	int rc;
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hvknob.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(t, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		rc = rc ? rc : 1;
	return rc;
}
