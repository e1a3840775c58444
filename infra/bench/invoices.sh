#!/usr/bin/env bash
# Invoices (issue 13): invoice render alone, PDFs per second on one thread (one worker thread)
# and file size, for a 1-line and a 20-line invoice (18% GST included, a coupon, buyers in
# several scripts), with the cut-down font the stacks use and with the whole font. Prints
# figures; asserts nothing. Usage: infra/bench/invoices.sh [PDFs per run]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
COUNT="${1:-1000}"

install_packages
# LMS_BENCH_BUILD_DIR: an achievements-bench already built there instead of a release build
# (made as build_release makes it: with the workers, since it links libharu).
if [ -z "${LMS_BENCH_BUILD_DIR:-}" ]; then
  log "building achievements-bench (release)"
  workers=(-c release --static-swift-stdlib --scratch-path "$LMS_ROOT/.build-workers" --manifest-cache none)
  LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --product achievements-bench 2>&1 | release_build_output ||
    die "release build of achievements-bench failed"
  BIN="$(LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --show-bin-path)"
else
  BIN="$LMS_BENCH_BUILD_DIR"
fi

STACK="$(mktemp -d /tmp/lms-invoices.XXXXXX)"
trap 'rm -rf "$STACK"' EXIT
certificate_font >/dev/null
SUBSET="$STACK/fonts/DejaVuSans-certificate.ttf"
[ -s "$SUBSET" ] || die "could not make the cut-down font (python3-fonttools)"

echo "== invoice render ($(nproc) cores shared with whatever else runs: figures taken under that load)"
for lines in 1 20; do
  CERTIFICATE_SUBSET_FONT="$SUBSET" "$BIN/achievements-bench" invoices --count "$COUNT" --lines "$lines"
done
for lines in 1 20; do
  "$BIN/achievements-bench" invoices --count "$((COUNT / 4))" --lines "$lines"
done
