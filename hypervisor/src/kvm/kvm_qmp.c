/* SPDX-License-Identifier: MIT */
/* QMP client with deadlines. Connections are nonblocking and persistent
 * between samples; all domains' monitors are driven by one poll loop with
 * one absolute deadline, so N monitors cost at most one deadline, and a
 * monitor that hangs, babbles or hangs up only marks its own domain stale.
 *
 * Commands are pipelined: a fresh connection sends qmp_capabilities and the
 * queries in one write (QEMU handles a monitor's requests in order), so a
 * round is one round trip. Replies are matched by id; events are skipped.
 * After any failure the socket is closed (its stream may be out of step)
 * and the next round reconnects. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm_int.h"

#define QMP_RBUF_MAX (4u << 20) /* a reply larger than this is garbage */
#define P_GREET (1u << 30)
#define P_CAPS (1u << 29)

static const char *const cmd_name[HV_QMP_NCMD] = {
    [HV_QMP_STATUS] = "query-status",
    [HV_QMP_BLOCKSTATS] = "query-blockstats",
    [HV_QMP_BALLOON] = "query-balloon",
    [HV_QMP_CPUS] = "query-cpus-fast",
    [HV_QMP_NAME] = "query-name",
    [HV_QMP_STATS] = "query-stats",
};

/* Arguments of a command, "" for none. query-stats asks only the kinds'
 * counters (hv_kvm_xk_names) of every vCPU. */
static const char *const cmd_args[HV_QMP_NCMD] = {
    [HV_QMP_STATS] = ",\"arguments\":{\"target\":\"vcpu\",\"providers\":[{"
                     "\"provider\":\"kvm\",\"names\":[\"exits\",\"mmio_exits\","
                     "\"mmio_exit_user\",\"mmio_exit_kernel\",\"io_exits\","
                     "\"halt_exits\",\"wfi_exit_stat\",\"wfe_exit_stat\","
                     "\"hvc_exit_stat\",\"irq_exits\",\"signal_exits\"]}]}",
};

struct hv_kvm_qmp {
	char path[HV_KVM_PATH_LEN];
	int fd;
	unsigned connects;
	bool keep; /* stay connected between rounds */
	uint32_t round;
	bool active;      /* in a round */
	unsigned pending; /* command bits, P_GREET, P_CAPS still awaited */
	char wbuf[1024];
	size_t wlen, woff;
	char *rbuf;
	size_t rlen, rcap;
	cJSON *res[HV_QMP_NCMD];
	enum hv_kvm_qmp_res rk[HV_QMP_NCMD];
	enum hv_kvm_qmp_outcome out;
	char why[80];
};

uint64_t hv_kvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

hv_kvm_qmp *hv_kvm_qmp_new(const char *path)
{
	hv_kvm_qmp *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	snprintf(q->path, sizeof(q->path), "%s", path);
	q->fd = -1;
	return q;
}

static void clear_results(hv_kvm_qmp *q)
{
	for (int i = 0; i < HV_QMP_NCMD; i++) {
		cJSON_Delete(q->res[i]);
		q->res[i] = NULL;
		q->rk[i] = HV_QMP_R_NONE;
	}
}

static void qclose(hv_kvm_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->rlen = 0;
	q->wlen = q->woff = 0;
}

void hv_kvm_qmp_free(hv_kvm_qmp *q)
{
	if (!q)
		return;
	qclose(q);
	clear_results(q);
	free(q->rbuf);
	free(q);
}

unsigned hv_kvm_qmp_connects(const hv_kvm_qmp *q)
{
	return q->connects;
}

static void fail(hv_kvm_qmp *q, enum hv_kvm_qmp_outcome o, const char *why)
{
	q->out = o;
	snprintf(q->why, sizeof(q->why), "%s", why);
	q->pending = 0;
	q->active = false;
	qclose(q);
	/* Partial answers of a failed round are not used. */
	clear_results(q);
}

static void append(hv_kvm_qmp *q, const char *s)
{
	size_t l = strlen(s);

	if (q->wlen + l < sizeof(q->wbuf)) {
		memcpy(q->wbuf + q->wlen, s, l);
		q->wlen += l;
	}
}

static void flush_out(hv_kvm_qmp *q)
{
	while (q->woff < q->wlen) {
		ssize_t w = send(q->fd, q->wbuf + q->woff, q->wlen - q->woff,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			fail(q, HV_QMP_O_STALE, "QMP: connection closed");
			return;
		}
		q->woff += (size_t)w;
	}
}

void hv_kvm_qmp_start(hv_kvm_qmp *q, unsigned mask)
{
	char line[512];

	if (!q)
		return;
	clear_results(q);
	q->out = HV_QMP_O_OK;
	q->why[0] = '\0';
	q->round++;
	q->pending = 0;
	q->active = true;
	q->wlen = q->woff = 0;
	if (q->fd < 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd;

		if (strlen(q->path) >= sizeof(sa.sun_path)) {
			fail(q, HV_QMP_O_UNAVAILABLE,
			     "QMP: socket path too long");
			return;
		}
		memcpy(sa.sun_path, q->path, strlen(q->path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            0);
		if (fd < 0) {
			fail(q, HV_QMP_O_UNAVAILABLE, "QMP: no socket");
			return;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != EINPROGRESS) {
			int e = errno;
			close(fd);
			/* A full backlog means QEMU is not accepting: hung. */
			fail(q,
			     e == EAGAIN ? HV_QMP_O_STALE
			                 : HV_QMP_O_UNAVAILABLE,
			     e == EAGAIN ? "QMP: monitor not accepting"
			                 : "QMP: cannot connect");
			return;
		}
		q->fd = fd;
		q->connects++;
		q->rlen = 0;
		q->pending |= P_GREET | P_CAPS;
		snprintf(
		    line, sizeof(line),
		    "{\"execute\":\"qmp_capabilities\",\"id\":\"hv%u.c\"}\n",
		    q->round);
		append(q, line);
	}
	for (int i = 0; i < HV_QMP_NCMD; i++) {
		if (!(mask & (1u << i)))
			continue;
		snprintf(line, sizeof(line),
		         "{\"execute\":\"%s\"%s,\"id\":\"hv%u.%d\"}\n",
		         cmd_name[i], cmd_args[i] ? cmd_args[i] : "", q->round,
		         i);
		append(q, line);
		q->pending |= 1u << i;
	}
	if (!q->pending) {
		q->active = false;
		return;
	}
	flush_out(q);
}

/* Handle one complete JSON object from the monitor. Returns false after
 * failing the connection. */
static bool handle(hv_kvm_qmp *q, cJSON *o)
{
	cJSON *id, *ret, *errj;
	unsigned r;
	char c;
	int k;

	if (!cJSON_IsObject(o)) {
		fail(q, HV_QMP_O_STALE, "QMP: garbage reply");
		return false;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "QMP")) {
		q->pending &= ~P_GREET;
		return true;
	}
	if (q->pending & P_GREET) {
		fail(q, HV_QMP_O_STALE, "QMP: no greeting");
		return false;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "event"))
		return true;
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	ret = cJSON_GetObjectItemCaseSensitive(o, "return");
	errj = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (!cJSON_IsString(id) || (!ret && !errj)) {
		fail(q, HV_QMP_O_STALE, "QMP: unexpected reply");
		return false;
	}
	{
		const char *t = id->valuestring;
		char *end;
		unsigned long ul;
		if (strncmp(t, "hv", 2) != 0 || !isdigit((unsigned char)t[2]))
			return true; /* not ours */
		ul = strtoul(t + 2, &end, 10);
		if (end[0] != '.' || !end[1] || end[2])
			return true;
		r = (unsigned)ul;
		c = end[1];
	}
	if (r != q->round)
		return true; /* late answer of an earlier round */
	if (c == 'c') {
		if (!ret) {
			fail(q, HV_QMP_O_STALE, "QMP: capabilities refused");
			return false;
		}
		q->pending &= ~P_CAPS;
		return true;
	}
	k = c - '0';
	if (k < 0 || k >= HV_QMP_NCMD || !(q->pending & (1u << k)))
		return true;
	q->pending &= ~(1u << k);
	if (ret) {
		q->res[k] = cJSON_DetachItemViaPointer(o, ret);
		q->rk[k] = HV_QMP_R_OK;
	} else {
		q->rk[k] = HV_QMP_R_ERROR;
	}
	return true;
}

/* Split complete top-level JSON objects off the read buffer: depth counting
 * outside strings handles both one-line and -qmp-pretty output. */
static void parse_frames(hv_kvm_qmp *q)
{
	size_t i = 0;

	while (q->fd >= 0 && i < q->rlen) {
		size_t s, j;
		int depth = 0;
		bool str = false, esc = false, done = false;
		cJSON *o;

		while (i < q->rlen &&
		       (q->rbuf[i] == ' ' || q->rbuf[i] == '\n' ||
		        q->rbuf[i] == '\r' || q->rbuf[i] == '\t'))
			i++;
		if (i >= q->rlen)
			break;
		if (q->rbuf[i] != '{') {
			fail(q, HV_QMP_O_STALE, "QMP: garbage reply");
			return;
		}
		s = i;
		for (j = i; j < q->rlen; j++) {
			char ch = q->rbuf[j];
			if (str) {
				if (esc)
					esc = false;
				else if (ch == '\\')
					esc = true;
				else if (ch == '"')
					str = false;
				continue;
			}
			if (ch == '"')
				str = true;
			else if (ch == '{' || ch == '[')
				depth++;
			else if (ch == '}' || ch == ']') {
				if (--depth == 0) {
					done = true;
					break;
				}
			}
		}
		if (!done)
			break; /* incomplete: wait for more */
		o = cJSON_ParseWithLength(q->rbuf + s, j + 1 - s);
		if (!o) {
			fail(q, HV_QMP_O_STALE, "QMP: garbage reply");
			return;
		}
		if (!handle(q, o)) {
			cJSON_Delete(o);
			return;
		}
		cJSON_Delete(o);
		i = j + 1;
	}
	if (q->fd >= 0 && i > 0) {
		memmove(q->rbuf, q->rbuf + i, q->rlen - i);
		q->rlen -= i;
	}
}

/* Read what is there; false after failing the connection. */
static bool read_in(hv_kvm_qmp *q)
{
	for (;;) {
		ssize_t r;
		if (q->rcap - q->rlen < 4096) {
			size_t nc = q->rcap ? q->rcap * 2 : 16384;
			char *nb;
			if (nc > QMP_RBUF_MAX) {
				fail(q, HV_QMP_O_STALE, "QMP: reply too large");
				return false;
			}
			nb = realloc(q->rbuf, nc);
			if (!nb) {
				fail(q, HV_QMP_O_STALE, "QMP: out of memory");
				return false;
			}
			q->rbuf = nb;
			q->rcap = nc;
		}
		r = recv(q->fd, q->rbuf + q->rlen, q->rcap - q->rlen,
		         MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fail(q, HV_QMP_O_STALE, "QMP: connection error");
			return false;
		}
		if (r == 0) {
			parse_frames(q);
			if (q->fd < 0)
				return false;
			if (q->pending) {
				fail(q, HV_QMP_O_STALE,
				     "QMP: closed mid-reply");
			} else {
				/* Answered in full, then hung up: keep the
				 * answers, reconnect next round. */
				qclose(q);
				q->active = false;
			}
			return false;
		}
		q->rlen += (size_t)r;
	}
	parse_frames(q);
	return q->fd >= 0;
}

static void settle(hv_kvm_qmp *q)
{
	if (q->active && !q->pending) {
		q->active = false;
		/* QEMU serves one monitor client at a time: hand the socket
		 * back so operators' tools are not locked out. Commands are
		 * pipelined, so a fresh connection still costs one round
		 * trip. */
		if (!q->keep)
			qclose(q);
	}
}

void hv_kvm_qmp_finish(hv_kvm_qmp **qs, size_t n, uint64_t deadline_ns)
{
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx));

	if (!pfd || !idx) {
		for (size_t i = 0; i < n; i++)
			if (qs[i] && qs[i]->active)
				fail(qs[i], HV_QMP_O_STALE,
				     "QMP: out of memory");
		goto out;
	}
	for (;;) {
		size_t np = 0;
		uint64_t now;
		int ms, rc;

		for (size_t i = 0; i < n; i++) {
			hv_kvm_qmp *q = qs[i];
			if (!q || !q->active)
				continue;
			settle(q);
			if (!q->active)
				continue;
			pfd[np].fd = q->fd;
			pfd[np].events = POLLIN;
			if (q->woff < q->wlen)
				pfd[np].events |= POLLOUT;
			pfd[np].revents = 0;
			idx[np++] = i;
		}
		if (!np)
			break;
		now = hv_kvm_now_ns();
		if (now >= deadline_ns)
			ms = 0;
		else
			ms = (int)((deadline_ns - now + 999999) / 1000000);
		rc = poll(pfd, np, ms);
		if (rc < 0 && errno != EINTR)
			break;
		for (size_t k = 0; rc > 0 && k < np; k++) {
			hv_kvm_qmp *q = qs[idx[k]];
			if (!pfd[k].revents)
				continue;
			if (pfd[k].revents & POLLOUT)
				flush_out(q);
			if (q->fd >= 0 &&
			    (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				read_in(q);
			settle(q);
		}
		if (ms == 0 || hv_kvm_now_ns() >= deadline_ns) {
			/* Last chance for answers already queued. */
			for (size_t k = 0; k < np; k++) {
				hv_kvm_qmp *q = qs[idx[k]];
				if (q->active && q->fd >= 0)
					read_in(q);
				settle(q);
			}
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		hv_kvm_qmp *q = qs[i];
		if (q && q->active) {
			char why[80];
			snprintf(why, sizeof(why), "QMP: no reply by deadline");
			fail(q, HV_QMP_O_STALE, why);
		}
	}
out:
	free(pfd);
	free(idx);
}

enum hv_kvm_qmp_outcome hv_kvm_qmp_outcome(const hv_kvm_qmp *q,
                                           const char **why)
{
	if (why)
		*why = q->why;
	return q->out;
}

enum hv_kvm_qmp_res hv_kvm_qmp_result(const hv_kvm_qmp *q,
                                      enum hv_kvm_qmp_cmd c, const void **json)
{
	if (json)
		*json = q->res[c];
	return q->rk[c];
}

void hv_kvm_qmp_keep(hv_kvm_qmp *q, bool keep)
{
	q->keep = keep;
}
