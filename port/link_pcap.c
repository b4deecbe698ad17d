/* Writes the classic libpcap format (magic 0xa1b2c3d4, LINKTYPE_ETHERNET), so
 * tcpdump -r and Wireshark read what the stack saw without a capture on the host. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "lwiptap/link.h"
#include "lwiptap/log.h"

struct pcap_file_header {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
};

struct pcap_record_header {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};

static void pcap_write_frame(void *ctx, enum link_event event, const uint8_t *frame, size_t len,
                             const struct link_meta *meta)
{
    (void)meta;
    FILE *file = ctx;
    if (event == LINK_EVENT_IDLE) {
        return;
    }
    struct timeval now;
    gettimeofday(&now, NULL);
    struct pcap_record_header rec = {(uint32_t)now.tv_sec, (uint32_t)now.tv_usec, (uint32_t)len,
                                     (uint32_t)len};
    if (fwrite(&rec, sizeof rec, 1, file) != 1 || fwrite(frame, 1, len, file) != len || fflush(file) != 0) {
        log_warn("pcap", "write failed: %s", strerror(errno));
    }
}

static void pcap_close(void *ctx)
{
    fclose(ctx);
}

struct link *link_pcap_new(struct link *inner, const char *path, char *err)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        snprintf(err, LINK_ERR_LEN, "cannot write pcap file %s: %s", path, strerror(errno));
        return NULL;
    }
    struct pcap_file_header header = {0xa1b2c3d4u, 2, 4, 0, 0, LINK_MAX_FRAME, 1};
    if (fwrite(&header, sizeof header, 1, file) != 1 || fflush(file) != 0) {
        snprintf(err, LINK_ERR_LEN, "cannot write pcap file %s: %s", path, strerror(errno));
        fclose(file);
        return NULL;
    }
    struct link *l = link_observer_new(inner, pcap_write_frame, file, pcap_close);
    if (l == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        fclose(file);
    }
    return l;
}
