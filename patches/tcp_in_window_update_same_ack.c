    /* lwip-tap: RFC 9293 3.10.7.4 takes the window of a segment with
       SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK. lwIP's test below wants
       SND.WL2 < SEG.ACK or a larger window, so a peer that closed its window
       in its first data segment (the seq and ack of its handshake ACK) was
       sent data into the closed window. Linux takes that window too. */
    if (pcb->snd_wl1 == seqno && pcb->snd_wl2 == ackno) {
      pcb->snd_wnd = SND_WND_SCALE(pcb, tcphdr->wnd);
      if (pcb->snd_wnd_max < pcb->snd_wnd) {
        pcb->snd_wnd_max = pcb->snd_wnd;
      }
    }
