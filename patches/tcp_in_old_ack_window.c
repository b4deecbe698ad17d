    /* lwip-tap: RFC 9293 3.10.7.4 updates the window only when
       SND.UNA =< SEG.ACK; lwIP took the window of any segment with a newer
       seq, so an old (reordered) ACK could reopen a window the peer had
       closed. Linux ignores such an ACK too (tcp_ack: old_ack). */
    if ((TCP_SEQ_LT(pcb->snd_wl1, seqno) && TCP_SEQ_GEQ(ackno, pcb->lastack)) ||
