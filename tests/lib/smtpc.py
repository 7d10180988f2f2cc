#!/usr/bin/env python3
"""smtpc.py - a small SMTP load client for the reliability tests and the
benchmarks: sends message files over parallel connections and counts the
replies, or holds connections open for memory measurements.

  smtpc.py send [options] FILE...     send each file once (or to every port)
  smtpc.py hold [options] N SECONDS   open N sessions, stop after RCPT, wait

send prints one line of counts, "sent N ok N tempfail N permfail N error N",
then, with --latency, "p50_ms X p99_ms Y mean_ms Z" (the time of one whole
transaction: MAIL FROM to the reply to the final dot). --codes FILE writes
each file's final reply code ("FILE CODE"; 0 for a connection error).
"""
import argparse
import smtplib
import sys
import threading
import time


def parse_args():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("send", "hold"):
        s = sub.add_parser(name)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", default="25",
                       help="comma-separated; send: each file goes to every port at once")
        s.add_argument("--from", dest="sender", default="load@sender.test")
        s.add_argument("--to", default="support@help.test", help="comma-separated recipients")
        s.add_argument("--helo", default="client.sender.test")
        s.add_argument("--source", default=None, help="source address to bind")
        s.add_argument("--timeout", type=float, default=120)
    send = sub.choices["send"]
    send.add_argument("--conns", type=int, default=1, help="parallel connections")
    send.add_argument("--per-conn", type=int, default=1, help="messages per connection")
    send.add_argument("--latency", action="store_true")
    send.add_argument("--codes", default=None)
    send.add_argument("--smtputf8", action="store_true")
    send.add_argument("files", nargs="+")
    hold = sub.choices["hold"]
    hold.add_argument("count", type=int)
    hold.add_argument("seconds", type=float)
    return p.parse_args()


def connect(args, port):
    src = (args.source, 0) if args.source else None
    s = smtplib.SMTP(args.host, port, local_hostname=args.helo,
                     timeout=args.timeout, source_address=src)
    s.ehlo()
    return s


def transaction(s, args, data):
    """One message; returns the final reply code."""
    opts = ["SMTPUTF8", "BODY=8BITMIME"] if args.smtputf8 else []
    code, _ = s.mail(args.sender, opts)
    if code != 250:
        s.rset()
        return code
    accepted = 0
    last = 0
    for rcpt in args.to.split(","):
        code, _ = s.rcpt(rcpt)
        last = code
        if code == 250:
            accepted += 1
    if accepted == 0:
        s.rset()
        return last
    code, _ = s.data(data)
    return code


def cmd_send(args):
    ports = [int(p) for p in args.port.split(",")]
    jobs = [(f, p) for f in args.files for p in ports]
    if len(ports) > 1:
        # The copies of one message go out next to each other, so that
        # different connections deliver them at the same time.
        jobs.sort(key=lambda j: args.files.index(j[0]))
    lock = threading.Lock()
    counts = {"sent": 0, "ok": 0, "tempfail": 0, "permfail": 0, "error": 0}
    times, codes = [], []

    def worker():
        s = None
        used = 0
        while True:
            with lock:
                if not jobs:
                    break
                f, port = jobs.pop(0)
            data = open(f, "rb").read()
            start = time.monotonic()
            try:
                if s is None or used >= args.per_conn or s.sock is None or port != s._port:
                    if s is not None:
                        try:
                            s.quit()
                        except Exception:
                            pass
                    s = connect(args, port)
                    s._port = port
                    used = 0
                used += 1
                code = transaction(s, args, data)
            except smtplib.SMTPResponseException as e:
                code = e.smtp_code
                s = None
            except (OSError, smtplib.SMTPException):
                code = 0
                s = None
            elapsed = time.monotonic() - start
            with lock:
                counts["sent"] += 1
                if code == 250:
                    counts["ok"] += 1
                    times.append(elapsed)
                elif 400 <= code < 500:
                    counts["tempfail"] += 1
                elif 500 <= code < 600:
                    counts["permfail"] += 1
                else:
                    counts["error"] += 1
                codes.append((f, port, code))
        if s is not None:
            try:
                s.quit()
            except Exception:
                pass

    threads = [threading.Thread(target=worker) for _ in range(args.conns)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    print(" ".join("%s %d" % kv for kv in counts.items()) + " seconds %.3f" % wall)
    if args.latency:
        times.sort()
        if times:
            def q(x):
                return times[min(len(times) - 1, int(len(times) * x))] * 1000
            print("p50_ms %.2f p99_ms %.2f mean_ms %.2f" %
                  (q(0.50), q(0.99), sum(times) * 1000 / len(times)))
        else:
            print("p50_ms - p99_ms - mean_ms -")
    if args.codes:
        with open(args.codes, "w") as out:
            for f, port, code in codes:
                out.write("%s %d %d\n" % (f, port, code))


def cmd_hold(args):
    port = int(args.port.split(",")[0])
    sessions = []
    for _ in range(args.count):
        s = connect(args, port)
        s.mail(args.sender)
        for rcpt in args.to.split(","):
            s.rcpt(rcpt)
        sessions.append(s)
    print("open %d" % len(sessions), flush=True)
    time.sleep(args.seconds)
    for s in sessions:
        try:
            s.rset()
            s.quit()
        except Exception:
            pass


def main():
    args = parse_args()
    if args.cmd == "send":
        cmd_send(args)
    else:
        cmd_hold(args)


if __name__ == "__main__":
    main()
