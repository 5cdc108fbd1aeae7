# Drops the benign parts of a kernel log before it is matched against splat.match: the stack dump
# ("Call Trace:") that every OOM-killer report carries, from "invoked oom-killer:" up to the
# "Out of memory: Killed process" line that ends the report. Any other splat pattern inside a
# report still counts. Runs in busybox awk (guest) and in gawk/mawk (host).
/invoked oom-killer:/ { oom = 1 }
oom && /Call Trace/ { next }
/Out of memory: Killed process/ { oom = 0 }
{ print }
