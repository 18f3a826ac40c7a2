#!/usr/bin/env python3
"""Writes samples/smart-home/commands.csv: the spoken-command track of the smart-home demo.

Spoken digits of the Free Spoken Digit Dataset's test split (recording index 0-4, never seen in
training) are placed on the room log's timeline (UCI Occupancy `datatest.txt`, Unix seconds, UTC):
"1" (lights on) one to three minutes after people arrive, "0" (lights off) one to two minutes
before they leave (stays of at least 10 minutes), and other digits, which are not commands, at
random moments while the room is occupied. Seeded, so the file is the same on every run:

    python3 samples/smart-home/make_schedule.py            # from the repository root

Columns: time (Unix seconds of the clip's first sample), path (relative to this CSV), label (the
digit said: the truth the demo's report compares against).
"""
import csv
import datetime
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
ROOM = os.path.join(DATA, "series", "occupancy", "datatest.txt")
RECORDINGS = os.path.join(DATA, "audio", "fsdd", "recordings")
SPEAKERS = ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
SEED = 2015


def unix(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()


def main():
    rng = random.Random(SEED)
    with open(ROOM, newline="") as f:
        rows = list(csv.reader(f))[1:]
    times = [unix(r[1]) for r in rows]
    occupied = [int(r[-1]) for r in rows]
    # Stays: runs of occupied readings (the log starts inside one).
    stays, start = [], None
    for k, o in enumerate(occupied):
        if o and start is None:
            start = k
        if (not o or k == len(occupied) - 1) and start is not None:
            stays.append((times[start], times[k if not o else k]))
            start = None
    events = []
    for begin, end in stays:
        if end - begin < 600:
            continue
        events.append((begin + rng.uniform(60, 180), 1))
        events.append((end - rng.uniform(60, 120), 0))
        # Other digits while people are in: not commands, the lights must ignore them.
        for _ in range(1 if end - begin < 3600 else 2):
            events.append((rng.uniform(begin + 300, end - 300), rng.choice([2, 3, 4, 5, 6, 7, 8, 9])))
    events.sort()
    out = os.path.join(HERE, "commands.csv")
    with open(out, "w", newline="") as f:
        f.write("time,path,label\n")
        for t, digit in events:
            name = "%d_%s_%d.flac" % (digit, rng.choice(SPEAKERS), rng.randrange(5))
            rel = os.path.relpath(os.path.join(RECORDINGS, name), HERE)
            f.write("%.3f,%s,%d\n" % (t, rel, digit))
    print("wrote %s: %d clips over %d stays" % (out, len(events), len([s for s in stays if s[1] - s[0] >= 600])))


if __name__ == "__main__":
    main()
