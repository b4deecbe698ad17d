/* Writes every frame, both directions, to a pcap file through libpcap
 * (pcap_open_dead + pcap_dump), so tcpdump -r and Wireshark read it. Each
 * frame is flushed as it is written: the file is complete whenever the
 * process stops, SIGKILL included. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "lwiptap/link.h"
#include "lwiptap/log.h"

struct pcap_writer {
    pcap_t *dead;
    pcap_dumper_t *dumper;
    int failed;
};

static void pcap_write_frame(void *ctx, enum link_event event, const uint8_t *frame, size_t len,
                             const struct link_meta *meta)
{
    (void)meta;
    struct pcap_writer *w = ctx;
    if (event == LINK_EVENT_IDLE) {
        return;
    }
    struct pcap_pkthdr hdr;
    memset(&hdr, 0, sizeof hdr);
    gettimeofday(&hdr.ts, NULL);
    hdr.caplen = (bpf_u_int32)len;
    hdr.len = (bpf_u_int32)len;
    pcap_dump((u_char *)w->dumper, &hdr, frame);
    if (pcap_dump_flush(w->dumper) != 0 && !w->failed) {
        w->failed = 1; /* said once: a full disk would otherwise say it per frame */
        log_warn("pcap", "write failed: %s", pcap_geterr(w->dead));
    }
}

static void writer_close(void *ctx)
{
    struct pcap_writer *w = ctx;
    pcap_dump_close(w->dumper);
    pcap_close(w->dead);
    free(w);
}

struct link *link_pcap_new(struct link *inner, const char *path, char *err)
{
    struct pcap_writer *w = calloc(1, sizeof *w);
    if (w == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        return NULL;
    }
    w->dead = pcap_open_dead(DLT_EN10MB, LINK_MAX_FRAME);
    w->dumper = w->dead != NULL ? pcap_dump_open(w->dead, path) : NULL;
    if (w->dumper == NULL) {
        snprintf(err, LINK_ERR_LEN, "cannot write pcap file %s: %s", path,
                 w->dead != NULL ? pcap_geterr(w->dead) : "libpcap failed");
        if (w->dead != NULL) {
            pcap_close(w->dead);
        }
        free(w);
        return NULL;
    }
    struct link *l = link_observer_new(inner, pcap_write_frame, w, writer_close);
    if (l == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        pcap_dump_close(w->dumper);
        pcap_close(w->dead);
        free(w);
    }
    return l;
}
