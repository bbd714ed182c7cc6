/* SPDX-License-Identifier: MIT */
/* Any KVM VMM is a domain: a process holding a "kvm-vm" anon inode in
 * /proc/PID/fd (kvmtool, Firecracker here) is found, named from its command
 * line, its vCPU threads found by their names; a process without one is
 * not. KVM's own exit counters from debugfs kvm/PID-FD/ with both
 * architectures' names (arm64: mmio_exit_user/kernel, wfi/wfe/hvc_exit_stat;
 * x86: mmio_exits, io_exits, halt_exits, irq_exits) become per-second
 * rates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/backend.h"
#include "hv/fields.h"
#include "hv/rates.h"
#include "hv/sample.h"
#include "hvtest.h"
#include "kvm/kvm_int.h"
#include "kvmfix.h"

static const char *const lkvm_argv[] = {
    "/usr/bin/lkvm", "run", "--name",      "web-1", "-c", "2", "-m",
    "256",           "-k",  "/boot/Image", NULL};
static const char *const fc_argv[] = {"/usr/local/bin/firecracker",
                                      "--id",
                                      "fc-7",
                                      "--api-sock",
                                      "/run/fc.sock",
                                      NULL};
static const char *const qemu_argv[] = {
    "qemu-system-x86_64", "-name", "x86vm", "-m", "512", "-smp", "1", NULL};
static const char *const ch_argv[] = {"/usr/bin/cloud-hypervisor", "--kernel",
                                      "vmlinux", NULL};
static const char *const sh_argv[] = {"/bin/bash", NULL};

typedef struct fx {
	hvt_host *h;
	hv_env env;
	void *priv;
} fx;

/* /proc/PID/fd: 0-2 stdio, 3 /dev/kvm, 4 the VM, then one fd per vCPU. */
static void fds(fx *f, int pid, int vm, int nvcpu)
{
	char rel[64], tgt[48];

	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%d", pid, i);
		assert_int_equal(0, hvt_symlink(f->h->proc, "/dev/null", rel));
	}
	snprintf(rel, sizeof(rel), "%d/fd/3", pid);
	assert_int_equal(0, hvt_symlink(f->h->proc, "/dev/kvm", rel));
	if (vm) {
		snprintf(rel, sizeof(rel), "%d/fd/4", pid);
		assert_int_equal(
		    0, hvt_symlink(f->h->proc, "anon_inode:kvm-vm", rel));
	}
	for (int i = 0; i < nvcpu; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%d", pid, 5 + i);
		snprintf(tgt, sizeof(tgt), "anon_inode:kvm-vcpu:%d", i);
		assert_int_equal(0, hvt_symlink(f->h->proc, tgt, rel));
	}
}

/* One debugfs counter file ("kernel/debug/kvm/PID-4/NAME"). */
static void dbg(fx *f, int pid, const char *name, uint64_t v)
{
	assert_int_equal(0, kf_debugfs(f->h->sys, pid, name, v));
}

/* arm64 names (kvmtool guest) and x86 names (QEMU guest), scaled by k. */
static void counters(fx *f, uint64_t k)
{
	dbg(f, 700, "exits", 1000 * k);
	dbg(f, 700, "mmio_exit_user", 200 * k);
	dbg(f, 700, "mmio_exit_kernel", 50 * k);
	dbg(f, 700, "wfi_exit_stat", 300 * k);
	dbg(f, 700, "wfe_exit_stat", 10 * k);
	dbg(f, 700, "hvc_exit_stat", 5 * k);
	dbg(f, 700, "signal_exits", 1 * k);
	dbg(f, 700, "halt_successful_poll", 77 * k);
	dbg(f, 900, "exits", 4000 * k);
	dbg(f, 900, "mmio_exits", 600 * k);
	dbg(f, 900, "io_exits", 900 * k);
	dbg(f, 900, "halt_exits", 400 * k);
	dbg(f, 900, "irq_exits", 120 * k);
	dbg(f, 900, "signal_exits", 2 * k);
}

static void build(fx *f)
{
	static const kf_vcpu lv[] = {{.tid = 701, .comm = "kvm-vcpu-0"},
	                             {.tid = 702, .comm = "kvm-vcpu-1"}};
	static const kf_vcpu fv[] = {{.tid = 801, .comm = "fc_vcpu 0"}};
	static const kf_vcpu qv[] = {{.tid = 901}};
	static const kf_vcpu cv[] = {{.tid = 1101, .comm = "vcpu0"}};
	kf_proc p[] = {
	    {.pid = 700,
	     .comm = "lkvm",
	     .exe = "/usr/bin/lkvm",
	     .starttime = 100,
	     .argv = lkvm_argv,
	     .nvcpu = 2,
	     .vcpu = lv,
	     .nextra = 1},
	    {.pid = 800,
	     .comm = "firecracker",
	     .exe = "/usr/local/bin/firecracker",
	     .starttime = 200,
	     .argv = fc_argv,
	     .nvcpu = 1,
	     .vcpu = fv},
	    {.pid = 900,
	     .comm = "qemu-system-x86",
	     .exe = "/usr/bin/qemu-system-x86_64",
	     .starttime = 300,
	     .argv = qemu_argv,
	     .nvcpu = 1,
	     .vcpu = qv},
	    {.pid = 1100,
	     .comm = "cloud-hyperviso",
	     .exe = "/usr/bin/cloud-hypervisor",
	     .starttime = 400,
	     .argv = ch_argv,
	     .nvcpu = 1,
	     .vcpu = cv},
	    /* Has /dev/kvm open but no VM: not a domain. */
	    {.pid = 1000,
	     .comm = "bash",
	     .exe = "/bin/bash",
	     .starttime = 50,
	     .argv = sh_argv},
	};

	memset(f, 0, sizeof(*f));
	f->h = hvt_host_new("vmm");
	assert_non_null(f->h);
	assert_int_equal(0, hvt_build_arm64_host(f->h, 2, HVT_ARM_VIRT));
	hvt_host_env(f->h, &f->env);
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		assert_int_equal(0, kf_write_proc(f->h->proc, &p[i]));
	fds(f, 700, 1, 2);
	fds(f, 800, 1, 1);
	fds(f, 900, 1, 1);
	fds(f, 1100, 1, 1);
	fds(f, 1000, 0, 0);
	counters(f, 1);
}

static hv_snap *sample(fx *f, uint64_t mono_ns)
{
	hv_snap *s = kf_sample_at(f->priv, mono_ns);

	assert_non_null(s);
	return s;
}

static const hv_dom *by_name(const hv_snap *s, const char *name)
{
	const hv_dom *d = kf_dom(s, name);

	if (!d)
		fail_msg("no domain %s", name);
	return d;
}

static void test_vmm_names(void **state)
{
	char b[64];
	static const char c1[] = "lkvm\0run\0--name=db\0";
	static const char c2[] = "/opt/crosvm\0run\0--cpus\0002\0";
	(void)state;

	assert_int_equal(3, hv_kvm_vcpu_index("kvm-vcpu-3"));
	assert_int_equal(12, hv_kvm_vcpu_index("crosvm_vcpu12"));
	assert_int_equal(0, hv_kvm_vcpu_index("fc_vcpu 0"));
	assert_int_equal(5, hv_kvm_vcpu_index("vcpu5"));
	assert_int_equal(2, hv_kvm_vcpu_index("CPU 2/KVM"));
	assert_int_equal(-1, hv_kvm_vcpu_index("vcpux"));
	assert_int_equal(-1, hv_kvm_vcpu_index("kvm-vcpu-1a"));
	assert_int_equal(-1, hv_kvm_vcpu_index("worker"));
	hv_kvm_vmm_name(c1, sizeof(c1) - 1, 5, b, sizeof(b));
	assert_string_equal(b, "db");
	hv_kvm_vmm_name(c2, sizeof(c2) - 1, 42, b, sizeof(b));
	assert_string_equal(b, "crosvm-42");
	hv_kvm_vmm_name("", 0, 7, b, sizeof(b));
	assert_string_equal(b, "vmm-7");
}

static void test_any_vmm(void **state)
{
	fx f;
	hv_err err = {0};
	hv_backend_opts o = {.qmp_dirs = "/nonexistent"};
	(void)state;

	build(&f);
	assert_int_equal(0, hv_kvm_ops.open(&f.env, &o, &f.priv, &err));
	hv_snap *a = sample(&f, 1000000000ull);
	assert_int_equal(4, hv_snap_ndom(a)); /* not bash */
	const hv_dom *l = by_name(a, "web-1");
	assert_int_equal(700, l->id);
	assert_int_equal(2, l->nr_vcpus);
	assert_int_equal(2, l->nr_vcpu);
	assert_int_equal(701, l->vcpu[0].tid);
	assert_int_equal(HV_NA_UNAVAILABLE, l->mem_kib.why);
	const hv_dom *fc = by_name(a, "fc-7");
	assert_int_equal(1, fc->nr_vcpu);
	assert_int_equal(801, fc->vcpu[0].tid);
	const hv_dom *ch = by_name(a, "cloud-hypervisor-1100");
	assert_int_equal(1, ch->nr_vcpu);
	const hv_dom *q = by_name(a, "x86vm");
	assert_int_equal(512 * 1024, q->mem_kib.v);
	/* arm64 names */
	assert_int_equal(1000, l->kvm_exits.v);
	assert_int_equal(250, l->kvm_mmio_exits.v);
	assert_int_equal(310, l->kvm_wait_exits.v);
	assert_int_equal(5, l->kvm_hvc_exits.v);
	assert_int_equal(HV_NA_UNSUPPORTED, l->kvm_io_exits.why);
	assert_int_equal(HV_NA_UNSUPPORTED, l->kvm_irq_exits.why);
	/* x86 names */
	assert_int_equal(600, q->kvm_mmio_exits.v);
	assert_int_equal(900, q->kvm_io_exits.v);
	assert_int_equal(400, q->kvm_wait_exits.v);
	assert_int_equal(120, q->kvm_irq_exits.v);
	assert_int_equal(HV_NA_UNSUPPORTED, q->kvm_hvc_exits.why);
	/* no debugfs directory for it */
	assert_int_equal(HV_NA_UNSUPPORTED, fc->kvm_exits.why);

	counters(&f, 3); /* two seconds later: twice each count again */
	hv_snap *b = sample(&f, 3000000000ull);
	hv_rates *r = hv_rates_compute(a, b, &err);
	assert_non_null(r);
	const hv_dom *l2 = by_name(b, "web-1"), *q2 = by_name(b, "x86vm");
	const hv_dom_rate *lr = hv_rates_dom(r, hv_snap_index(b, l2));
	const hv_dom_rate *qr = hv_rates_dom(r, hv_snap_index(b, q2));
	assert_true(fabs(lr->kvm_exits_ps - 1000.0) < 1e-6);
	assert_true(fabs(lr->kvm_mmio_ps - 250.0) < 1e-6);
	assert_true(fabs(lr->kvm_hvc_ps - 5.0) < 1e-6);
	assert_true(isnan(lr->kvm_io_ps));
	assert_true(fabs(qr->kvm_io_ps - 900.0) < 1e-6);
	assert_true(fabs(qr->kvm_irq_ps - 120.0) < 1e-6);
	/* The registry carries them to /api/v1 and /metrics. */
	const hv_field *fm = &hv_dom_fields[HV_D_KVM_MMIO_RATE];
	assert_true(fabs(hv_field_base(fm, l2, lr) - 250.0) < 1e-6);
	assert_string_equal(hv_dom_fields[HV_D_KVM_MMIO].prom,
	                    "hv_domain_kvm_exits");
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	hv_kvm_ops.close(f.priv);
	hvt_host_free(f.h);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_vmm_names),
	    cmocka_unit_test(test_any_vmm),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
