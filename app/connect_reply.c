#include "connect_reply.h"

void connect_print_reply(FILE *out, const uint8_t *data, size_t len)
{
    while (len > 0 && data[len - 1] == '\0') {
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
            fputc(c, out);
        } else {
            fprintf(out, "\\x%02x", c);
        }
    }
    if (len == 0 || data[len - 1] != '\n') {
        fputc('\n', out);
    }
    fflush(out);
}
