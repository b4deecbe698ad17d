/* A word about the next frame lwIP sends, from the room that made it to the
 * rooms that show it, which may not call each other: the guard's SYN-ACK
 * that carries a SYN cookie is an ordinary SYN-ACK on the wire, and only
 * the guard knows it holds no state, so it tells the timeline this way. */
#ifndef LWIPTAP_TX_NOTE_H
#define LWIPTAP_TX_NOTE_H

enum tx_note {
    TX_NOTE_SYN_COOKIE = 1u << 0,
};

/* Notes for the next frame sent; the sender takes them back afterwards
 * (tx_note_take), so that no note outlives its frame. */
void tx_note_set(unsigned notes);
/* The notes for the frame being sent now, and none from now on. */
unsigned tx_note_take(void);

#endif
