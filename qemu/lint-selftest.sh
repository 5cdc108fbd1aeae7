#!/usr/bin/env bash
# Proves that qemu/lint.py can fail: runs it over qemu/lint-fixtures/ (bad examples of every rule
# next to good ones that must pass, a skipped generated file, a broken exceptions file) and
# compares its report with qemu/lint-fixtures/expected. Exit status 0 when they match.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
# shellcheck source=qemu/common.sh
. qemu/common.sh
fx=qemu/lint-fixtures

rc=0
out=$(qemu/lint.py --root "$fx" --exceptions "$fx/lint-exceptions") || rc=$?
[ "$rc" = 1 ] || die "lint self-test: qemu/lint.py exited $rc on the bad examples, not 1"
diff -u "$fx/expected" - <<<"$out" >&2 ||
	die "lint self-test: qemu/lint.py's report on $fx/ differs from $fx/expected (above)"
# Each rule must have fired: a report edited to match a broken checker is caught here.
for what in ' bindings uses outside' ' extern uses outside' ' unsafe uses outside' \
	'lower the ceiling' 'unsafe block without' 'unsafe impl without' 'no `# Invariants`' \
	'without a justification' 'not a checked policy file'; do
	grep -qF -- "$what" <<<"$out" || die "lint self-test: no \"$what\" in the report"
done
