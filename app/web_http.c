#include "web_http.h"

#include <string.h>

void web_http_init(struct web_http_parser *p)
{
    p->len = 0;
    p->status = 0;
    p->problem = NULL;
    p->route = WEB_ROUTE_PAGE;
    p->keep_alive = 0;
}

const char *web_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

static int fail(struct web_http_parser *p, int status, const char *problem)
{
    p->status = status;
    p->problem = problem;
    return status;
}

/* RFC 9110 5.6.2 tchar */
static int is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int token_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_tchar(s[i])) {
        i++;
    }
    return (int)i;
}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int equals_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != word[i]) {
            return 0;
        }
    }
    return 1;
}

/* Whether the comma-separated list value holds word (Connection: keep-alive, Upgrade). */
static int list_has(const char *v, size_t len, const char *word)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
            i++;
        }
        size_t start = i;
        while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t') {
            i++;
        }
        if (i > start && equals_nocase(v + start, i - start, word)) {
            return 1;
        }
    }
    return 0;
}

static int parse_request_line(struct web_http_parser *p, const char *line, size_t len, int *minor)
{
    int m = token_len(line, len);
    if (m == 0 || (size_t)m == len || line[m] != ' ') {
        return fail(p, 400, "the request line is not METHOD SP TARGET SP VERSION");
    }
    const char *target = line + m + 1;
    const char *sp = memchr(target, ' ', len - (size_t)m - 1);
    if (sp == NULL || sp == target) {
        return fail(p, 400, "the request line is not METHOD SP TARGET SP VERSION");
    }
    size_t target_len = (size_t)(sp - target);
    const char *version = sp + 1;
    size_t version_len = len - (size_t)(version - line);
    for (size_t i = 0; i < target_len; i++) {
        if (target[i] <= ' ' || target[i] == 0x7f) {
            return fail(p, 400, "the request target holds a space or a control byte");
        }
    }
    if (version_len != 8 || memcmp(version, "HTTP/", 5) != 0 || version[5] < '0' || version[5] > '9' ||
        version[6] != '.' || version[7] < '0' || version[7] > '9') {
        return fail(p, 400, "the version is not HTTP/x.y");
    }
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        return fail(p, 505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    }
    *minor = version[7] - '0';
    if (target[0] != '/') {
        return fail(p, 400, "the request target is not an absolute path");
    }
    if ((size_t)m != 3 || memcmp(line, "GET", 3) != 0) {
        return fail(p, 405, "the page is read-only: only GET is allowed");
    }
    const char *query = memchr(target, '?', target_len);
    size_t path_len = query != NULL ? (size_t)(query - target) : target_len;
    if (path_len == 1) {
        p->route = WEB_ROUTE_PAGE;
    } else if (path_len == 7 && memcmp(target, "/events", 7) == 0) {
        p->route = WEB_ROUTE_EVENTS;
    } else if (path_len == 6 && memcmp(target, "/state", 6) == 0) {
        p->route = WEB_ROUTE_STATE;
    } else {
        return fail(p, 404, "there is /, /events and /state, nothing else");
    }
    return 0;
}

struct head_fields {
    int hosts;
    int close;
    int keep_alive;
};

static int parse_field(struct web_http_parser *p, const char *line, size_t len, struct head_fields *f)
{
    if (line[0] == ' ' || line[0] == '\t') {
        return fail(p, 400, "a header line is folded (obs-fold)");
    }
    int n = token_len(line, len);
    if (n == 0 || (size_t)n == len || line[n] != ':') {
        return fail(p, 400, "a header line is not NAME: VALUE");
    }
    const char *v = line + n + 1;
    size_t vlen = len - (size_t)n - 1;
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < ' ' && c != '\t') || c == 0x7f) {
            return fail(p, 400, "a header value holds a control byte");
        }
    }
    while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
        vlen--;
    }
    if (equals_nocase(line, (size_t)n, "host")) {
        f->hosts++;
    } else if (equals_nocase(line, (size_t)n, "connection")) {
        f->close |= list_has(v, vlen, "close");
        f->keep_alive |= list_has(v, vlen, "keep-alive");
    } else if (equals_nocase(line, (size_t)n, "transfer-encoding")) {
        return fail(p, 400, "Transfer-Encoding: a GET has no body");
    } else if (equals_nocase(line, (size_t)n, "content-length")) {
        if (vlen == 0) {
            return fail(p, 400, "Content-Length is not a number");
        }
        int nonzero = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9') {
                return fail(p, 400, "Content-Length is not a number");
            }
            nonzero |= v[i] != '0';
        }
        if (nonzero) {
            return fail(p, 413, "the page is read-only: a request cannot have a body");
        }
    }
    return 0;
}

/* The head is complete (it ends with an empty line): checks it as a whole. */
static int parse_head(struct web_http_parser *p)
{
    struct head_fields f = {0, 0, 0};
    int minor = 1;
    size_t pos = 0;
    int first = 1;
    while (pos < p->len) {
        const char *line = p->head + pos;
        const char *nl = memchr(line, '\n', p->len - pos);
        size_t len = (size_t)(nl - line);
        pos += len + 1;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (memchr(line, '\r', len) != NULL || memchr(line, '\0', len) != NULL) {
            return fail(p, 400, "a line holds a bare CR or a NUL byte");
        }
        if (len == 0) {
            break; /* the empty line that ends the head */
        }
        int rc = first ? parse_request_line(p, line, len, &minor) : parse_field(p, line, len, &f);
        if (rc != 0) {
            return rc;
        }
        first = 0;
    }
    if (minor == 1 && f.hosts != 1) {
        return fail(p, 400, "an HTTP/1.1 request needs exactly one Host header");
    }
    p->keep_alive = minor == 1 ? !f.close : (f.keep_alive && !f.close);
    p->status = 200;
    return 200;
}

int web_http_feed(struct web_http_parser *p, const char *data, size_t len, size_t *used)
{
    size_t i = 0;
    while (p->status == 0 && i < len) {
        char c = data[i];
        if (p->len == 0 && (c == '\r' || c == '\n')) {
            i++;
            continue; /* RFC 9112 2.2: empty lines before a request are ignored */
        }
        if (p->len == sizeof p->head) {
            fail(p, 431, "the request head is longer than 4096 bytes");
            break;
        }
        p->head[p->len++] = c;
        i++;
        if (c != '\n') {
            continue;
        }
        /* An empty line (LF or CRLF right after the previous LF) ends the head. */
        size_t end = p->len - 1;
        if (end > 0 && p->head[end - 1] == '\r') {
            end--;
        }
        if (end > 0 && p->head[end - 1] == '\n') {
            parse_head(p);
        }
    }
    *used = i;
    return p->status;
}
