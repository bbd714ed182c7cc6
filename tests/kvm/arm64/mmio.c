/* A known MMIO workload for the KVM/arm64 e2e test (tests/kvm/arm64), run
 * inside the nested guest: maps one page of the virt board's MMIO space
 * through /dev/mem and reads a 32-bit register RATE times a second, in 100
 * paced bursts a second, for SECONDS seconds (0: forever). Each read is one
 * KVM exit to QEMU in user space (mmio_exit_user) when the register is
 * emulated there. After each second it prints "mmio N T MS" (reads in that
 * second, reads so far, the second's real length in ms), a short line so that the console's own MMIO stays
 * small next to the workload's.
 *
 * Default: fw_cfg's data register at 0x09020000 (QEMU's fw_cfg, emulated in
 * user space; its driver is a module the guest never loads, so the region
 * is not claimed and CONFIG_IO_STRICT_DEVMEM lets /dev/mem map it).
 *
 * Usage: mmio [RATE [SECONDS [ADDR]]]. Built static for aarch64 by the
 * test; plain C, no libhv. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TICKS 100 /* bursts a second */

static void add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

int main(int argc, char **argv)
{
	long rate = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
	long secs = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
	unsigned long addr =
	    argc > 3 ? strtoul(argv[3], NULL, 0) : 0x09020000UL;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long base = addr & ~(unsigned long)(page - 1);
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		printf("mmio: /dev/mem: %s\n", strerror(errno));
		return 1;
	}
	void *map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
	                 fd, (off_t)base);
	if (map == MAP_FAILED) {
		printf("mmio: mmap 0x%lx: %s\n", base, strerror(errno));
		return 1;
	}
	volatile uint32_t *reg =
	    (volatile uint32_t *)((char *)map + (addr - base));
	uint32_t sink = 0;
	unsigned long long total = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	printf("mmio start rate=%ld addr=0x%lx\n", rate, addr);
	fflush(stdout);
	for (long s = 0; secs == 0 || s < secs; s++) {
		struct timespec t0, now;
		long done = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int t = 0; t < TICKS; t++) {
			/* Spread the remainder so that each second makes exactly RATE
			 * reads. */
			long want = rate * (t + 1) / TICKS - rate * t / TICKS;
			for (long i = 0; i < want; i++)
				sink += *reg;
			done += want;
			add_ns(&next, 1000000000L / TICKS);
			clock_gettime(CLOCK_MONOTONIC, &now);
			/* Behind by more than a burst: the reads cannot keep pace;
			 * carry on from now rather than bunch them up (the printed
			 * time says how long the second really took). */
			if ((now.tv_sec - next.tv_sec) * 1000000000L +
			        now.tv_nsec - next.tv_nsec >
			    1000000000L / TICKS)
				next = now;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
			                NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		total += (unsigned long long)done;
		printf("mmio %ld %llu %ld\n", done, total,
		       (long)((now.tv_sec - t0.tv_sec) * 1000 +
		              (now.tv_nsec - t0.tv_nsec) / 1000000));
		fflush(stdout);
	}
	return (int)(sink & 0); /* keep the reads */
}
