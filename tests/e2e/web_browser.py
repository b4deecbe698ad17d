#!/usr/bin/env python3
"""e2e.web_browser's driver, run inside the test's namespace: before any page
is open, nc echo sessions run: an idle one stays open, 16 fillers push it out
of the history, an early one runs to its end, a long one stays open; then
headless chromium (through chromedriver and selenium) opens lwip-tap's page
(the early one must be drawn whole and CLOSED, the long and the idle ones
marked "(start not seen)", each in its own words), then an nc echo session
and a tcp-client serial session run beside it. Every assertion
reads the DOM the page's script built: the rows, the ladders, the timeline.
Prints 'ok: ...' lines; exits 1 with 'FAIL: ...' on the first failed check."""
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

LWIP, TCP_CLIENT, SHOT = sys.argv[1], sys.argv[2], sys.argv[3]
WAIT = 20  # seconds for any DOM condition
EARLY_PORT, LONG_PORT, LONG_LINES = 40800, 40801, 40
IDLE_PORT, FILLER_PORT, FILLERS = 40802, 40810, 16  # WEB_HISTORY_CONNS newer ones
ECHO_LINE = b"the page watches this echo\n"
SERIAL_IN = b"hello\nworld\nbye\n"
SERIAL_OUT = b"0hello\n1world\n"  # lwIP's replies; "bye" ends the session unanswered

# The page's rows, ladders and timeline, as plain data.
READ_DOM = """
const rows = {};
for (const tr of document.querySelectorAll('#conns tbody tr')) {
  const td = tr.querySelectorAll('td');
  rows[tr.dataset.conn] = {state: td[2].textContent, sent: td[3] ? td[3].textContent : '',
                           recv: td[4] ? td[4].textContent : ''};
}
const ladders = {};
for (const d of document.querySelectorAll('#ladders .ladder')) {
  ladders[d.dataset.conn] = {
    segs: [...d.querySelectorAll('g.segment > text:not(.time)')].map(t => t.textContent),
    lwip: [...d.querySelectorAll('text.state:not([text-anchor=end])')].map(t => t.textContent),
    host: [...d.querySelectorAll('text.state[text-anchor=end]')].map(t => t.textContent),
    unseen: [...d.querySelectorAll('text.unseen')].map(t => t.textContent)};
}
const timeline = [...document.querySelectorAll('#timeline div')].map(d => [d.dataset.conn, d.textContent]);
return {status: document.getElementById('status').textContent, rows, ladders, timeline};
"""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg, flush=True)


def until(driver, what, cond):
    """Waits until cond(dom) is truthy and returns it, or fails saying what."""
    last = {}

    def check(_):
        nonlocal last
        last = driver.execute_script(READ_DOM)
        return cond(last)

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(check)
    except TimeoutException:
        fail(f"{what} (within {WAIT} s); the page had rows {last.get('rows')} "
             f"and ladders {list(last.get('ladders', {}))}")


def new_key(driver, port, before, what):
    def found(dom):
        keys = [k for k in dom["ladders"] if k.startswith(f"{LWIP}:{port} ") and k not in before]
        return keys[0] if keys else None
    return until(driver, what, found)


def counts(text):
    """'3 / 20 / 0' -> (segments, bytes, retransmissions)."""
    parts = [p.strip() for p in text.split("/")]
    return tuple(int(p) for p in parts) if len(parts) == 3 and all(p.isdigit() for p in parts) else None


def check_conn(driver, key, name, final_states, host_states):
    """The ladder's handshake and lwIP's states, then the row's byte counts."""
    def handshake(dom):
        segs = dom["ladders"].get(key, {}).get("segs", [])
        return segs if len(segs) >= 3 and [s.split(" ")[0] for s in segs[:3]] == ["[S]", "[S.]", "[.]"] else None
    segs = until(driver, f"{name}: the ladder shows [S], [S.], [.] first", handshake)
    ok(f"{name}: the ladder's first arrows are {', '.join(s.split(' ')[0] for s in segs[:3])}")

    def lwip_states(dom):
        st = dom["ladders"].get(key, {}).get("lwip", [])
        want = ["LISTEN", "SYN_RCVD", "ESTABLISHED"] + final_states
        it = iter(st)
        return st if all(w in it for w in want) else None  # in this order
    st = until(driver, f"{name}: lwIP's states LISTEN, SYN_RCVD, ESTABLISHED, {', '.join(final_states)} on the ladder",
               lwip_states)
    ok(f"{name}: lwIP's states on the ladder: {' '.join(st)}")
    lwip_st = st

    # The host's, from the connection model: opened, then closed. Whether its
    # FIN crossed lwIP's is the race's, but both sides then say CLOSING.
    def peer_states(dom):
        st = dom["ladders"].get(key, {}).get("host", [])
        it = iter(st)
        done = len(st) > 3 and st[-1] in ("TIME_WAIT", "CLOSED")
        return st if done and all(w in it for w in host_states) else None
    st = until(driver, f"{name}: the host's states {', '.join(host_states)}, then on to TIME_WAIT or CLOSED "
               "on the ladder (the model's)", peer_states)
    if ("CLOSING" in lwip_st) != ("CLOSING" in st):
        fail(f"{name}: lwIP's states {lwip_st} and the host's {st} disagree on crossing FINs")
    ok(f"{name}: the host's states on the ladder: {' '.join(st)}")
    tl = until(driver, f"{name}: the timeline has lwIP's LISTEN -> SYN_RCVD",
               lambda d: [t for c, t in d["timeline"] if c == key and "LISTEN -> SYN_RCVD" in t])
    ok(f"{name}: the timeline says '{tl[0].strip()}'")
    return segs


def echo_lines(nc, lines):
    for i in range(lines):
        line = b"line %d\n" % i
        nc.stdin.write(line)
        nc.stdin.flush()
        got = nc.stdout.read(len(line))
        if got != line:
            fail(f"nc got {got!r} back, not {line!r}")


def key_of(dom, port):
    keys = [k for k in dom["ladders"] if k.startswith(f"{LWIP}:7 ") and k.endswith(f":{port}")]
    return keys[0] if keys else None


def echo_from(port, lines):
    nc = subprocess.Popen(["nc", "-N", "-p", str(port), LWIP, "7"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE)
    echo_lines(nc, lines)
    return nc


def end(nc, name):
    nc.stdin.close()
    if nc.wait(timeout=WAIT) != 0:
        fail(f"the {name} nc did not end cleanly")


def before_the_page():
    """All before any page: an idle session that the history no longer
    holds, sessions closed, a long session left open."""
    idle = echo_from(IDLE_PORT, 1)
    for port in range(FILLER_PORT, FILLER_PORT + FILLERS):
        end(echo_from(port, 1), f"filler {port}")
    end(echo_from(EARLY_PORT, 1), "early")
    long = echo_from(LONG_PORT, LONG_LINES)  # more events than the history keeps of one connection
    return idle, long


def check_before_the_page(driver, idle, long):
    key = until(driver, "the session closed before the page has a ladder", lambda d: key_of(d, EARLY_PORT))
    check_conn(driver, key, "early nc", ["CLOSE_WAIT", "LAST_ACK", "CLOSED"],
               ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1"])
    dom = until(driver, "early nc: the row says CLOSED, not a state it left",
                lambda d: d if d["rows"].get(key, {}).get("state") == "CLOSED" else None)
    if dom["ladders"][key]["unseen"]:
        fail(f"early nc: kept whole, but marked {dom['ladders'][key]['unseen']}")
    ok("early nc: closed before the page opened, drawn whole, its row CLOSED")
    key = until(driver, "the long session has a ladder", lambda d: key_of(d, LONG_PORT))
    dom = until(driver, "long nc: its ladder says (start not seen) and its row ESTABLISHED",
                lambda d: d if d["ladders"][key]["unseen"] and d["ladders"][key]["segs"]
                and d["rows"].get(key, {}).get("state") == "ESTABLISHED" else None)
    lad = dom["ladders"][key]
    if lad["segs"][0].startswith("[S]"):
        fail("long nc: marked (start not seen) but its SYN is drawn")
    ok(f"long nc: '{lad['unseen'][0]}', then {len(lad['segs'])} arrows; the row says ESTABLISHED")
    end(long, "long")
    until(driver, "long nc: the row is CLOSED", lambda d: d["rows"].get(key, {}).get("state") == "CLOSED")
    ok("long nc: the row says CLOSED once it ended")
    key = until(driver, "the idle session has a ladder", lambda d: key_of(d, IDLE_PORT))
    dom = until(driver, "idle nc: its ladder says it began before the history, its row ESTABLISHED",
                lambda d: d if d["ladders"][key]["unseen"] == ["(start not seen): it began before the events "
                                                               "this page was given"]
                and d["rows"].get(key, {}).get("state") == "ESTABLISHED" else None)
    if dom["ladders"][key]["segs"]:
        fail(f"idle nc: forgotten by the history, but arrows drawn: {dom['ladders'][key]['segs']}")
    ok(f"idle nc: '{dom['ladders'][key]['unseen'][0]}', no arrows; the row says ESTABLISHED")
    end(idle, "idle")
    until(driver, "idle nc: the row is CLOSED", lambda d: d["rows"].get(key, {}).get("state") == "CLOSED")
    ok("idle nc: the row says CLOSED once it ended")


def main():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--hide-scrollbars", "--window-size=1400,1300"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    idle, long = before_the_page()
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.set_page_load_timeout(WAIT)
        driver.get(f"http://{LWIP}/")
        until(driver, "the page says live", lambda d: d["status"] == "live")
        dom = until(driver, "the echo and serial listeners are rows",
                    lambda d: d if d["rows"].get("*:7 *", {}).get("state") == "LISTEN"
                    and d["rows"].get("*:1234 *", {}).get("state") == "LISTEN" else None)
        ok("the page is live; the listeners on 7 and 1234 are LISTEN rows")
        check_before_the_page(driver, idle, long)
        dom = driver.execute_script(READ_DOM)
        before = set(dom["ladders"])

        # nc echo, held open until the row's counts are checked: a closed
        # connection's row keeps its last once-a-second refresh.
        nc = subprocess.Popen(["nc", "-N", LWIP, "7"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        nc.stdin.write(ECHO_LINE)
        nc.stdin.flush()
        echoed = nc.stdout.read(len(ECHO_LINE))
        if echoed != ECHO_LINE:
            fail(f"nc got {echoed!r} back, not {ECHO_LINE!r}")
        key = new_key(driver, 7, before, "the nc connection appears on the page")
        ok(f"nc's connection is on the page: {key}")
        n = len(ECHO_LINE)
        row = until(driver, f"nc: the row says ESTABLISHED, {n} bytes each way",
                    lambda d: d["rows"].get(key) if d["rows"].get(key, {}).get("state") == "ESTABLISHED"
                    and (counts(d["rows"][key]["recv"]) or (0, 0))[1] == n
                    and (counts(d["rows"][key]["sent"]) or (0, 0))[1] == n else None)
        ok(f"nc: the row says {row['state']}, received {row['recv']}, sent {row['sent']} (seg/B/rtx)")
        nc.stdin.close()
        if nc.wait(timeout=WAIT) != 0:
            fail("nc did not end cleanly")
        check_conn(driver, key, "nc", ["CLOSE_WAIT", "LAST_ACK", "CLOSED"],
                   ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1"])
        until(driver, "nc: the row is CLOSED", lambda d: d["rows"].get(key, {}).get("state") == "CLOSED")
        ok("nc: the row says CLOSED")
        before.add(key)

        # tcp-client on the serial service: lwIP closes actively, so
        # TIME_WAIT (the test runs lwip-tap with a short --msl), then CLOSED.
        cl = subprocess.run([TCP_CLIENT, LWIP, "1234"], input=SERIAL_IN, capture_output=True, timeout=WAIT)
        if cl.returncode != 0 or cl.stdout.rstrip(b"\n") != SERIAL_OUT.rstrip(b"\n"):
            fail(f"tcp-client: exit {cl.returncode}, output {cl.stdout!r}")
        key = new_key(driver, 1234, before, "the tcp-client connection appears on the page")
        ok(f"tcp-client's connection is on the page: {key}")
        row = until(driver, f"tcp-client: the row says TIME_WAIT, {len(SERIAL_IN)} bytes received, "
                    f"{len(SERIAL_OUT)} sent",
                    lambda d: d["rows"].get(key) if d["rows"].get(key, {}).get("state") == "TIME_WAIT"
                    and (counts(d["rows"][key]["recv"]) or (0, 0))[1] == len(SERIAL_IN)
                    and (counts(d["rows"][key]["sent"]) or (0, 0))[1] == len(SERIAL_OUT) else None)
        ok(f"tcp-client: the row says {row['state']}, received {row['recv']}, sent {row['sent']}")
        check_conn(driver, key, "tcp-client", ["FIN_WAIT_1", "TIME_WAIT", "CLOSED"],
                   ["CLOSED", "SYN_SENT", "ESTABLISHED"])
        until(driver, "tcp-client: the row is CLOSED", lambda d: d["rows"].get(key, {}).get("state") == "CLOSED")
        ok("tcp-client: the row says CLOSED after TIME_WAIT")
        driver.save_screenshot(SHOT)
        ok(f"screenshot {SHOT}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
