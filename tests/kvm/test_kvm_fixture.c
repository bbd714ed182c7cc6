/* SPDX-License-Identifier: MIT */
/* kvm backend on a generated procfs/sysfs: exact parsing, identity across
 * pid reuse, processes vanishing mid-sample, malformed files, and QMP
 * monitors that answer, hang, babble or hang up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fakeqmp.h"
#include "hv/backend.h"
#include "hv/sample.h"
#include "hvtest.h"
#include "kvm/kvm_int.h"
#include "kvmfix.h"

#define TICK 10000000ULL /* USER_HZ 100 */

static uint64_t page_kib(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* ---- parsers ---- */

static void test_parse_stat(void **state)
{
	struct hv_kvm_stat st;
	char line[512];
	(void)state;

	assert_int_equal(0, kf_stat_line(line, sizeof(line), 77, "qemu (x) y)",
	                                 'R', 0x40, 11, 22, 33, 5, 1, 9, 44));
	assert_int_equal(0, hv_kvm_parse_stat(line, &st));
	assert_string_equal("qemu (x) y)", st.comm);
	assert_int_equal('R', st.state);
	assert_int_equal(11, st.utime);
	assert_int_equal(22, st.stime);
	assert_int_equal(33, st.starttime);
	assert_int_equal(1, st.processor);
	assert_true(st.has_guest);
	assert_int_equal(9, st.guest_time);
	assert_int_equal(0x40, st.flags);
	assert_int_equal(44, st.rss);
	/* A process's stat is read up to rss only. */
	assert_int_equal(0, hv_kvm_parse_stat_to(line, &st, 24));
	assert_int_equal(33, st.starttime);
	assert_int_equal(44, st.rss);
	assert_int_equal(-1, st.processor);
	assert_false(st.has_guest);
	/* Truncated before starttime, garbage, no parentheses. */
	assert_int_equal(
	    -EINVAL,
	    hv_kvm_parse_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 11\n", &st));
	assert_int_equal(-EINVAL, hv_kvm_parse_stat("7 (a) S 1 x 3\n", &st));
	assert_int_equal(-EINVAL, hv_kvm_parse_stat("7 a S 1 2 3\n", &st));
	assert_int_equal(-EINVAL, hv_kvm_parse_stat("", &st));
	/* An old kernel without processor/guest fields still identifies. */
	assert_int_equal(0, hv_kvm_parse_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 "
	                                      "11 12 13 14 15 16 17 18 19\n",
	                                      &st));
	assert_int_equal(19, st.starttime);
	assert_false(st.has_guest);
	assert_int_equal(-1, st.processor);
	/* Fields the backend skips are still checked to be numbers ("-1"
	 * is one: tty_pgrp); a 21-digit kept field is not a u64. */
	assert_int_equal(0, hv_kvm_parse_stat("7 (a) S 1 2 -1 4 5 6 7 8 9 10 "
	                                      "11 12 13 14 15 16 17 18 19 "
	                                      "20 21 22\n",
	                                      &st));
	assert_int_equal(19, st.starttime);
	assert_int_equal(
	    -EINVAL, hv_kvm_parse_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 "
	                               "14 15 16 17 18 19 20 2x 22\n",
	                               &st));
	assert_int_equal(
	    -EINVAL, hv_kvm_parse_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 "
	                               "14 15 16 17 18 19 20 21 - 23\n",
	                               &st));
	assert_int_equal(
	    -EINVAL, hv_kvm_parse_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 "
	                               "111111111111111111111 12 13 14 15 16 "
	                               "17 18 19\n",
	                               &st));
}

static void test_parse_size(void **state)
{
	uint64_t k;
	(void)state;

	assert_int_equal(0, hv_kvm_parse_size_kib("512", &k));
	assert_int_equal(512 * 1024, k);
	assert_int_equal(0, hv_kvm_parse_size_kib("2G", &k));
	assert_int_equal(2 * 1024 * 1024, k);
	assert_int_equal(0, hv_kvm_parse_size_kib("1.5g", &k));
	assert_int_equal(1536 * 1024, k);
	assert_int_equal(0, hv_kvm_parse_size_kib("2097152k", &k));
	assert_int_equal(2097152, k);
	assert_int_equal(0, hv_kvm_parse_size_kib("1073741824B", &k));
	assert_int_equal(1048576, k);
	assert_int_equal(0, hv_kvm_parse_size_kib("256M", &k));
	assert_int_equal(262144, k);
	assert_int_equal(-EINVAL, hv_kvm_parse_size_kib("", &k));
	assert_int_equal(-EINVAL, hv_kvm_parse_size_kib("2X", &k));
	assert_int_equal(-EINVAL, hv_kvm_parse_size_kib("G", &k));
	assert_int_equal(-EINVAL,
	                 hv_kvm_parse_size_kib("99999999999999999999T", &k));
}

static int parse_argv(const char *const *argv, struct hv_kvm_cmd *c)
{
	char buf[4096];
	size_t n = 0;

	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(buf + n, argv[i], l);
		n += l;
	}
	return hv_kvm_parse_cmdline(buf, n, c);
}

static void test_parse_cmdline(void **state)
{
	struct hv_kvm_cmd c;
	(void)state;

	{
		const char *a[] = {"qemu-system-x86_64",
		                   "-name",
		                   "guest=web,,1,debug-threads=on",
		                   "-uuid",
		                   "3E4B5C6D-1111-2222-3333-444455556666",
		                   "-m",
		                   "size=2G,slots=4,maxmem=8G",
		                   "-smp",
		                   "sockets=2,cores=2,threads=1",
		                   "-qmp",
		                   "unix:/run/x.qmp,server=on,wait=off",
		                   NULL};
		assert_int_equal(0, parse_argv(a, &c));
		assert_string_equal("web,1", c.name);
		assert_string_equal("3e4b5c6d-1111-2222-3333-444455556666",
		                    c.uuid);
		assert_int_equal(2097152, c.mem_kib);
		assert_int_equal(8388608, c.maxmem_kib);
		assert_int_equal(4, c.smp);
		assert_string_equal("/run/x.qmp", c.qmp_path);
		assert_false(c.libvirt);
	}
	{
		const char *a[] = {
		    "/usr/bin/qemu-kvm",
		    "--name",
		    "plain\x1b[31m",
		    "-m",
		    "512",
		    "-smp",
		    "3,maxcpus=8",
		    "-uuid",
		    "not-a-uuid",
		    "-chardev",
		    "socket,id=mon0,path=/tmp/m.sock,server=on,wait=off",
		    "-mon",
		    "chardev=mon0,mode=control",
		    NULL};
		assert_int_equal(0, parse_argv(a, &c));
		assert_string_equal("plain?[31m", c.name);
		assert_string_equal("", c.uuid);
		assert_int_equal(524288, c.mem_kib);
		assert_int_equal(524288, c.maxmem_kib);
		assert_int_equal(3, c.smp);
		assert_string_equal("/tmp/m.sock", c.qmp_path);
	}
	{
		/* libvirt: the monitor is an fd libvirtd holds. */
		const char *a[] = {
		    "qemu-system-x86_64",
		    "-name",
		    "guest=lv,debug-threads=on",
		    "-m",
		    "size=1048576k",
		    "-smp",
		    "cpus=2",
		    "-chardev",
		    "socket,id=charmonitor,fd=30,server=on,wait=off",
		    "-mon",
		    "chardev=charmonitor,id=monitor,mode=control",
		    NULL};
		assert_int_equal(0, parse_argv(a, &c));
		assert_true(c.libvirt);
		assert_string_equal("", c.qmp_path);
		assert_int_equal(1048576, c.mem_kib);
		assert_int_equal(2, c.smp);
	}
	{
		/* Defaults; HMP -monitor is not QMP; -qmp over tcp ignored. */
		const char *a[] = {"qemu-system-x86_64",   "-monitor",
		                   "unix:/tmp/hmp,server", "-qmp",
		                   "tcp:127.0.0.1:4444",   NULL};
		assert_int_equal(0, parse_argv(a, &c));
		assert_string_equal("", c.name);
		assert_int_equal(131072, c.mem_kib);
		assert_int_equal(1, c.smp);
		assert_string_equal("", c.qmp_path);
	}
	assert_int_equal(-EINVAL, hv_kvm_parse_cmdline("", 0, &c));
	/* Trailing option without a value must not read past the end. */
	{
		const char *a[] = {"qemu-system-x86_64", "-m", NULL};
		assert_int_equal(0, parse_argv(a, &c));
		assert_int_equal(131072, c.mem_kib);
	}
}

static void test_small_parsers(void **state)
{
	struct hv_kvm_io io;
	uint64_t run, wait;
	char v[64];
	(void)state;

	assert_int_equal(0, hv_kvm_parse_io("rchar: 1\nwchar: 2\nsyscr: 3\n"
	                                    "syscw: 4\nread_bytes: 5\n"
	                                    "write_bytes: 6\n"
	                                    "cancelled_write_bytes: 7\n",
	                                    &io));
	assert_int_equal(3, io.syscr);
	assert_int_equal(5, io.read_bytes);
	assert_int_equal(6, io.write_bytes);
	assert_int_equal(-EINVAL, hv_kvm_parse_io("rchar: 1\n", &io));
	assert_int_equal(-EINVAL, hv_kvm_parse_io("rchar: 1\nwchar: 2\n"
	                                          "syscr: x\nsyscw: 4\n"
	                                          "read_bytes: 5\n"
	                                          "write_bytes: 6\n",
	                                          &io));
	/* Values at the 64-bit limit and past it, signs, trailing text. */
	assert_int_equal(0, hv_kvm_parse_io("rchar: 18446744073709551615\n"
	                                    "wchar: 2\nsyscr: 3 \nsyscw: 4\n"
	                                    "read_bytes: 5\nwrite_bytes: 6",
	                                    &io));
	assert_true(io.rchar == UINT64_MAX);
	assert_int_equal(6, io.write_bytes); /* no final newline */
	assert_int_equal(-EINVAL,
	                 hv_kvm_parse_io("rchar: 18446744073709551616\n"
	                                 "wchar: 2\nsyscr: 3\nsyscw: 4\n"
	                                 "read_bytes: 5\nwrite_bytes: 6\n",
	                                 &io));
	assert_int_equal(-EINVAL, hv_kvm_parse_io("rchar: 1\nwchar: -2\n"
	                                          "syscr: 3\nsyscw: 4\n"
	                                          "read_bytes: 5\n"
	                                          "write_bytes: 6\n",
	                                          &io));
	assert_int_equal(-EINVAL, hv_kvm_parse_io("rchar: 1\nwchar: 2kB\n"
	                                          "syscr: 3\nsyscw: 4\n"
	                                          "read_bytes: 5\n"
	                                          "write_bytes: 6\n",
	                                          &io));
	{
		const char *p = " 12 99999999999999999999 -3 7x";
		uint64_t x;
		assert_int_equal(0, hv_kvm_next_u64(&p, &x));
		assert_int_equal(12, x);
		assert_int_equal(-EINVAL, hv_kvm_next_u64(&p, &x));
		p = " -3 7x";
		assert_int_equal(-EINVAL, hv_kvm_next_u64(&p, &x));
		p = "7x";
		assert_int_equal(-EINVAL, hv_kvm_next_u64(&p, &x));
	}
	assert_int_equal(0, hv_kvm_parse_schedstat("123 456 7\n", &run, &wait));
	assert_int_equal(456, wait);
	assert_int_equal(-EINVAL, hv_kvm_parse_schedstat("123\n", &run, &wait));
	assert_int_equal(
	    0, hv_kvm_status_field("A:\t1\nCpus_allowed_list:\t0-3,5\n",
	                           "Cpus_allowed_list", v, sizeof(v)));
	assert_string_equal("0-3,5", v);
	assert_int_equal(-ENOENT,
	                 hv_kvm_status_field("A:\t1\n", "B", v, sizeof(v)));
	assert_int_equal(3, hv_kvm_vcpu_index("CPU 3/KVM"));
	assert_int_equal(0, hv_kvm_vcpu_index("CPU 0/TCG"));
	assert_int_equal(-1, hv_kvm_vcpu_index("CPU x/KVM"));
	assert_int_equal(-1, hv_kvm_vcpu_index("call_rcu"));
	assert_true(hv_kvm_is_qemu_name("qemu-system-x86"));
	assert_true(hv_kvm_is_qemu_name("qemu-kvm"));
	assert_true(hv_kvm_is_qemu_name("kvm"));
	assert_false(hv_kvm_is_qemu_name("qemu-img"));
	assert_int_not_equal(hv_kvm_key(100, 5), hv_kvm_key(100, 6));
	assert_int_not_equal(hv_kvm_key(100, 5), hv_kvm_key(101, 5));
}

/* ---- the backend on a fixture ---- */

struct fx {
	hvt_host *h;
	hv_env env;
	void *priv;
	kf_vcpu va[2], vb[1];
	kf_proc a, b;
};

static const char *const argv_a[] = {"qemu-system-x86_64",
                                     "-name",
                                     "guest=web (1),,x,debug-threads=on",
                                     "-uuid",
                                     "3E4B5C6D-1111-2222-3333-444455556666",
                                     "-m",
                                     "size=2G,slots=4,maxmem=8G",
                                     "-smp",
                                     "2,sockets=1,cores=2",
                                     "-accel",
                                     "kvm",
                                     NULL};
static const char *const argv_b[] = {"qemu-system-x86_64",
                                     "-name",
                                     "vm-b,process=vm-b",
                                     "-m",
                                     "512",
                                     "-smp",
                                     "cpus=1",
                                     "-accel",
                                     "tcg",
                                     NULL};
static const char *const taps_a[] = {"tap0", NULL};

static void fx_build(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->h = hvt_host_new("kvm");
	assert_non_null(f->h);
	assert_int_equal(0, hvt_build_intel_host(f->h, 2, 1));
	hvt_host_env(f->h, &f->env);
	f->va[0] = (kf_vcpu){.tid = 4250,
	                     .utime = 300,
	                     .stime = 50,
	                     .guest = 250,
	                     .processor = 1,
	                     .run_ns = 3500000000,
	                     .wait_ns = 7777,
	                     .cpus_allowed = "1"};
	f->va[1] = (kf_vcpu){.tid = 4251,
	                     .utime = 100,
	                     .stime = 20,
	                     .guest = 90,
	                     .processor = 0,
	                     .run_ns = 1,
	                     .wait_ns = 8888};
	f->a = (kf_proc){.pid = 4242,
	                 .comm = "qemu-system-x86",
	                 .exe = "/usr/bin/qemu-system-x86_64",
	                 .starttime = 123456,
	                 .utime = 500,
	                 .stime = 100,
	                 .argv = argv_a,
	                 .rss_pages = 51200,
	                 .io_read = 111,
	                 .io_write = 222,
	                 .io_syscr = 3,
	                 .io_syscw = 4,
	                 .nvcpu = 2,
	                 .vcpu = f->va,
	                 .nextra = 1,
	                 .taps = taps_a};
	f->vb[0] = (kf_vcpu){.tid = 5001,
	                     .comm = "CPU 0/TCG",
	                     .state = 'R',
	                     .utime = 40,
	                     .stime = 2,
	                     .processor = 0,
	                     .wait_ns = 5};
	f->b = (kf_proc){.pid = 5000,
	                 .comm = "vm-b",
	                 .exe = "/usr/bin/qemu-system-x86_64 (deleted)",
	                 .starttime = 200000,
	                 .utime = 50,
	                 .stime = 3,
	                 .argv = argv_b,
	                 .rss_pages = 100,
	                 .io_read = 1048576,
	                 .io_write = 4096,
	                 .io_syscr = 30,
	                 .io_syscw = 40,
	                 .nvcpu = 1,
	                 .vcpu = f->vb};
	assert_int_equal(0, kf_write_proc(f->h->proc, &f->a));
	assert_int_equal(0, kf_write_proc(f->h->proc, &f->b));
	assert_int_equal(0, kf_write_tap(f->h->sys, "tap0", 1000));
	/* Not QEMU: a shell, a kernel thread called kvm, a zombie qemu. */
	{
		static const char *const sh[] = {"/bin/bash", NULL};
		kf_proc p = {.pid = 300,
		             .comm = "bash",
		             .exe = "/bin/bash",
		             .starttime = 10,
		             .argv = sh};
		kf_proc k = {.pid = 2,
		             .comm = "kvm",
		             .starttime = 1,
		             .flags = 0x00208040};
		kf_proc z = {.pid = 6000,
		             .comm = "qemu-kvm",
		             .state = 'Z',
		             .starttime = 99};
		assert_int_equal(0, kf_write_proc(f->h->proc, &p));
		assert_int_equal(0, kf_write_proc(f->h->proc, &k));
		assert_int_equal(0, kf_write_proc(f->h->proc, &z));
	}
}

static void fx_open(struct fx *f, const hv_backend_opts *o)
{
	hv_err err = {0};
	hv_backend_opts d = {.qmp_dirs = "/nonexistent"};

	assert_int_equal(0,
	                 hv_kvm_ops.open(&f->env, o ? o : &d, &f->priv, &err));
}

static hv_snap *fx_sample(struct fx *f)
{
	hv_snap *s = kf_sample(f->priv);

	assert_non_null(s);
	return s;
}

static void fx_free(struct fx *f)
{
	hv_kvm_ops.close(f->priv);
	hvt_host_free(f->h);
}

static void test_sample_exact(void **state)
{
	struct fx f;
	hv_snap *s;
	const hv_dom *a, *b;
	int fds0 = count_fds();
	(void)state;

	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_string_equal("kvm", hv_snap_host(s)->backend);
	assert_int_equal(2, hv_snap_ndom(s));
	a = hv_snap_find_id(s, 4242);
	b = hv_snap_find_id(s, 5000);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(a, hv_snap_find_key(s, hv_kvm_key(4242, 123456)));

	assert_string_equal("web (1),x", a->name);
	assert_string_equal("3e4b5c6d-1111-2222-3333-444455556666", a->uuid);
	assert_int_equal(123456 * TICK, a->start_ns);
	assert_true(hv_ok(a->cpu_ns));
	assert_int_equal(600 * TICK, a->cpu_ns.v);
	assert_int_equal(2097152, a->mem_kib.v);
	assert_int_equal(8388608, a->maxmem_kib.v);
	assert_int_equal(51200 * page_kib(), a->rss_kib.v);
	assert_int_equal(HV_NA_UNSUPPORTED, a->target_kib.why);
	assert_int_equal(2, a->nr_vcpus);
	assert_int_equal(2, a->nr_vcpu);
	assert_int_equal(0, a->vcpu[0].id);
	assert_int_equal(4250, a->vcpu[0].tid);
	assert_int_equal(350 * TICK, a->vcpu[0].time_ns.v);
	assert_int_equal(250 * TICK, a->vcpu[0].guest_ns.v);
	assert_int_equal(7777, a->vcpu[0].wait_ns.v);
	assert_int_equal(1, a->vcpu[0].pcpu);
	assert_int_equal(2, hv_snap_host(s)->nr_pcpu); /* the fixture's */
	assert_non_null(a->vcpu[0].affinity);
	assert_int_equal(2, a->vcpu[0].affinity[0]); /* pinned to pCPU 1 */
	assert_null(a->vcpu[1].affinity);            /* 0-1: any */
	assert_int_equal(120 * TICK, a->vcpu[1].time_ns.v);
	assert_int_equal(8888, a->vcpu[1].wait_ns.v);
	/* Both vCPU threads sleep: blocked, as xentop would show it, but
	 * with nobody to ask that may be paused too: not said with
	 * confidence. */
	assert_int_equal(HV_DS_BLOCKED, a->state);
	assert_string_equal("idle or paused?", a->state_why);
	/* tap0, swapped to the guest's view. */
	assert_int_equal(1, a->nr_net);
	assert_string_equal("tap0", a->net[0].name);
	assert_int_equal(1005, a->net[0].rx_bytes.v);
	assert_int_equal(1006, a->net[0].rx_pkts.v);
	assert_int_equal(1007, a->net[0].rx_errs.v);
	assert_int_equal(1008, a->net[0].rx_drop.v);
	assert_int_equal(1001, a->net[0].tx_bytes.v);
	assert_int_equal(1002, a->net[0].tx_pkts.v);
	assert_int_equal(1003, a->net[0].tx_errs.v);
	assert_int_equal(1004, a->net[0].tx_drop.v);
	/* No QMP: the process's I/O bytes, all files, are no disk (and its
	 * syscall counts no disk requests): no block device at all. */
	assert_int_equal(0, a->nr_blk);
	assert_int_equal(111, a->io_rd_bytes.v);
	assert_int_equal(222, a->io_wr_bytes.v);
	assert_true(a->sources & HV_SRC_PROC);
	assert_true(a->sources & HV_SRC_NET);
	assert_false(a->sources & HV_SRC_QMP);
	assert_int_equal(0, a->stale);
	assert_non_null(strstr(a->note, "no QMP"));

	/* Renamed comm, found by its exe; TCG vCPU; running. */
	assert_string_equal("vm-b", b->name);
	assert_string_equal("", b->uuid);
	assert_int_equal(524288, b->mem_kib.v);
	assert_int_equal(1, b->nr_vcpus);
	assert_int_equal(1, b->nr_vcpu);
	assert_int_equal(5001, b->vcpu[0].tid);
	assert_int_equal(42 * TICK, b->vcpu[0].time_ns.v);
	assert_int_equal(0, b->vcpu[0].guest_ns.v);
	assert_int_equal(HV_DS_RUNNING, b->state);
	assert_int_equal(0, b->nr_net);
	assert_int_equal(0, b->nr_blk);
	assert_int_equal(1048576, b->io_rd_bytes.v);
	hv_snap_unref(s);

	/* Second sample through cached fds sees new values. */
	f.va[0].utime += 100;
	f.a.utime += 100;
	assert_int_equal(0, kf_update_proc(f.h->proc, &f.a));
	assert_int_equal(0, kf_write_tap(f.h->sys, "tap0", 5000));
	s = fx_sample(&f);
	a = hv_snap_find_id(s, 4242);
	assert_int_equal(700 * TICK, a->cpu_ns.v);
	assert_int_equal(450 * TICK, a->vcpu[0].time_ns.v);
	assert_int_equal(5005, a->net[0].rx_bytes.v);
	assert_true(hv_kvm_cached_fds(f.priv) > 10);
	hv_snap_unref(s);
	fx_free(&f);
	assert_int_equal(fds0, count_fds()); /* nothing leaked */
}

/* Affinity (task/TID/status) is re-read in turn, every HV_KVM_AFF_PERIOD
 * samples, and at once when the thread ran on a pCPU outside the mask last
 * read. */
static const hv_vcpu *fx_vcpu0(hv_snap *s)
{
	const hv_dom *a = hv_snap_find_id(s, 4242);

	assert_non_null(a);
	assert_true(a->nr_vcpu >= 1);
	return &a->vcpu[0];
}

/* Samples (at most a period) until vCPU 0's mask word is want (0: no
 * affinity, all pCPUs); any other sample must still show old. */
static int samples_until(struct fx *f, uint64_t want, uint64_t old)
{
	int i;

	for (i = 0; i < HV_KVM_AFF_PERIOD; i++) {
		hv_snap *s = fx_sample(f);
		const uint64_t *a = fx_vcpu0(s)->affinity;
		uint64_t w = a ? a[0] : 0;
		hv_snap_unref(s);
		if (w == want)
			break;
		assert_true(w == old);
	}
	return i;
}

static void test_affinity_refresh(void **state)
{
	struct fx f;
	hv_snap *s;
	int i;
	(void)state;

	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_non_null(fx_vcpu0(s)->affinity);
	assert_int_equal(2, fx_vcpu0(s)->affinity[0]); /* "1" */
	hv_snap_unref(s);

	/* Re-pinned to pCPU 0 and ran there, outside {1}: read at once. */
	f.va[0].cpus_allowed = "0";
	f.va[0].processor = 0;
	assert_int_equal(0, kf_write_proc(f.h->proc, &f.a));
	s = fx_sample(&f);
	assert_int_equal(0, fx_vcpu0(s)->pcpu);
	assert_non_null(fx_vcpu0(s)->affinity);
	assert_int_equal(1, fx_vcpu0(s)->affinity[0]);
	hv_snap_unref(s);

	/* Unpinned while it stays on pCPU 0 (inside both masks): nothing
	 * tells, so the change shows at its turn, within one period. */
	f.va[0].cpus_allowed = "0-1";
	assert_int_equal(0, kf_write_proc(f.h->proc, &f.a));
	i = samples_until(&f, 0, 1);
	assert_true(i > 0); /* not re-read every sample */
	assert_true(i < HV_KVM_AFF_PERIOD);

	/* Pinned again while on pCPU 1, inside the "any" mask it had: shows
	 * at its turn. */
	f.va[0].cpus_allowed = "1";
	f.va[0].processor = 1;
	assert_int_equal(0, kf_write_proc(f.h->proc, &f.a));
	i = samples_until(&f, 2, 0);
	assert_true(i < HV_KVM_AFF_PERIOD);

	/* Samples further apart than the age bound (here 0 ms): every
	 * sample reads it. */
	hv_kvm_set_aff_max_ms(f.priv, 0);
	f.va[0].cpus_allowed = "0-1";
	assert_int_equal(0, kf_write_proc(f.h->proc, &f.a));
	s = fx_sample(&f);
	assert_null(fx_vcpu0(s)->affinity);
	hv_snap_unref(s);
	fx_free(&f);
}

static void test_netdev(void **state)
{
	struct fx f;
	hv_snap *s;
	const hv_dom *a;
	const char *names[2] = {"eth0", "tap0"};
	uint64_t bases[2] = {10, 70000};
	(void)state;

	/* With PID/net/dev every tap comes from one read. */
	fx_build(&f);
	assert_int_equal(0, kf_write_netdev(f.h->proc, 4242, names, bases, 2));
	fx_open(&f, NULL);
	s = fx_sample(&f);
	a = hv_snap_find_id(s, 4242);
	assert_int_equal(1, a->nr_net);
	assert_int_equal(70005, a->net[0].rx_bytes.v);
	assert_int_equal(70006, a->net[0].rx_pkts.v);
	assert_int_equal(70007, a->net[0].rx_errs.v);
	assert_int_equal(70008, a->net[0].rx_drop.v);
	assert_int_equal(70001, a->net[0].tx_bytes.v);
	assert_int_equal(70004, a->net[0].tx_drop.v);
	hv_snap_unref(s);
	/* A tap missing from it falls back to sysfs. */
	names[1] = "tapX";
	assert_int_equal(0, kf_write_netdev(f.h->proc, 4242, names, bases, 2));
	s = fx_sample(&f);
	assert_int_equal(1005, hv_snap_find_id(s, 4242)->net[0].rx_bytes.v);
	hv_snap_unref(s);
	/* Garbage lines are skipped, not misread. */
	assert_int_equal(0, kf_putf(f.h->proc, "4242/net/dev",
	                            "x\n  tap0: 1 2 3\n tap0 5 6\n"));
	s = fx_sample(&f);
	assert_int_equal(1005, hv_snap_find_id(s, 4242)->net[0].rx_bytes.v);
	hv_snap_unref(s);
	fx_free(&f);
}

/* Taps in two network namespaces, both named tap0 with different
 * counters: each guest gets its own namespace's, never the collector's
 * sysfs; guests sharing a namespace share one net/dev read. */
static void test_two_netns(void **state)
{
	static const char *const tap0[] = {"tap0", NULL};
	static const char *const argv_c[] = {"qemu-system-x86_64", "-name",
	                                     "vm-c", NULL};
	const char *names[1] = {"tap0"};
	uint64_t base_a = 100, base_b = 900000, base_x = 5;
	const char *ns2 = "net:[4026532999]";
	kf_vcpu vc = {.tid = 5501, .utime = 1};
	kf_proc c = {.pid = 5500,
	             .comm = "qemu-system-x86",
	             .starttime = 300000,
	             .argv = argv_c,
	             .rss_pages = 10,
	             .nvcpu = 1,
	             .vcpu = &vc,
	             .taps = tap0,
	             .netns = ns2};
	struct fx f;
	hv_snap *s;
	const hv_dom *a, *b, *d;
	int fds0 = count_fds();
	(void)state;

	fx_build(&f);
	f.b.taps = tap0;
	f.b.netns = ns2;
	assert_int_equal(0, kf_write_proc(f.h->proc, &f.b));
	assert_int_equal(0, kf_write_proc(f.h->proc, &c));
	assert_int_equal(0,
	                 kf_write_netdev(f.h->proc, 4242, names, &base_a, 1));
	assert_int_equal(0,
	                 kf_write_netdev(f.h->proc, 5000, names, &base_b, 1));
	/* 5500 shares 5000's namespace: 5000's read (pid order) serves it,
	 * so its own (deliberately different) file is never read. */
	assert_int_equal(0,
	                 kf_write_netdev(f.h->proc, 5500, names, &base_x, 1));
	fx_open(&f, NULL);
	s = fx_sample(&f);
	a = hv_snap_find_id(s, 4242);
	b = hv_snap_find_id(s, 5000);
	d = hv_snap_find_id(s, 5500);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(d);
	assert_int_equal(1, a->nr_net);
	assert_int_equal(1, b->nr_net);
	assert_int_equal(1, d->nr_net);
	assert_string_equal("tap0", b->net[0].name);
	assert_int_equal(105, a->net[0].rx_bytes.v); /* host tx, swapped */
	assert_int_equal(101, a->net[0].tx_bytes.v);
	assert_int_equal(900005, b->net[0].rx_bytes.v);
	assert_int_equal(900001, b->net[0].tx_bytes.v);
	assert_int_equal(900008, b->net[0].rx_drop.v);
	assert_int_equal(900005, d->net[0].rx_bytes.v);
	hv_snap_unref(s);
	/* New counters through the cached descriptors. */
	base_b = 1900000;
	assert_int_equal(0,
	                 kf_write_netdev(f.h->proc, 5000, names, &base_b, 1));
	s = fx_sample(&f);
	assert_int_equal(1900005, hv_snap_find_id(s, 5000)->net[0].rx_bytes.v);
	assert_int_equal(1900005, hv_snap_find_id(s, 5500)->net[0].rx_bytes.v);
	assert_int_equal(105, hv_snap_find_id(s, 4242)->net[0].rx_bytes.v);
	hv_snap_unref(s);
	hv_kvm_ops.close(f.priv);

	/* Another namespace's net/dev unreadable: its taps are missing, not
	 * read from the collector's sysfs (which has a tap0 of its own). */
	{
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/5000/net/dev", f.h->proc);
		assert_int_equal(0, unlink(path));
		snprintf(path, sizeof(path), "%s/5500/net/dev", f.h->proc);
		assert_int_equal(0, unlink(path));
		snprintf(path, sizeof(path), "%s/4242/net/dev", f.h->proc);
		assert_int_equal(0, unlink(path));
	}
	fx_open(&f, NULL);
	s = fx_sample(&f);
	b = hv_snap_find_id(s, 5000);
	assert_int_equal(1, b->nr_net);
	assert_false(hv_ok(b->net[0].rx_bytes));
	assert_int_equal(HV_NA_UNAVAILABLE, b->net[0].rx_bytes.why);
	/* The collector's own namespace falls back to sysfs. */
	assert_int_equal(1005, hv_snap_find_id(s, 4242)->net[0].rx_bytes.v);
	hv_snap_unref(s);
	fx_free(&f);
	assert_int_equal(fds0, count_fds());
}

/* A procfs with no process at all: nothing to sort, no domain. */
static void test_empty_proc(void **state)
{
	struct fx f;
	hv_snap *s;
	char empty[] = "/tmp/hvkit-kvm-empty.XXXXXX";
	(void)state;

	fx_build(&f);
	assert_non_null(mkdtemp(empty));
	snprintf(f.env.proc, sizeof(f.env.proc), "%s", empty);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_int_equal(0, hv_snap_ndom(s));
	hv_snap_unref(s);
	fx_free(&f);
	assert_int_equal(0, rmdir(empty));
}

static void test_fd_budget(void **state)
{
	struct fx f;
	struct rlimit rl, low;
	hv_snap *s;
	const hv_dom *a;
	(void)state;

	/* With a tiny fd limit most files are opened per read: same values.
	 * The budget is fixed at open; the limit is restored right after. */
	fx_build(&f);
	assert_int_equal(0, getrlimit(RLIMIT_NOFILE, &rl));
	low = rl;
	low.rlim_cur = (rlim_t)count_fds() + 16;
	assert_int_equal(0, setrlimit(RLIMIT_NOFILE, &low));
	fx_open(&f, NULL);
	assert_int_equal(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (int i = 0; i < 2; i++) {
		s = fx_sample(&f);
		a = hv_snap_find_id(s, 4242);
		assert_int_equal(350 * TICK, a->vcpu[0].time_ns.v);
		assert_int_equal(8888, a->vcpu[1].wait_ns.v);
		assert_int_equal(1005, a->net[0].rx_bytes.v);
		assert_int_equal(600 * TICK, a->cpu_ns.v);
		assert_int_equal(42 * TICK,
		                 hv_snap_find_id(s, 5000)->vcpu[0].time_ns.v);
		hv_snap_unref(s);
	}
	assert_true(hv_kvm_cached_fds(f.priv) <= low.rlim_cur / 2);
	fx_free(&f);
}

static void test_exec_into_qemu(void **state)
{
	struct fx f;
	hv_snap *s;
	static const char *const av[] = {"qemu-system-x86_64", "-name", "late",
	                                 NULL};
	kf_proc p = {
	    .pid = 300, .comm = "qemu-system-x86", .starttime = 10, .argv = av};
	int n = 0;
	(void)state;

	/* pid 300 is bash (young); it execs QEMU: same pid and start time. */
	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_int_equal(2, hv_snap_ndom(s));
	hv_snap_unref(s);
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	s = fx_sample(&f);
	assert_int_equal(3, hv_snap_ndom(s));
	assert_string_equal("late", hv_snap_find_id(s, 300)->name);
	hv_snap_unref(s);

	/* An old process that execs is found within 16 samples. */
	fx_free(&f);
	fx_build(&f);
	fx_open(&f, NULL);
	for (int i = 0; i < 8; i++)
		hv_snap_unref(fx_sample(&f));
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	for (n = 1; n <= 16; n++) {
		s = fx_sample(&f);
		size_t nd = hv_snap_ndom(s);
		hv_snap_unref(s);
		if (nd == 3)
			break;
	}
	assert_true(n <= 16);
	fx_free(&f);
}

static void test_host_and_knobs(void **state)
{
	struct fx f;
	hv_snap *s;
	hv_err err = {0};
	char v[64];
	(void)state;

	/* The host part and the knobs are the platform layer's. */
	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_string_equal("kvm", hv_snap_host(s)->backend);
	assert_string_equal("fixture-host", hv_snap_host(s)->hostname);
	assert_int_equal(2, hv_snap_host(s)->nr_pcpu);
	hv_snap_unref(s);
	assert_int_equal(0, hv_kvm_ops.knob_get(f.priv, "cpu/1/governor", v,
	                                        sizeof(v), &err));
	assert_string_equal("powersave", v);
	assert_int_equal(0, hv_kvm_ops.knob_set(f.priv, "cpu/1/governor",
	                                        "performance", &err));
	assert_int_equal(0, hv_kvm_ops.knob_get(f.priv, "cpu/1/governor", v,
	                                        sizeof(v), &err));
	assert_string_equal("performance", v);
	assert_true(hv_kvm_ops.knob_set(f.priv, "no/such/knob", "1", &err) < 0);
	fx_free(&f);
}

static void test_pid_reuse(void **state)
{
	struct fx f;
	hv_snap *s;
	uint64_t k1, k2;
	(void)state;

	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	k1 = hv_snap_find_id(s, 4242)->key;
	hv_snap_unref(s);
	/* Same pid, another process (restarted guest). */
	f.a.starttime = 999999;
	assert_int_equal(0, kf_update_proc(f.h->proc, &f.a));
	s = fx_sample(&f);
	assert_int_equal(2, hv_snap_ndom(s));
	k2 = hv_snap_find_id(s, 4242)->key;
	assert_int_not_equal(k1, k2);
	assert_int_equal(hv_kvm_key(4242, 999999), k2);
	assert_null(hv_snap_find_key(s, k1));
	assert_int_equal(999999 * TICK, hv_snap_find_id(s, 4242)->start_ns);
	hv_snap_unref(s);
	fx_free(&f);
}

static void vanish_hook(void *arg, int phase)
{
	struct fx *f = arg;

	if (phase == 1) /* B exits after the listing */
		hvt_rm(f->h->proc, "5000");
	if (phase == 2) /* A's vCPU 1 thread exits after the thread scan */
		hvt_rm(f->h->proc, "4242/task/4251");
}

static void test_vanish(void **state)
{
	struct fx f;
	hv_snap *s;
	int fds0 = count_fds();
	(void)state;

	fx_build(&f);
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_int_equal(2, hv_snap_ndom(s));
	hv_snap_unref(s);
	/* Gone between samples. */
	hvt_rm(f.h->proc, "5000");
	s = fx_sample(&f);
	assert_int_equal(1, hv_snap_ndom(s));
	assert_null(hv_snap_find_id(s, 5000));
	hv_snap_unref(s);
	fx_free(&f);
	assert_int_equal(fds0, count_fds());

	/* Gone between the listing and the reads, on a first sample. */
	fx_build(&f);
	fx_open(&f, NULL);
	hv_kvm_set_hook(f.priv, vanish_hook, &f);
	{
		hv_err err = {0};
		s = hv_snap_new();
		assert_int_equal(0, hv_kvm_ops.sample(f.priv, s, &err));
		assert_int_equal(0, hv_snap_seal(s, &err));
	}
	/* A was classified before the hook; its vCPU 1 thread vanished. */
	{
		const hv_dom *a = hv_snap_find_id(s, 4242);
		assert_non_null(a);
		assert_null(hv_snap_find_id(s, 5000)); /* skipped, not half */
		assert_int_equal(1, hv_snap_ndom(s));
		assert_int_equal(2, a->nr_vcpu);
		assert_true(hv_ok(a->vcpu[0].time_ns));
		assert_false(hv_ok(a->vcpu[1].time_ns));
	}
	hv_snap_unref(s);
	hv_kvm_set_hook(f.priv, NULL, NULL);
	s = fx_sample(&f);
	assert_null(hv_snap_find_id(s, 5000));
	/* The thread rescan forgot the dead vCPU. */
	assert_int_equal(1, hv_snap_find_id(s, 4242)->nr_vcpu);
	hv_snap_unref(s);
	fx_free(&f);
	assert_int_equal(fds0, count_fds());
}

static void test_malformed(void **state)
{
	struct fx f;
	hv_snap *s;
	const hv_dom *a;
	(void)state;

	fx_build(&f);
	/* A new QEMU with a garbage stat is not a domain (yet). */
	{
		static const char *const av[] = {"qemu-kvm", NULL};
		kf_proc p = {.pid = 7000,
		             .comm = "qemu-kvm",
		             .starttime = 5,
		             .argv = av};
		assert_int_equal(0, kf_write_proc(f.h->proc, &p));
		assert_int_equal(0, kf_putf(f.h->proc, "7000/stat",
		                            "7000 (qemu-kvm S 1 2\n"));
	}
	assert_int_equal(0,
	                 kf_putf(f.h->proc, "4242/task/4250/stat", "gar bage"));
	assert_int_equal(
	    0, kf_putf(f.h->proc, "4242/task/4251/schedstat", "x y z"));
	/* rss (field 24) unparsable in an otherwise good stat */
	{
		char line[512];
		assert_int_equal(0, kf_stat_line(line, sizeof(line), 4242,
		                                 "qemu-system-x86", 'S', 0, 500,
		                                 100, 123456, 4, 0, 0, 1));
		char *p = line;
		for (int sp = 0; sp < 23; p++) /* to field 24 */
			if (*p == ' ')
				sp++;
		memmove(p + 1, p, strlen(p) + 1);
		*p = '-'; /* "-1" as a negative rss: not a page count */
		assert_int_equal(0,
		                 kf_putf(f.h->proc, "4242/stat", "%s", line));
	}
	assert_int_equal(0, kf_putf(f.h->proc, "4242/io", "rchar: 5\n"));
	assert_int_equal(
	    0, kf_putf(f.h->sys, "class/net/tap0/statistics/rx_bytes", "-1\n"));
	assert_int_equal(
	    0, kf_putf(f.h->proc, "4242/task/4251/status", "Name:\tx\n"));
	fx_open(&f, NULL);
	s = fx_sample(&f);
	assert_int_equal(2, hv_snap_ndom(s));
	assert_null(hv_snap_find_id(s, 7000));
	a = hv_snap_find_id(s, 4242);
	assert_int_equal(HV_NA_ERROR, a->rss_kib.why);
	assert_int_equal(0, a->nr_blk);
	assert_int_equal(HV_NA_ERROR, a->io_rd_bytes.why); /* io unparsable */
	assert_int_equal(2, a->nr_vcpu);
	assert_int_equal(HV_NA_ERROR, a->vcpu[0].time_ns.why);
	assert_true(hv_ok(a->vcpu[1].time_ns));
	assert_int_equal(HV_NA_ERROR, a->vcpu[1].wait_ns.why);
	assert_null(a->vcpu[1].affinity); /* no Cpus_allowed_list: any */
	assert_int_equal(HV_NA_UNAVAILABLE, a->net[0].tx_bytes.why);
	assert_int_equal(1005, a->net[0].rx_bytes.v);
	hv_snap_unref(s);
	fx_free(&f);
}

/* ---- QMP ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_qmp_guest(struct fx *f, int pid, const char *name,
                          const char *sock, kf_vcpu *v)
{
	char *argv[12];
	char qarg[512], narg[128];
	kf_proc p;

	snprintf(narg, sizeof(narg), "guest=%s,debug-threads=on", name);
	snprintf(qarg, sizeof(qarg), "unix:%s,server=on,wait=off", sock);
	argv[0] = "qemu-system-x86_64";
	argv[1] = "-name";
	argv[2] = narg;
	argv[3] = "-qmp";
	argv[4] = qarg;
	argv[5] = "-m";
	argv[6] = "1G";
	argv[7] = NULL;
	*v = (kf_vcpu){.tid = pid + 1, .utime = 10, .stime = 1, .wait_ns = 3};
	p = (kf_proc){.pid = pid,
	              .comm = "qemu-system-x86",
	              .starttime = (uint64_t)pid * 10,
	              .utime = 20,
	              .stime = 2,
	              .argv = (const char *const *)argv,
	              .rss_pages = 10,
	              .nvcpu = 1,
	              .vcpu = v};
	assert_int_equal(0, kf_write_proc(f->h->proc, &p));
}

/* test_qmp: the good monitor's figures, as fq serves them. */
static void qmp_check_good(hv_snap *s)
{
	const hv_dom *d = hv_snap_find_id(s, 8000);

	assert_string_equal("good", d->name);
	assert_int_equal(0, d->stale);
	assert_true(d->sources & HV_SRC_QMP);
	assert_true(d->state == HV_DS_RUNNING || d->state == HV_DS_BLOCKED);
	assert_int_equal(524288, d->target_kib.v);
	/* the balloon's current size, not -m */
	assert_int_equal(524288, d->mem_kib.v);
	assert_int_equal(1048576, d->maxmem_kib.v);
	assert_int_equal(2, d->nr_blk);
	assert_string_equal("virtio-disk0", d->blk[0].name);
	assert_int_equal(HV_BLK_QMP, d->blk[0].src);
	assert_int_equal(1000, d->blk[0].rd_bytes.v);
	assert_int_equal(2000, d->blk[0].wr_bytes.v);
	assert_int_equal(10, d->blk[0].rd_reqs.v);
	assert_int_equal(20, d->blk[0].wr_reqs.v);
	assert_int_equal(3, d->blk[0].fl_reqs.v);
	assert_int_equal(4, d->blk[0].ds_reqs.v);
	assert_int_equal(5000, d->blk[0].rd_ns.v);
	assert_int_equal(6000, d->blk[0].wr_ns.v);
	assert_int_equal(700, d->blk[0].fl_ns.v);
	assert_string_equal("ide0-cd0", d->blk[1].name);
	assert_int_equal(HV_NA_UNSUPPORTED, d->blk[1].ds_reqs.why);
}

/* test_qmp: hung, garbage and closing monitors are stale with a note
 * saying which; the rest of each domain is intact. */
static void qmp_check_bad(hv_snap *s)
{
	for (int i = 1; i <= 3; i++) {
		const hv_dom *d = hv_snap_find_id(s, 8000 + (uint32_t)i * 10);
		assert_non_null(d);
		assert_true(d->stale & HV_SRC_QMP);
		assert_int_equal(HV_NA_STALE, d->target_kib.why);
		assert_non_null(strstr(d->note, "QMP"));
		/* The rest of the domain is intact. */
		assert_int_equal(22 * TICK, d->cpu_ns.v);
		assert_int_equal(11 * TICK, d->vcpu[0].time_ns.v);
	}
	assert_non_null(strstr(hv_snap_find_id(s, 8010)->note, "deadline"));
	assert_non_null(strstr(hv_snap_find_id(s, 8020)->note, "garbage"));
	assert_non_null(strstr(hv_snap_find_id(s, 8030)->note, "mid-reply"));
}

/* test_qmp: one sample with all five monitors, within one deadline. */
static void qmp_round(struct fx *f)
{
	double t0 = now_s();
	hv_snap *s = fx_sample(f);
	double dt = now_s() - t0;
	const hv_dom *d;

	/* Three bad monitors together cost one deadline, not three
	 * (3 x 500 ms = 1.5 s); slack for a loaded machine. */
	assert_true(dt < 0.5 + 0.6);
	assert_true(dt >= 0.45); /* the hung one was waited for */
	assert_int_equal(7, hv_snap_ndom(s));
	qmp_check_good(s);
	qmp_check_bad(s);
	d = hv_snap_find_id(s, 8040); /* pretty, paused, events */
	assert_int_equal(0, d->stale);
	assert_int_equal(HV_DS_PAUSED, d->state);
	assert_int_equal(1000, d->blk[0].rd_bytes.v);
	/* The fixture's other guests are untouched. */
	assert_int_equal(600 * TICK, hv_snap_find_id(s, 4242)->cpu_ns.v);
	hv_snap_unref(s);
}

/* test_qmp: the good monitor's status becomes the domain's state, then
 * the monitor goes away. */
static void qmp_state_and_gone(struct fx *f, fq **srv)
{
	hv_snap *s;
	const hv_dom *d;

	/* State follows QMP. */
	fq_set_status(*srv, "shutdown");
	s = fx_sample(f);
	assert_int_equal(HV_DS_SHUTOFF, hv_snap_find_id(s, 8000)->state);
	hv_snap_unref(s);
	fq_set_status(*srv, "guest-panicked");
	s = fx_sample(f);
	assert_int_equal(HV_DS_SHUTOFF | HV_DS_CRASHED,
	                 hv_snap_find_id(s, 8000)->state);
	hv_snap_unref(s);
	/* A monitor that goes away: unavailable, not a crash. */
	fq_stop(*srv);
	*srv = NULL;
	s = fx_sample(f);
	d = hv_snap_find_id(s, 8000);
	assert_non_null(d);
	/* Refused: unavailable (not stale), nothing else lost. */
	assert_false(d->stale & HV_SRC_QMP);
	assert_false(d->sources & HV_SRC_QMP);
	assert_non_null(strstr(d->note, "connect"));
	assert_int_equal(22 * TICK, d->cpu_ns.v);
	hv_snap_unref(s);
	s = fx_sample(f);
	d = hv_snap_find_id(s, 8000);
	assert_int_equal(0, d->nr_blk); /* back on /proc/PID/io: bytes */
	assert_true(hv_ok(d->io_rd_bytes));
	hv_snap_unref(s);
}

static void test_qmp(void **state)
{
	struct fx f;
	char sock[5][512];
	const char *names[5] = {"good", "hang", "garbage", "close", "pretty"};
	enum fq_mode modes[5] = {FQ_OK, FQ_HANG, FQ_GARBAGE, FQ_CLOSE,
	                         FQ_PRETTY};
	fq *srv[5];
	kf_vcpu v[5];
	hv_backend_opts o = {.qmp_dirs = "/nonexistent", .qmp_timeout_ms = 500};
	int fds0 = count_fds();
	(void)state;

	fx_build(&f);
	for (int i = 0; i < 5; i++) {
		fq_opts fo = {.mode = modes[i],
		              .status = i == 4 ? "paused" : "running"};
		snprintf(sock[i], sizeof(sock[i]), "%s/%s.qmp", f.h->run,
		         names[i]);
		srv[i] = fq_start(sock[i], &fo);
		assert_non_null(srv[i]);
		add_qmp_guest(&f, 8000 + i * 10, names[i], sock[i], &v[i]);
	}
	fx_open(&f, &o);
	for (int round = 0; round < 2; round++)
		qmp_round(&f);
	/* The monitor is released after each answered round (QEMU has one
	 * client at a time), one connection per sample. */
	assert_int_equal(2, fq_connections(srv[0]));
	assert_int_equal(2, fq_connections(srv[4]));
	qmp_state_and_gone(&f, &srv[0]);
	fx_free(&f);
	for (int i = 0; i < 5; i++)
		fq_stop(srv[i]);
	assert_int_equal(fds0, count_fds());
}

static void test_qmp_cpus_and_dirs(void **state)
{
	struct fx f;
	hv_snap *s;
	const hv_dom *d;
	char sock[512], dirs[1024];
	fq *srv;
	fq_opts fo = {.mode = FQ_OK, .no_balloon = 1, .tids = {9101, 9102}};
	kf_vcpu v[2] = {
	    {.tid = 9101, .comm = "qemu-system-x86", .utime = 7, .stime = 1},
	    {.tid = 9102, .comm = "qemu-system-x86", .utime = 9, .stime = 1},
	};
	static const char *const av[] = {"qemu-system-x86_64",
	                                 "-name",
	                                 "unnamed-threads",
	                                 "-smp",
	                                 "2",
	                                 NULL};
	kf_proc p = {.pid = 9100,
	             .comm = "qemu-system-x86",
	             .starttime = 77,
	             .argv = av,
	             .nvcpu = 2,
	             .vcpu = v};
	hv_backend_opts o = {.qmp_timeout_ms = 300};
	(void)state;

	fx_build(&f);
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	/* Socket found in a configured directory, by guest name. */
	assert_int_equal(0, hvt_mkdir(f.h->run, "qmp"));
	snprintf(sock, sizeof(sock), "%s/qmp/unnamed-threads.qmp", f.h->run);
	snprintf(dirs, sizeof(dirs), "/nonexistent:%s/qmp", f.h->run);
	o.qmp_dirs = dirs;
	srv = fq_start(sock, &fo);
	assert_non_null(srv);
	fx_open(&f, &o);
	s = fx_sample(&f);
	d = hv_snap_find_id(s, 9100);
	assert_true(d->sources & HV_SRC_QMP);
	assert_int_equal(HV_NA_UNSUPPORTED, d->target_kib.why); /* no balloon */
	/* Thread ids from query-cpus-fast, read in the same sample. */
	for (int round = 0; round < 2; round++) {
		if (round) {
			hv_snap_unref(s);
			s = fx_sample(&f);
			d = hv_snap_find_id(s, 9100);
		}
		assert_int_equal(2, d->nr_vcpu);
		assert_int_equal(9101, d->vcpu[0].tid);
		assert_int_equal(8 * TICK, d->vcpu[0].time_ns.v);
		assert_int_equal(9102, d->vcpu[1].tid);
		assert_int_equal(10 * TICK, d->vcpu[1].time_ns.v);
	}
	hv_snap_unref(s);
	fx_free(&f);
	fq_stop(srv);
}

/* Proxmox VE: -id VMID, the monitor at qemu-server/VMID.qmp (by VMID:
 * the guest's name differs), VMID shown; with a balloon, QMP's actual size
 * is the current memory. */
static void test_proxmox(void **state)
{
	struct fx f;
	hv_snap *s;
	const hv_dom *d;
	char sock[512], dirs[1024];
	fq *srv;
	fq_opts fo = {.mode = FQ_OK};
	kf_vcpu v[1] = {{.tid = 9301, .comm = "CPU 0/KVM", .utime = 5}};
	static const char *const av[] = {"/usr/bin/kvm",
	                                 "-id",
	                                 "101",
	                                 "-name",
	                                 "pve-web,debug-threads=on",
	                                 "-m",
	                                 "1024",
	                                 "-device",
	                                 "virtio-balloon-pci,id=balloon0",
	                                 NULL};
	kf_proc p = {.pid = 9300,
	             .comm = "kvm",
	             .starttime = 88,
	             .argv = av,
	             .nvcpu = 1,
	             .vcpu = v};
	hv_backend_opts o = {.qmp_timeout_ms = 300};
	(void)state;

	fx_build(&f);
	assert_int_equal(0, kf_write_proc(f.h->proc, &p));
	assert_int_equal(0, hvt_mkdir(f.h->run, "qemu-server"));
	snprintf(sock, sizeof(sock), "%s/qemu-server/101.qmp", f.h->run);
	snprintf(dirs, sizeof(dirs), "/nonexistent:%s/qemu-server", f.h->run);
	o.qmp_dirs = dirs;
	srv = fq_start(sock, &fo);
	assert_non_null(srv);
	fx_open(&f, &o);
	s = fx_sample(&f);
	d = hv_snap_find_id(s, 9300);
	assert_non_null(d);
	assert_int_equal(101, d->vmid);
	assert_string_equal("pve-web", d->name);
	assert_true(d->sources & HV_SRC_QMP);
	assert_int_equal(524288, d->mem_kib.v); /* the balloon's actual */
	assert_int_equal(1048576, d->maxmem_kib.v);
	hv_snap_unref(s);
	fx_free(&f);
	fq_stop(srv);
}

static void test_qmp_keep(void **state)
{
	char dir[] = "/tmp/hvkit-kvmq-XXXXXX", sock[64];
	fq_opts fo = {.mode = FQ_OK};
	fq *srv;
	hv_kvm_qmp *q;
	const void *j;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/k.qmp", dir);
	srv = fq_start(sock, &fo);
	assert_non_null(srv);
	q = hv_kvm_qmp_new(sock);
	hv_kvm_qmp_keep(q, true);
	for (int i = 0; i < 3; i++) {
		hv_kvm_qmp_start(q, 1u << HV_QMP_STATUS);
		hv_kvm_qmp_finish(&q, 1, hv_kvm_now_ns() + 500000000ULL);
		assert_int_equal(HV_QMP_O_OK, hv_kvm_qmp_outcome(q, NULL));
		assert_int_equal(HV_QMP_R_OK,
		                 hv_kvm_qmp_result(q, HV_QMP_STATUS, &j));
	}
	assert_int_equal(1, hv_kvm_qmp_connects(q));
	assert_int_equal(1, fq_connections(srv));
	hv_kvm_qmp_free(q);
	fq_stop(srv);
	unlink(sock);
	rmdir(dir);
}

static void test_probe(void **state)
{
	hvt_host *h = hvt_host_new("kvmprobe");
	hv_env env;
	static const char *const av[] = {"qemu-kvm", NULL};
	kf_proc p = {.pid = 10, .comm = "qemu-kvm", .starttime = 1, .argv = av};
	(void)state;

	hvt_host_env(h, &env);
	assert_int_equal(0, hvt_mkdir(h->proc, "1"));
	assert_int_equal(0, hv_kvm_ops.probe(&env));
	assert_int_equal(0, kf_write_proc(h->proc, &p));
	assert_true(hv_kvm_ops.probe(&env) > 0);
	assert_int_equal(0, kf_putf(h->dev, "kvm", "%s", ""));
	assert_true(hv_kvm_ops.probe(&env) > 0);
	hvt_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_stat),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_cmdline),
	    cmocka_unit_test(test_small_parsers),
	    cmocka_unit_test(test_sample_exact),
	    cmocka_unit_test(test_affinity_refresh),
	    cmocka_unit_test(test_netdev),
	    cmocka_unit_test(test_two_netns),
	    cmocka_unit_test(test_empty_proc),
	    cmocka_unit_test(test_fd_budget),
	    cmocka_unit_test(test_exec_into_qemu),
	    cmocka_unit_test(test_host_and_knobs),
	    cmocka_unit_test(test_pid_reuse),
	    cmocka_unit_test(test_vanish),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_qmp),
	    cmocka_unit_test(test_qmp_cpus_and_dirs),
	    cmocka_unit_test(test_qmp_keep),
	    cmocka_unit_test(test_proxmox),
	    cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
