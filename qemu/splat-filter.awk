# Drops the benign parts of a kernel log before it is matched against splat.match. Runs in busybox
# awk (guest) and in gawk/mawk (host).
# - The runner's own task dumps on a test timeout (tests/run_guest.sh dump_tasks: sysrq w and t,
#   between two markers): stacks of healthy tasks, not splats; the timeout is the failure. A
#   hung-task report is not inside them and still counts.
/rust_shmem-runner: task dump for .* begins/ { dump = 1 }
dump && /rust_shmem-runner: task dump for .* ends/ { dump = 0; next }
dump { next }
# - The stack dump ("Call Trace:") that every OOM-killer report carries, from "invoked oom-killer:"
#   up to the "Out of memory: Killed process" line that ends the report. Any other splat pattern
#   inside a report still counts.
/invoked oom-killer:/ { oom = 1 }
oom && /Call Trace/ { next }
/Out of memory: Killed process/ { oom = 0 }
{ print }
