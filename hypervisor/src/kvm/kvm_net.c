/* SPDX-License-Identifier: MIT */
/* kvm backend taps: found through the tun fds' fdinfo ("iff:"), counted
 * from one read of PID/net/dev per network namespace per sample (the
 * shared parser of linux/netdev.c), sysfs statistics files as the
 * fallback for the collector's own namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "kvm/kvm_be.h"

static const char *const net_stat_file[NET_NSTAT] = {
    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
    "tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
};

void hv_kvm_net_close(struct kvm *k, struct knet *n)
{
	for (int i = 0; i < NET_NSTAT; i++)
		hv_kvm_fd_close(k, &n->fd[i]);
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(((const struct knet *)a)->name,
	              ((const struct knet *)b)->name);
}

static bool safe_ifname(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s <= ' ')
			return false;
	return true;
}

void hv_kvm_scan_net(struct kvm *k, struct kguest *g)
{
	int dfd = openat(g->dfd, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	struct knet *nn = NULL;
	uint32_t n = 0, cap = 0;

	char ns[HV_NETNS_LEN];
	ssize_t nl = readlinkat(g->dfd, "ns/net", ns, sizeof(ns) - 1);

	g->net_scanned = true;
	g->net_at = k->seq + RESCAN_PERIOD + g->pid % RESCAN_PERIOD;
	ns[nl > 0 ? nl : 0] = '\0';
	if (strcmp(ns, g->netns) != 0) {
		/* Moved (setns): its net/dev view must be reopened. */
		hv_kvm_fd_close(k, &g->fd_netdev);
		snprintf(g->netns, sizeof(g->netns), "%s", ns);
	}
	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		char buf[2048], name[64];
		bool dup = false;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (hv_kvm_read_once(dfd, de->d_name, buf, sizeof(buf)) <= 0)
			continue;
		if (hv_kvm_status_field(buf, "iff", name, sizeof(name)) ||
		    strlen(name) >= HV_IFNAME_LEN || !safe_ifname(name))
			continue;
		for (uint32_t i = 0; i < n; i++)
			if (strcmp(nn[i].name, name) == 0)
				dup = true; /* multiqueue: one fd per queue */
		if (dup)
			continue;
		if (n == cap) {
			uint32_t nc = cap ? cap * 2 : 4;
			struct knet *t = realloc(nn, nc * sizeof(*t));
			if (!t)
				break;
			nn = t;
			cap = nc;
		}
		memset(&nn[n], 0, sizeof(nn[n]));
		snprintf(nn[n].name, sizeof(nn[n].name), "%s", name);
		for (int s = 0; s < NET_NSTAT; s++)
			nn[n].fd[s] = -1;
		n++;
	}
	closedir(d);
	/* Keep fds of taps we already had. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < g->nnet; j++)
			if (strcmp(nn[i].name, g->net[j].name) == 0) {
				memcpy(nn[i].fd, g->net[j].fd,
				       sizeof(nn[i].fd));
				for (int s = 0; s < NET_NSTAT; s++)
					g->net[j].fd[s] = -1;
			}
	for (uint32_t j = 0; j < g->nnet; j++)
		hv_kvm_net_close(k, &g->net[j]);
	free(g->net);
	if (n)
		qsort(nn, n, sizeof(*nn), cmp_net);
	g->net = nn;
	g->nnet = n;
}

static struct ndent *nd_slot(struct kns *e, const char *name)
{
	size_t m = e->ndslots - 1;

	for (size_t i = hv_kvm_str_hash(name) & m;; i = (i + 1) & m)
		if (!e->nd[i].name[0] || strcmp(e->nd[i].name, name) == 0)
			return &e->nd[i];
}

/* Read a net/dev through fd into e's name table. */
static void read_netdev(struct kvm *k, int fd, struct kns *e)
{
	ssize_t n;
	size_t lines = 0;
	const char *p;
	char name[HV_IFNAME_LEN];
	hv_netdev_row r;

	e->ok = false;
	for (;;) {
		if (!k->ndbuf || k->ndcap < 65536) {
			char *nb = realloc(k->ndbuf, 65536);
			if (!nb)
				return;
			k->ndbuf = nb;
			k->ndcap = 65536;
		}
		n = hv_pread_all(fd, k->ndbuf, k->ndcap, "net/dev", NULL);
		if (n < 0)
			return;
		if ((size_t)n < k->ndcap - 1)
			break;
		{
			char *nb;
			if (k->ndcap > (64u << 20)) /* not a net/dev */
				return;
			nb = realloc(k->ndbuf, k->ndcap * 2);
			if (!nb)
				return;
			k->ndbuf = nb;
			k->ndcap *= 2;
		}
	}
	for (p = k->ndbuf; *p; p++)
		lines += *p == '\n';
	if (e->ndslots < lines * 2 || e->ndslots > lines * 8 + 64) {
		size_t c = 64;
		while (c < lines * 2)
			c *= 2;
		free(e->nd);
		e->nd = calloc(c, sizeof(*e->nd));
		e->ndslots = e->nd ? c : 0;
		if (!e->nd)
			return;
	} else {
		memset(e->nd, 0, e->ndslots * sizeof(*e->nd));
	}
	for (p = k->ndbuf; hv_netdev_next(&p, &r);) {
		struct ndent *d;
		if (r.name_len >= HV_IFNAME_LEN)
			continue;
		memcpy(name, r.name, r.name_len);
		name[r.name_len] = '\0';
		d = nd_slot(e, name);
		memcpy(d->name, name, r.name_len + 1);
		memcpy(d->v, r.v, sizeof(d->v));
	}
	e->ok = true;
}

/* The first guest seen in a namespace reads its net/dev, the others share
 * it. Unknown namespaces ("?PID") are never shared. */
void hv_kvm_guest_ns(struct kvm *k, struct kguest *g)
{
	char id[HV_NETNS_LEN];
	struct kns *e;
	ssize_t n;
	int fd;

	g->nsi = -1;
	if (g->netns[0])
		hv_kvm_copy_str(id, sizeof(id), g->netns);
	else
		snprintf(id, sizeof(id), "?%u", g->pid);
	for (size_t i = 0; i < k->nns; i++)
		if (strcmp(k->ns[i].id, id) == 0) {
			g->nsi = (int)i;
			return;
		}
	if (k->nns == k->ns_cap) {
		size_t nc = k->ns_cap ? k->ns_cap * 2 : 4;
		struct kns *t = realloc(k->ns, nc * sizeof(*t));
		if (!t)
			return;
		memset(t + k->ns_cap, 0, (nc - k->ns_cap) * sizeof(*t));
		k->ns = t;
		k->ns_cap = nc;
	}
	e = &k->ns[k->nns];
	hv_kvm_copy_str(e->id, sizeof(e->id), id);
	e->ok = false;
	g->nsi = (int)k->nns++;
	fd = g->fd_netdev;
	if (fd < 0) {
		fd = openat(g->dfd, "net/dev", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	read_netdev(k, fd, e);
	n = e->ok ? 0 : -1;
	if (fd == g->fd_netdev)
		return;
	/* Keep it like hv_kvm_read does: within the budget, and only if good. */
	if (n == 0 && k->nfds + k->nqmp < k->fd_budget) {
		g->fd_netdev = fd;
		k->nfds++;
	} else {
		close(fd);
	}
}

void hv_kvm_read_net(struct kvm *k, struct kguest *g, struct knet *t)
{
	char rel[HV_IFNAME_LEN + 40], buf[64];

	struct kns *ns = g->nsi >= 0 ? &k->ns[g->nsi] : NULL;
	/* Sysfs shows the collector's namespace: another namespace may have
	 * a different device of the same name there. */
	bool own =
	    g->netns[0] && k->self_ns[0] && strcmp(g->netns, k->self_ns) == 0;

	t->gone = false;
	t->sysfs = false;
	if (ns && ns->ok) {
		struct ndent *e = nd_slot(ns, t->name);
		if (e->name[0]) {
			/* Found: no per-tap files (and no fds) needed. */
			for (int s = 0; s < NET_NSTAT; s++) {
				hv_kvm_fd_close(k, &t->fd[s]);
				t->v[s] = e->v[s];
				t->ok[s] = true;
			}
			return;
		}
	}
	if (!own) {
		for (int s = 0; s < NET_NSTAT; s++)
			t->ok[s] = false;
		if (ns && ns->ok) { /* not in its namespace: deleted */
			t->gone = true;
			g->net_at = k->seq + 1;
		}
		return;
	}
	t->sysfs = k->netdfd >= 0;
	for (int s = 0; s < NET_NSTAT; s++) {
		ssize_t n;
		t->ok[s] = false;
		if (k->netdfd < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/statistics/%s", t->name,
		         net_stat_file[s]);
		n = hv_kvm_read(k, &t->fd[s], k->netdfd, rel, buf, sizeof(buf));
		if (n <= 0) {
			/* Tap deleted (or recreated): rediscover. */
			hv_kvm_fd_close(k, &t->fd[s]);
			t->gone = true;
			g->net_at = k->seq + 1;
			continue;
		}
		t->ok[s] = hv_parse_u64(buf, &t->v[s]) == 0;
	}
}

void hv_kvm_net_free(struct kvm *k)
{
	free(k->ndbuf);
	k->ndbuf = NULL;
	for (size_t i = 0; i < k->ns_cap; i++)
		free(k->ns[i].nd);
	free(k->ns);
	k->ns = NULL;
	k->ns_cap = k->nns = 0;
}
