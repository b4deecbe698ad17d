/* A conformance script: a TCP conversation between the peer (the script)
 * and lwIP, one step a line, in the spirit of packetdrill (see README.md
 * next to this file for the format and why it is our own). */
#ifndef CONFORM_SCRIPT_H
#define CONFORM_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_STEPS 128
#define SCRIPT_MAX_TEXT 200
#define SCRIPT_MAX_SACK 4

struct opt_spec {
    int present; /* an <...> list was given */
    int mss;     /* -1: not given */
    int ws;      /* -1: not given */
    int sack_ok;
    int ts; /* 1: automatic values, 2: ts_val/ts_ecr given */
    uint32_t ts_val, ts_ecr;
    int nsack;
    uint32_t sack[SCRIPT_MAX_SACK][2]; /* relative to the receiver's view of the sender's ISS */
    uint8_t raw[40];                   /* "raw HEX": bytes sent as they are, after the others */
    size_t rawlen;
};

struct seg_spec {
    uint8_t flags;
    int has_seq, has_ack, has_win, has_len;
    uint32_t seq, ack;
    uint32_t win;
    size_t len; /* payload length; the bytes are text when has_text, else a pattern */
    int has_text;
    char text[SCRIPT_MAX_TEXT];
    struct opt_spec opts;
};

enum step_kind {
    STEP_IN,        /* < segment: the peer sends */
    STEP_OUT,       /* > segment: lwIP must send this next */
    STEP_NONE,      /* > none: lwIP sends nothing for the time given */
    STEP_STATE,     /* state NAME: lwIP's pcb is in this state (CLOSED: no pcb) */
    STEP_CONNECT,   /* app connect: lwIP opens the connection (client scripts) */
    STEP_WRITE,     /* app write: lwIP's application sends len bytes (or text) */
    STEP_CLOSE,     /* app close: lwIP's application closes */
    STEP_KEEPALIVE, /* app keepalive IDLE INTVL COUNT (ms, ms, probes) */
    STEP_SHUTDOWN,  /* app shutdown: lwIP's application stops sending, still receives */
};

struct step {
    enum step_kind kind;
    int line;
    uint32_t after_ms;     /* the +N before the step, from the previous step */
    uint32_t tolerance_ms; /* ~N after a "> segment" */
    struct seg_spec seg;
    char state[24];
    uint32_t keepalive[3];
};

struct script {
    char name[64];
    char rfc[64];
    char requirement[256];
    char lwip[256];
    char verdict[256]; /* "pass", "patched FILE", "deviation: why" */
    char linux_expect[256];
    int client;       /* mode client: lwIP connects */
    uint16_t port;    /* the server's port (lwIP's in server mode, the peer's in client mode) */
    int app_listener; /* server mode on the runner's own listener (port 9000): app steps allowed */
    size_t nsteps;
    struct step steps[SCRIPT_MAX_STEPS];
};

/* Reads a script; returns 0, or -1 with err filled (file:line: what). */
int script_load(const char *path, struct script *s, char *err, size_t errlen);

#endif
