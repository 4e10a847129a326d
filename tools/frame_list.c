/* frame_list.c - timestamped frames in memory: a capture read whole, or the frames a stack sent. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "tapir/pcap.h"

int tp_frame_list_add(struct tp_frame_list *l, tp_time t, const uint8_t *data, size_t len)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct tp_frame *frames = realloc(l->frames, cap * sizeof(*frames));
		if (!frames)
			return -1;
		l->frames = frames;
		l->cap = cap;
	}
	/* malloc(0) may return NULL: keep empty frames distinguishable from failure. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	if (len)
		memcpy(copy, data, len);
	l->frames[l->count++] = (struct tp_frame){.t = t, .data = copy, .len = len};
	return 0;
}

void tp_frame_list_free(struct tp_frame_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->frames[i].data);
	free(l->frames);
	memset(l, 0, sizeof(*l));
}

int tp_frame_list_load(struct tp_frame_list *l, const char *path, char *err, size_t errlen)
{
	struct tp_pcap_reader *r = tp_pcap_reader_open(path, err, errlen);
	if (!r)
		return -1;
	int rc;
	tp_time t;
	const uint8_t *data;
	size_t len;
	while ((rc = tp_pcap_reader_next(r, &t, &data, &len, err, errlen)) == 1) {
		if (tp_frame_list_add(l, t, data, len) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	tp_pcap_reader_close(r);
	if (rc < 0) {
		/* The reader's message lacks the file name: put it in front. */
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}
