/* SPDX-License-Identifier: MIT */
#include "fakeqmp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fq {
	fq_opts o;
	char status[32];
	int lfd, stop[2];
	int conns;
	int scale;
	int hung[64];
	int nhung;
	pthread_t th;
	pthread_mutex_t mu;
};

static void say(int fd, const char *s)
{
	size_t l = strlen(s);
	while (l) {
		ssize_t w = send(fd, s, l, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		l -= (size_t)w;
	}
}

/* query-stats' answer: per vCPU (last first) its x86 exit counters,
 * one histogram (a list: not a counter) and a name of no kind. */
static cJSON *kvm_stats(fq *f)
{
	static const char *const nm[] = {"exits", "io_exits", "halt_exits",
	                                 "mmio_exits", "fpu_reload"};
	static const double base[] = {1000, 300, 40, 20, 5};
	cJSON *r = cJSON_CreateArray();
	int n = 0, scale;

	pthread_mutex_lock(&f->mu);
	scale = f->scale ? f->scale : 1;
	pthread_mutex_unlock(&f->mu);
	while (n < 4 && f->o.tids[n])
		n++;
	for (int i = f->o.kvm_stats == 1 ? n - 1 : -1; i >= 0; i--) {
		cJSON *c = cJSON_CreateObject(), *st = cJSON_CreateArray();
		char qp[64];
		snprintf(qp, sizeof(qp), "/machine/unattached/device[%d]",
		         2 * i);
		cJSON_AddStringToObject(c, "provider", "kvm");
		cJSON_AddStringToObject(c, "qom-path", qp);
		for (size_t k = 0; k < sizeof(nm) / sizeof(nm[0]); k++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", nm[k]);
			cJSON_AddNumberToObject(e, "value",
			                        base[k] * (i + 1) * scale);
			cJSON_AddItemToArray(st, e);
		}
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "name", "halt_exits");
		cJSON_AddItemToObject(h, "value",
		                      cJSON_Parse("[1,2,3]")); /* as a hist */
		cJSON_AddItemToArray(st, h);
		cJSON_AddItemToObject(c, "stats", st);
		cJSON_AddItemToArray(r, c);
	}
	return r;
}

static void reply(fq *f, int fd, const char *line)
{
	cJSON *in = cJSON_Parse(line), *out = cJSON_CreateObject();
	cJSON *ex = cJSON_GetObjectItem(in, "execute");
	cJSON *id = cJSON_GetObjectItem(in, "id");
	const char *cmd = cJSON_IsString(ex) ? ex->valuestring : "";
	char *txt;

	if (id)
		cJSON_AddItemToObject(out, "id", cJSON_Duplicate(id, 1));
	if (!strcmp(cmd, "qmp_capabilities")) {
		cJSON_AddItemToObject(out, "return", cJSON_CreateObject());
	} else if (!strcmp(cmd, "query-status")) {
		cJSON *r = cJSON_CreateObject();
		pthread_mutex_lock(&f->mu);
		cJSON_AddBoolToObject(r, "running",
		                      !strcmp(f->status, "running"));
		cJSON_AddStringToObject(r, "status", f->status);
		pthread_mutex_unlock(&f->mu);
		cJSON_AddItemToObject(out, "return", r);
	} else if (!strcmp(cmd, "query-balloon") && !f->o.no_balloon) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "actual", 536870912.0);
		cJSON_AddItemToObject(out, "return", r);
	} else if (!strcmp(cmd, "query-blockstats")) {
		cJSON *r = cJSON_Parse(
		    "[{\"device\":\"\",\"node-name\":\"n0\","
		    "\"qdev\":\"/machine/peripheral/virtio-disk0/"
		    "virtio-backend\",\"stats\":{\"rd_bytes\":1000,"
		    "\"wr_bytes\":2000,\"rd_operations\":10,"
		    "\"wr_operations\":20,\"flush_operations\":3,"
		    "\"unmap_operations\":4,\"rd_total_time_ns\":5000,"
		    "\"wr_total_time_ns\":6000,"
		    "\"flush_total_time_ns\":700}},"
		    "{\"device\":\"ide0-cd0\",\"stats\":{\"rd_bytes\":7,"
		    "\"wr_bytes\":0,\"rd_operations\":1,"
		    "\"wr_operations\":0,\"flush_operations\":0,"
		    "\"rd_total_time_ns\":1,\"wr_total_time_ns\":0,"
		    "\"flush_total_time_ns\":0}}]");
		cJSON_AddItemToObject(out, "return", r);
	} else if (!strcmp(cmd, "query-cpus-fast")) {
		cJSON *r = cJSON_CreateArray();
		for (int i = 0; i < 4 && f->o.tids[i]; i++) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddNumberToObject(c, "cpu-index", i);
			cJSON_AddNumberToObject(c, "thread-id", f->o.tids[i]);
			char qp[64];
			snprintf(qp, sizeof(qp),
			         "/machine/unattached/device[%d]", 2 * i);
			cJSON_AddStringToObject(c, "qom-path", qp);
			cJSON_AddItemToArray(r, c);
		}
		cJSON_AddItemToObject(out, "return", r);
	} else if (!strcmp(cmd, "query-stats") && f->o.kvm_stats) {
		cJSON_AddItemToObject(out, "return", kvm_stats(f));
	} else {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "class", "DeviceNotActive");
		cJSON_AddStringToObject(e, "desc", "No balloon device");
		cJSON_AddItemToObject(out, "error", e);
	}
	txt = f->o.mode == FQ_PRETTY ? cJSON_Print(out)
	                             : cJSON_PrintUnformatted(out);
	if (f->o.mode == FQ_PRETTY)
		say(fd,
		    "{\n    \"timestamp\": {\"seconds\": 1, "
		    "\"microseconds\": 2},\n    \"event\": \"RESUME\"\n}\n");
	say(fd, txt);
	say(fd, "\r\n");
	free(txt);
	cJSON_Delete(in);
	cJSON_Delete(out);
}

/* Serve one connection until it closes or we are stopped. */
static void serve(fq *f, int fd)
{
	char buf[8192];
	size_t len = 0;

	say(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": "
	        "2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": "
	        "[\"oob\"]}}\r\n");
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {f->stop[0], POLLIN, 0}};
		ssize_t r;
		char *nl;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return;
		if (p[1].revents)
			return;
		r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r <= 0)
			return;
		len += (size_t)r;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!strstr(buf, "qmp_capabilities")) {
				if (f->o.mode == FQ_GARBAGE) {
					say(fd, "}}this is not json{{\r\n");
					return;
				}
				if (f->o.mode == FQ_CLOSE) {
					say(fd, "{\"return\": {\"runn");
					return;
				}
			}
			reply(f, fd, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
}

static void *run(void *arg)
{
	fq *f = arg;

	for (;;) {
		struct pollfd p[2] = {{f->lfd, POLLIN, 0},
		                      {f->stop[0], POLLIN, 0}};
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			continue;
		pthread_mutex_lock(&f->mu);
		f->conns++;
		pthread_mutex_unlock(&f->mu);
		if (f->o.mode == FQ_HANG) {
			if (f->nhung < 64)
				f->hung[f->nhung++] = c;
			else
				close(c);
			continue;
		}
		serve(f, c);
		close(c);
	}
	return NULL;
}

fq *fq_start(const char *path, const fq_opts *o)
{
	fq *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (!f)
		return NULL;
	f->o = *o;
	snprintf(f->status, sizeof(f->status), "%s",
	         o->status ? o->status : "running");
	pthread_mutex_init(&f->mu, NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(f->lfd, 16) || pipe(f->stop)) {
		if (f->lfd >= 0)
			close(f->lfd);
		free(f);
		return NULL;
	}
	pthread_create(&f->th, NULL, run, f);
	return f;
}

int fq_connections(fq *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->conns;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void fq_set_scale(fq *f, int scale)
{
	pthread_mutex_lock(&f->mu);
	f->scale = scale;
	pthread_mutex_unlock(&f->mu);
}

void fq_set_status(fq *f, const char *status)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->status, sizeof(f->status), "%s", status);
	pthread_mutex_unlock(&f->mu);
}

void fq_stop(fq *f)
{
	if (!f)
		return;
	if (write(f->stop[1], "x", 1) < 0) {
		/* the thread polls the pipe; nothing else to do */
	}
	pthread_join(f->th, NULL);
	for (int i = 0; i < f->nhung; i++)
		close(f->hung[i]);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
