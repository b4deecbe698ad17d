#include "timeline_format.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>

#include "lwiptap/byte_order.h"

void timeline_append(char *out, size_t outlen, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= outlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *used, outlen - *used, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *used += (size_t)n < outlen - *used ? (size_t)n : outlen - *used - 1;
    }
}

static void format_options(const struct frame_tcp *tcp, const struct seg_note *note, char *out, size_t outlen,
                           size_t *used)
{
    const uint8_t *o = tcp->options;
    size_t len = tcp->options_len, i = 0;
    while (i < len) {
        const char *sep = i == 0 ? "" : ",";
        uint8_t kind = o[i];
        if (kind == 0) {
            timeline_append(out, outlen, used, "%seol", sep);
            break;
        }
        if (kind == 1) {
            timeline_append(out, outlen, used, "%snop", sep);
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len) {
            timeline_append(out, outlen, used, "%sbad option length", sep);
            break;
        }
        uint8_t optlen = o[i + 1];
        const uint8_t *v = o + i + 2;
        if (kind == 2 && optlen == 4) {
            timeline_append(out, outlen, used, "%smss %u", sep, get_be16(v));
        } else if (kind == 3 && optlen == 3) {
            timeline_append(out, outlen, used, "%swscale %u", sep, v[0]);
        } else if (kind == 4 && optlen == 2) {
            timeline_append(out, outlen, used, "%ssackOK", sep);
        } else if (kind == 8 && optlen == 10) {
            timeline_append(out, outlen, used, "%sTS val %u ecr %u", sep, get_be32(v), get_be32(v + 4));
        } else if (kind == 5 && (optlen - 2) % 8 == 0) {
            timeline_append(out, outlen, used, "%ssack %u", sep, (unsigned)(optlen - 2) / 8);
            for (size_t b = 0; b + 8 <= (size_t)optlen - 2; b += 8) {
                timeline_append(out, outlen, used, " {%u:%u}", get_be32(v + b) - note->ack_base,
                                get_be32(v + b + 4) - note->ack_base);
            }
        } else {
            timeline_append(out, outlen, used, "%sopt-%u len %u", sep, kind, optlen);
        }
        i += optlen;
    }
}

void timeline_format_options(const struct frame_tcp *tcp, const struct seg_note *note, char *out,
                             size_t outlen)
{
    size_t used = 0;
    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    format_options(tcp, note, out, outlen, &used);
}

void timeline_format_segment(const struct frame_tcp *tcp, const struct seg_note *note, char *out,
                             size_t outlen)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[8];
    inet_ntop(tcp->family, tcp->src, src, sizeof src);
    inet_ntop(tcp->family, tcp->dst, dst, sizeof dst);
    frame_format_tcp_flags(tcp->flags, flags, sizeof flags);
    size_t used = 0;
    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    timeline_append(out, outlen, &used, "%s.%u > %s.%u: Flags [%s]", src, tcp->src_port, dst, tcp->dst_port,
                    flags);
    uint32_t seq = tcp->seq - note->seq_base;
    uint32_t seg_len = (uint32_t)tcp->payload_len + ((tcp->flags & FRAME_TCP_SYN) ? 1u : 0u) +
                       ((tcp->flags & FRAME_TCP_FIN) ? 1u : 0u);
    if (tcp->payload_len > 0) {
        timeline_append(out, outlen, &used, ", seq %u:%u", seq, seq + (uint32_t)tcp->payload_len);
    } else if (seg_len > 0 || (tcp->flags & FRAME_TCP_RST) || !(tcp->flags & FRAME_TCP_ACK) ||
               (note->labels & SEG_KEEPALIVE)) {
        timeline_append(out, outlen, &used, ", seq %u", seq);
    }
    if (tcp->flags & FRAME_TCP_ACK) {
        timeline_append(out, outlen, &used, ", ack %u", tcp->ack - note->ack_base);
    }
    timeline_append(out, outlen, &used, ", win %u", note->window);
    if (tcp->options_len > 0) {
        timeline_append(out, outlen, &used, ", options [");
        format_options(tcp, note, out, outlen, &used);
        timeline_append(out, outlen, &used, "]");
    }
    timeline_append(out, outlen, &used, ", length %zu", tcp->payload_len);
}

static const struct {
    unsigned label;
    const char *name;
} label_names[] = {
    {SEG_RETRANSMISSION, "retransmission"},
    {SEG_FAST_RETRANSMISSION, "fast retransmission"},
    {SEG_ZERO_WINDOW_PROBE, "zero-window probe"},
    {SEG_KEEPALIVE, "keepalive"},
    {SEG_WINDOW_UPDATE, "window update"},
    {SEG_DUPLICATE_ACK, "duplicate ACK"},
    {SEG_CHALLENGE_ACK, "challenge ACK"},
    {SEG_ZERO_WINDOW, "zero window"},
    {SEG_GAP_BEFORE, "gap: bytes before it are missing"},
    {SEG_RST_NO_CONNECTION, "RST sent because no connection or listener matches"},
    {SEG_RST_ABORT, "RST sent because lwIP aborts the connection"},
    {SEG_RST_FROM_PEER, "reset by the peer"},
    {SEG_SYN_COOKIE, "SYN cookie"},
};

void timeline_format_labels(const struct seg_note *note, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < sizeof label_names / sizeof label_names[0]; i++) {
        if (!(note->labels & label_names[i].label)) {
            continue;
        }
        timeline_append(out, outlen, &used, "%s%s", used == 0 ? " (" : ", ", label_names[i].name);
        if ((label_names[i].label & (SEG_RETRANSMISSION | SEG_FAST_RETRANSMISSION)) &&
            note->resent_after_us != 0) {
            if (note->resent_after_us < 1000) {
                timeline_append(out, outlen, &used, " after <1 ms");
            } else {
                timeline_append(out, outlen, &used, " after %llu ms",
                                (unsigned long long)(note->resent_after_us + 500) / 1000);
            }
        }
        if (label_names[i].label == SEG_DUPLICATE_ACK) {
            timeline_append(out, outlen, &used, " #%u", note->dup_ack_number);
        }
    }
    if (used > 0) {
        timeline_append(out, outlen, &used, ")");
    }
}
