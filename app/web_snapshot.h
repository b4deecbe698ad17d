/* The --web page's view of the stack at one moment, as JSON: every
 * connection's row (GET /state, the "conns" event) and the counters (the
 * "counters" event). Read from lwIP's pcbs and the timeline's counts when
 * asked (on subscribe and once a second while someone subscribes), never per
 * frame. */
#ifndef LWIPTAP_WEB_SNAPSHOT_H
#define LWIPTAP_WEB_SNAPSHOT_H

#include <stddef.h>

#include "web_history.h"

/* Rows beyond this many are counted ("total") but not listed. */
#define WEB_SNAPSHOT_ROWS 48
/* Each row at most 400 bytes, each "closed" name quoted with its comma. */
#define WEB_SNAPSHOT_MAX (WEB_SNAPSHOT_ROWS * 400 + WEB_HISTORY_CONNS * (2 * ENDPOINT_STRLEN + 4) + 256)

/* {"total":N,"rows":[{"c":"LOCAL REMOTE","state":"ESTABLISHED","sent":{"seg":N,
 * "bytes":N,"rtx":N},"recv":{...},"srtt":ms,"rto":ms,"cwnd":N,"ssthresh":N,
 * "snd_wnd":N,"rcv_wnd":N}, ...],"closed":["LOCAL REMOTE",...]}; listeners are
 * rows with state LISTEN; "closed" are the connections the history keeps
 * (web_history.h) whose lwIP state went to CLOSED.
 * Returns the length written (out holds at least WEB_SNAPSHOT_MAX). */
size_t web_snapshot_conns(char *out, size_t outlen);

/* {"guard":{"reason":N,...},"fault":{"rx":{...},"tx":{...}},"mem":{"used":B,
 * "peak":B,"limit":B},"subscribers":N,"events_dropped":N} (dropped over every subscriber) */
size_t web_snapshot_counters(char *out, size_t outlen);

#endif
