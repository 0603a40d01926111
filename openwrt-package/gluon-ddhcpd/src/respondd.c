/* respondd provider of gluon-ddhcpd (gluon installs it as /usr/lib/respondd/gluon-ddhcpd.so):
 * answers the "statistics" request with
 *   "ddhcpd": { "blocks": { "ours", "claimed", "tentative", "free" },
 *               "leases": { "leased", "offered", "free" },
 *               "counters": { "<daemon counter, dots as _>": n, ... } }
 * taken from the daemon's JSON statistics on its control socket (what `ddhcpdctl -j -s`
 * prints; docs/protocol.md#statistics). Nothing (no "ddhcpd" key) while the daemon does not
 * answer. respondd is single-threaded: every socket operation is bounded by a short timeout.
 * The control socket is /tmp/ddhcpd_ctl (gluon-ddhcpd's setting); DDHCPD_CONTROL_PATH
 * overrides it for tests. */

#include <respondd.h>

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define STATISTICS_JSON 0x46 /* control request: statistics as JSON */
#define ANSWER_MAX (256 * 1024)

static char *fetch(const char *path) {
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path)
		return NULL;
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	struct timeval timeout = {.tv_sec = 0, .tv_usec = 500000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
	unsigned char request = STATISTICS_JSON;
	char *answer = NULL;
	size_t length = 0;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || write(fd, &request, 1) != 1)
		goto out;
	shutdown(fd, SHUT_WR);
	answer = malloc(ANSWER_MAX + 1);
	if (!answer)
		goto out;
	for (;;) {
		ssize_t n = read(fd, answer + length, ANSWER_MAX - length);
		if (n == 0)
			break;
		if (n < 0 || length + (size_t)n >= ANSWER_MAX) {
			free(answer);
			answer = NULL;
			goto out;
		}
		length += (size_t)n;
	}
	answer[length] = 0;
out:
	close(fd);
	return answer;
}

static void add_int(struct json_object *to, const char *name, struct json_object *from, const char *key) {
	struct json_object *v;
	if (json_object_object_get_ex(from, key, &v) && json_object_is_type(v, json_type_int))
		json_object_object_add(to, name, json_object_new_int64(json_object_get_int64(v)));
}

static struct json_object *respondd_provider_statistics(void) {
	const char *path = getenv("DDHCPD_CONTROL_PATH");
	char *text = fetch(path && *path ? path : "/tmp/ddhcpd_ctl");
	if (!text)
		return NULL;
	struct json_object *stats = json_tokener_parse(text);
	free(text);
	if (!stats || !json_object_is_type(stats, json_type_object)) {
		json_object_put(stats);
		return NULL;
	}

	struct json_object *blocks = json_object_new_object();
	add_int(blocks, "ours", stats, "ddhcp.blocks.ours");
	add_int(blocks, "tentative", stats, "ddhcp.blocks.tentative");
	add_int(blocks, "free", stats, "ddhcp.blocks.free");
	struct json_object *claimed, *ours;
	if (json_object_object_get_ex(stats, "ddhcp.blocks.claimed", &claimed) &&
	    json_object_object_get_ex(stats, "ddhcp.blocks.ours", &ours)) /* the daemon's claimed includes ours */
		json_object_object_add(blocks, "claimed",
				       json_object_new_int64(json_object_get_int64(claimed) - json_object_get_int64(ours)));

	struct json_object *leases = json_object_new_object();
	add_int(leases, "leased", stats, "ddhcp.leases.leased");
	add_int(leases, "offered", stats, "ddhcp.leases.offered");
	add_int(leases, "free", stats, "ddhcp.leases.free");

	struct json_object *counters = json_object_new_object();
	json_object_object_foreach(stats, key, value) {
		if (!json_object_is_type(value, json_type_int) || strncmp(key, "ddhcp.", 6) == 0)
			continue;
		char name[64];
		snprintf(name, sizeof name, "%s", key);
		for (char *c = name; *c; c++)
			if (*c == '.')
				*c = '_';
		json_object_object_add(counters, name, json_object_new_int64(json_object_get_int64(value)));
	}
	json_object_put(stats);

	struct json_object *ddhcpd = json_object_new_object();
	json_object_object_add(ddhcpd, "blocks", blocks);
	json_object_object_add(ddhcpd, "leases", leases);
	json_object_object_add(ddhcpd, "counters", counters);
	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "ddhcpd", ddhcpd);
	return ret;
}

const struct respondd_provider_info respondd_providers[] = {
	{"statistics", respondd_provider_statistics},
	{},
};
