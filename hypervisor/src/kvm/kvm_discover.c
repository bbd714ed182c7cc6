/* SPDX-License-Identifier: MIT */
/* kvm backend discovery: which processes are QEMU guests. One getdents
 * pass over /proc per sample; a per-pid table carried over between samples
 * so that only new pids are classified and only new QEMUs have their
 * command line parsed; the QMP socket of each guest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm/kvm_be.h"

void hv_kvm_guest_free(struct kvm *k, struct kguest *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nvcpu; i++)
		hv_kvm_vcpu_close(k, &g->vcpu[i]);
	free(g->vcpu);
	for (uint32_t i = 0; i < g->nnet; i++)
		hv_kvm_net_close(k, &g->net[i]);
	free(g->net);
	hv_kvm_fd_close(k, &g->fd_stat);
	hv_kvm_fd_close(k, &g->fd_io);
	hv_kvm_fd_close(k, &g->fd_netdev);
	hv_kvm_stats_close(k, g);
	if (g->dfd >= 0) {
		close(g->dfd);
		k->nfds--;
	}
	hv_kvm_qmp_free(g->qmp);
	free(g->blk_name);
	free(g);
}

static bool exe_is_qemu(struct kvm *k, uint32_t pid)
{
	char rel[32], link[512];
	ssize_t n;
	const char *base;

	snprintf(rel, sizeof(rel), "%u/exe", pid);
	n = readlinkat(k->procfd, rel, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	/* An upgraded binary shows as "... (deleted)". */
	if (n > 10 && strcmp(link + n - 10, " (deleted)") == 0)
		link[n - 10] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	return hv_kvm_is_qemu_name(base);
}

/* Does pid hold a KVM VM (an fd on the "kvm-vm" anon inode)? Any VMM
 * does: kvmtool, crosvm, Firecracker, Cloud Hypervisor, a test's own. Its
 * vCPU fds ("kvm-vcpu:N") are counted into *nvcpu. Looked at once per new
 * process (and after an exec), the first 256 fds only. */
static bool holds_kvm_vm(struct kvm *k, uint32_t pid, uint32_t *nvcpu)
{
	char rel[32];
	int fd;
	DIR *d;
	struct dirent *de;
	bool vm = false;
	unsigned seen = 0;

	*nvcpu = 0;
	snprintf(rel, sizeof(rel), "%u/fd", pid);
	fd = openat(k->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d)) && seen++ < 256) {
		char link[64];
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm"))
			vm = true;
		else if (!strncmp(link, "anon_inode:kvm-vcpu:", 20))
			(*nvcpu)++;
	}
	closedir(d);
	return vm;
}

static struct kguest *guest_new(struct kvm *k, uint32_t pid,
                                const struct hv_kvm_stat *st, bool vmm,
                                uint32_t nvcpu)
{
	char rel[32];
	char *cmd = NULL;
	struct kguest *g = NULL;
	int dfd;
	ssize_t n;

	snprintf(rel, sizeof(rel), "%u", pid);
	dfd = openat(k->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return NULL;
	cmd = malloc(65536);
	g = calloc(1, sizeof(*g));
	if (!cmd || !g)
		goto fail;
	n = hv_kvm_read_once(dfd, "cmdline", cmd, 65536);
	/* A zombie or a process mid-exec has an empty command line. */
	if (n <= 0 || hv_kvm_parse_cmdline(cmd, (size_t)n, &g->cmd))
		goto fail;
	g->pid = pid;
	g->starttime = st->starttime;
	g->key = hv_kvm_key(pid, st->starttime);
	g->dfd = dfd;
	k->nfds++;
	g->fd_stat = g->fd_io = g->fd_netdev = -1;
	g->nsi = -1;
	g->st = *st;
	g->threads_at = k->seq; /* scan now */
	g->net_at = k->seq;
	g->qmp_find_at = k->seq;
	if (vmm) {
		/* QEMU's option parser read another VMM's command line: keep
		 * only what is not QEMU's defaults. */
		g->vmm = true;
		g->cmd.name[0] = g->cmd.uuid[0] = g->cmd.qmp_path[0] = '\0';
		g->cmd.mem_kib = g->cmd.maxmem_kib = 0;
		g->cmd.balloon = false;
		g->cmd.smp = nvcpu;
		hv_kvm_vmm_name(cmd, (size_t)n, pid, g->cmd.name,
		                sizeof(g->cmd.name));
	}
	free(cmd);
	if (!g->cmd.name[0])
		snprintf(g->cmd.name, sizeof(g->cmd.name), "qemu-%u", pid);
	hv_kvm_exits_find(k, g);
	return g;
fail:
	close(dfd);
	free(cmd);
	free(g);
	return NULL;
}

/* Read pid's stat without a cached fd and decide whether it is QEMU. */
static int classify(struct kvm *k, struct pent *e)
{
	char rel[32], buf[1024];
	struct hv_kvm_stat st;
	uint32_t h, nvcpu = 0;
	bool qemu, vmm = false;

	snprintf(rel, sizeof(rel), "%u/stat", e->pid);
	if (hv_kvm_read_once(k->procfd, rel, buf, sizeof(buf)) <= 0 ||
	    hv_kvm_parse_stat_to(buf, &st, 24))
		return -ENOENT;
	e->starttime = st.starttime;
	if (st.flags & PF_KTHREAD) {
		e->kthread = true;
		return 0;
	}
	h = hv_kvm_str_hash(st.comm);
	qemu = hv_kvm_is_qemu_name(st.comm);
	/* comm may be renamed (-name process=); the exe tells. Only look when
	 * comm changed since the last look (an exec changes it). Not QEMU:
	 * any process holding a KVM VM is a domain too. */
	if (!qemu && (h != e->comm_hash || e->first_seq == k->seq)) {
		qemu = exe_is_qemu(k, e->pid);
		vmm = !qemu && holds_kvm_vm(k, e->pid, &nvcpu);
	}
	e->comm_hash = h;
	if (qemu || vmm)
		e->g = guest_new(k, e->pid, &st, vmm, nvcpu);
	return 0;
}

/* ---- pid table ---- */

static struct pent *tab_find(struct ptab *t, uint32_t pid)
{
	if (!t->cap)
		return NULL;
	for (size_t i = (pid * 2654435761u) & (t->cap - 1);;
	     i = (i + 1) & (t->cap - 1)) {
		if (t->e[i].pid == pid)
			return &t->e[i];
		if (t->e[i].pid == 0)
			return NULL;
	}
}

static struct pent *tab_slot(struct ptab *t, uint32_t pid)
{
	for (size_t i = (pid * 2654435761u) & (t->cap - 1);;
	     i = (i + 1) & (t->cap - 1))
		if (t->e[i].pid == 0 || t->e[i].pid == pid)
			return &t->e[i];
}

static int list_pids(struct kvm *k)
{
	struct dirent *de;

	k->npids = 0;
	rewinddir(k->procdir);
	while ((de = readdir(k->procdir))) {
		const char *s = de->d_name;
		uint32_t pid = 0;
		if (*s < '1' || *s > '9')
			continue;
		for (; *s >= '0' && *s <= '9'; s++)
			pid = pid * 10 + (uint32_t)(*s - '0');
		if (*s || pid == 0)
			continue;
		if (k->npids == k->pids_cap) {
			size_t nc = k->pids_cap ? k->pids_cap * 2 : 1024;
			uint32_t *np = realloc(k->pids, nc * sizeof(*np));
			if (!np)
				return -ENOMEM;
			k->pids = np;
			k->pids_cap = nc;
		}
		k->pids[k->npids++] = pid;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int live_push(struct kvm *k, struct kguest *g)
{
	if (k->nlive == k->live_cap) {
		size_t nc = k->live_cap ? k->live_cap * 2 : 64;
		struct kguest **nl = realloc(k->live, nc * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		k->live = nl;
		k->live_cap = nc;
	}
	k->live[k->nlive++] = g;
	return 0;
}

bool hv_kvm_guest_stat(struct kvm *k, struct kguest *g)
{
	char buf[1024];
	ssize_t n =
	    hv_kvm_read(k, &g->fd_stat, g->dfd, "stat", buf, sizeof(buf));
	struct hv_kvm_stat st;

	if (n <= 0 || hv_kvm_parse_stat_to(buf, &st, 24))
		return false;
	if (st.starttime != g->starttime)
		return false;
	g->st = st;
	return true;
}

int hv_kvm_discover(struct kvm *k)
{
	struct ptab nt = {0};
	bool holes = false;
	int rc = list_pids(k);

	if (rc)
		return rc;
	if (k->npids > 1) /* k->pids is NULL until a pid was seen */
		qsort(k->pids, k->npids, sizeof(*k->pids), cmp_u32);
	nt.cap = 64;
	while (nt.cap < k->npids * 2)
		nt.cap *= 2;
	nt.e = calloc(nt.cap, sizeof(*nt.e));
	if (!nt.e)
		return -ENOMEM;
	k->nlive = 0;
	for (size_t i = 0; i < k->npids; i++) {
		uint32_t pid = k->pids[i];
		struct pent *o = tab_find(&k->tab, pid);
		struct pent *e = tab_slot(&nt, pid);
		bool check = false;

		if (o) {
			*e = *o;
			o->g = NULL; /* moved */
			if (e->g && !hv_kvm_guest_stat(k, e->g)) {
				/* Exited, or the pid was reused: a new
				 * process gets a new key. */
				hv_kvm_guest_free(k, e->g);
				e->g = NULL;
				e->first_seq = k->seq;
				e->comm_hash = 0;
				check = true;
			} else if (!e->g && !e->kthread) {
				/* exec can turn any process into QEMU: look
				 * again at young pids always, old ones in
				 * turn. */
				check = k->seq - e->first_seq < 5 ||
				        ((pid + k->seq) % 16) == 0;
			}
		} else {
			memset(e, 0, sizeof(*e));
			e->pid = pid;
			e->first_seq = k->seq;
			check = true;
		}
		if (check && classify(k, e) < 0) {
			/* Gone between listing and reading. */
			memset(e, 0, sizeof(*e));
			holes = true;
			continue;
		}
		if (e->g && live_push(k, e->g)) {
			rc = -ENOMEM;
			break;
		}
	}
	/* Guests not carried over have exited. */
	for (size_t i = 0; i < k->tab.cap; i++)
		if (k->tab.e[i].pid && k->tab.e[i].g)
			hv_kvm_guest_free(k, k->tab.e[i].g);
	free(k->tab.e);
	k->tab = nt;
	/* Empty slots left by vanished pids break probing chains: rebuild. */
	if (rc == 0 && holes) {
		struct ptab t2 = {.cap = nt.cap};
		t2.e = calloc(t2.cap, sizeof(*t2.e));
		if (!t2.e)
			return -ENOMEM;
		for (size_t i = 0; i < nt.cap; i++)
			if (nt.e[i].pid)
				*tab_slot(&t2, nt.e[i].pid) = nt.e[i];
		free(nt.e);
		k->tab = t2;
	}
	return rc;
}

void hv_kvm_tab_free(struct kvm *k)
{
	for (size_t i = 0; i < k->tab.cap; i++)
		if (k->tab.e[i].pid)
			hv_kvm_guest_free(k, k->tab.e[i].g);
	free(k->tab.e);
	k->tab.e = NULL;
	k->tab.cap = 0;
}

void hv_kvm_find_qmp(struct kvm *k, struct kguest *g)
{
	char path[HV_KVM_PATH_LEN + 64];
	const char *p = k->qmp_dirs;

	g->qmp_find_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	if (g->cmd.libvirt)
		return;
	if (g->cmd.qmp_path[0]) {
		if (g->cmd.qmp_path[0] == '/') {
			snprintf(path, sizeof(path), "%s", g->cmd.qmp_path);
		} else {
			/* Relative to QEMU's working directory. */
			char cwd[HV_KVM_PATH_LEN];
			ssize_t n =
			    readlinkat(g->dfd, "cwd", cwd, sizeof(cwd) - 1);
			if (n <= 0)
				return;
			cwd[n] = '\0';
			snprintf(path, sizeof(path), "%s/%s", cwd,
			         g->cmd.qmp_path);
		}
		g->qmp = hv_kvm_qmp_new(path);
		return;
	}
	/* Sockets named after the guest (name, pid, uuid or Proxmox VMID) in the
	 * configured directories. */
	while (*p) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		static const char *const fmt[] = {"%.*s/%s.qmp", "%.*s/%s.sock",
		                                  "%.*s/%s"};
		char id[16], vmid[16];
		const char *keys[4] = {g->cmd.name, id, g->cmd.uuid, vmid};

		snprintf(id, sizeof(id), "%u", g->pid);
		/* Proxmox VE: VMID.qmp */
		snprintf(vmid, sizeof(vmid), "%u", g->cmd.vmid);
		if (!g->cmd.vmid)
			vmid[0] = '\0';
		for (int w = 0; w < 4 && l; w++) {
			if (!keys[w][0] || strchr(keys[w], '/') ||
			    keys[w][0] == '.')
				continue;
			for (int f = 0; f < 3; f++) {
				struct stat sb;
				snprintf(path, sizeof(path), fmt[f], (int)l, p,
				         keys[w]);
				if (stat(path, &sb) == 0 &&
				    S_ISSOCK(sb.st_mode)) {
					g->qmp = hv_kvm_qmp_new(path);
					return;
				}
			}
		}
		p += l;
		if (*p == ':')
			p++;
	}
}
