/* One script played against lwIP on the fake link and clock: the peer's
 * side of the conversation and lwIP's application side (client scripts and
 * the runner's own listener). */
#ifndef CONFORM_CONVERSATION_H
#define CONFORM_CONVERSATION_H

#include "script.h"

/* Plays s inside a unit-test fixture; a mismatch fails the test (Check). */
void conversation_play(const struct script *s);

#endif
