"""Derives data/diurnal_servegen.csv from the ServeGen language m-large trace (14 days, 162 clients).

Usage: python3 tools/derive_diurnal.py ../shared/data/traces/servegen/language_m-large > data/diurnal_servegen.csv
Each trace row is (window_start_s, rate_req_per_s, ...) per client per 600-s window. The profile is the
total rate summed over clients, averaged over the 14 days for each hour of the day, normalised to mean 1.
"""
import csv, glob, os, sys
from collections import defaultdict

root = sys.argv[1]
total = defaultdict(float)
for path in glob.glob(os.path.join(root, "chunk-*-trace.csv")):
    with open(path) as f:
        for row in csv.reader(f):
            if not row or not row[0]:
                continue
            total[int(float(row[0]))] += float(row[1])
by_hour = defaultdict(list)
for start, rate in total.items():
    by_hour[(start // 3600) % 24].append(rate)
means = [sum(by_hour[h]) / len(by_hour[h]) for h in range(24)]
m = sum(means) / 24
days = (max(total) - min(total)) / 86400
print("# Diurnal load profile derived from Alibaba ServeGen (Apache-2.0), data/language/m-large @ f891d118:")
print(f"# total request rate of {len(glob.glob(os.path.join(root, 'chunk-*-trace.csv')))} client chunks, {days:.1f} days of 600-s windows,")
print("# averaged per hour of the trace's day and divided by the daily mean (mean weight = 1).")
print("# Hour 0 is the trace's own hour 0 (its time zone is not published). Made by tools/derive_diurnal.py.")
print("hour,weight")
for h in range(24):
    print(f"{h},{means[h]/m:.4f}")
