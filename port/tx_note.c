#include "lwiptap/tx_note.h"

/* NO_SYS: one frame is sent at a time. */
static unsigned pending;

void tx_note_set(unsigned notes)
{
    pending = notes;
}

unsigned tx_note_take(void)
{
    unsigned notes = pending;
    pending = 0;
    return notes;
}
