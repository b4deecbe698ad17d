    /* lwip-tap: one more pcb this walk looked at (tests/unit/test_scaling.c). */
    lwiptap_pcb_visits++;
