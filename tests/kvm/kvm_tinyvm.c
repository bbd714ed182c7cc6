/* SPDX-License-Identifier: MIT */
/* kvm_tinyvm: the smallest VMM that does known work, for the KVM stats
 * e2e test (x86 only). Usage: kvm_tinyvm NVCPU IO_PER_ROUND ROUNDS
 * Each vCPU (thread "kvm-vcpu-N", as kvmtool names them) runs 16-bit
 * real-mode code: IO_PER_ROUND+N `out 0x10` then one `hlt`, ROUNDS times;
 * with no in-kernel irqchip every port write and every hlt exits to this
 * process, which counts them. Then the vCPUs stop (the VM and its fds
 * stay) and one line is printed: "ready io0 hlt0 io1 hlt1 ...". Runs until
 * killed. Exit 77 when /dev/kvm is unusable.
 * With a 4th argument "stats" it holds KVM_GET_STATS_FD fds of the VM and
 * of each vCPU, as a VMM that reads its own statistics does (hvkit can
 * share those, never make them: KVM answers another process's ioctls on
 * the VM with EIO). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM (64u << 10)
#define CODE 0x1000u

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

struct vcpu {
	int kvm, vm, fd, id;
	unsigned per_round, rounds;
	unsigned long io, hlt;
	struct kvm_run *run;
	pthread_t t;
};

/* start: mov cx,bx; l: out 0x10,al; dec cx; jnz l; hlt; jmp start */
static const unsigned char code[] = {0x89, 0xd9, 0xe6, 0x10, 0x49,
                                     0x75, 0xfb, 0xf4, 0xeb, 0xf6};

static int setup(struct vcpu *v)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	long sz = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->fd = ioctl(v->vm, KVM_CREATE_VCPU, v->id);
	if (v->fd < 0 || sz <= 0)
		return -1;
	v->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED,
	              v->fd, 0);
	if (v->run == MAP_FAILED || ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		return -1;
	sr.cs.base = 0;
	sr.cs.selector = 0;
	memset(&r, 0, sizeof(r));
	r.rip = CODE;
	r.rbx = v->per_round + (unsigned)v->id;
	r.rflags = 2;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0 ||
	    ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -1;
	return 0;
}

static void *loop(void *arg)
{
	struct vcpu *v = arg;
	char name[16];

	snprintf(name, sizeof(name), "kvm-vcpu-%d", v->id);
	pthread_setname_np(pthread_self(), name);
	while (v->hlt < v->rounds) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("KVM_RUN");
			exit(1);
		}
		if (v->run->exit_reason == KVM_EXIT_IO)
			v->io++;
		else if (v->run->exit_reason == KVM_EXIT_HLT)
			v->hlt++;
		else {
			fprintf(stderr, "exit reason %u\n",
			        v->run->exit_reason);
			exit(1);
		}
	}
	/* The thread stays, asleep, as a stopped VMM's vCPU threads do. */
	pthread_mutex_lock(&mu);
	done++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2, kvm, vm;
	struct vcpu v[16];
	struct kvm_userspace_memory_region mr = {0};
	unsigned char *mem;
	int stats = argc > 4 && !strcmp(argv[4], "stats");

	if (n < 1 || n > 16 || argc < 4) {
		fprintf(stderr,
		        "usage: kvm_tinyvm NVCPU IO_PER_ROUND ROUNDS\n");
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	vm = kvm >= 0 ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
	if (vm < 0) {
		perror("kvm_tinyvm: /dev/kvm");
		return 77;
	}
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(mem + CODE, code, sizeof(code));
	mr.memory_size = MEM;
	mr.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return perror("memory region"), 1;
	if (stats && ioctl(vm, KVM_GET_STATS_FD, 0) < 0)
		return perror("VM stats fd (Linux < 5.14?)"), 77;
	for (int i = 0; i < n; i++) {
		v[i] = (struct vcpu){.kvm = kvm, .vm = vm, .id = i};
		v[i].per_round = (unsigned)atoi(argv[2]);
		v[i].rounds = (unsigned)atoi(argv[3]);
		if (setup(&v[i]))
			return perror("vcpu"), 1;
		if (stats && ioctl(v[i].fd, KVM_GET_STATS_FD, 0) < 0)
			return perror("vcpu stats fd"), 77;
		pthread_create(&v[i].t, NULL, loop, &v[i]);
	}
	pthread_mutex_lock(&mu);
	while (done < n)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("ready");
	for (int i = 0; i < n; i++)
		printf(" %lu %lu", v[i].io, v[i].hlt);
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}
