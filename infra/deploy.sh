#!/usr/bin/env bash
# Builds functions as release binaries (the way infra/up.sh does) and deploys them into the
# running local stack with `lmsctl deploy`: CGI picks the new binary up on the next request,
# FastCGI servers are replaced gracefully, nothing else restarts. `lmsctl rollback NAME` undoes
# it. Usage: infra/deploy.sh NAME...   (LMS_DATA_DIR as for infra/up.sh)
source "$(dirname "$0")/scripts/lib.sh"
cd "$LMS_ROOT"
[ $# -gt 0 ] || die "usage: infra/deploy.sh NAME... (names: ls Functions/*/)"
ensure_service_user
stack_init "${LMS_DATA_DIR:-$LMS_ROOT/.data}"
fetch_pg_static
flags=(-c release --static-swift-stdlib)
[ -f "$LMS_ROOT/.deps/pg/libpgcommon_shlib.a" ] && flags+=(-Xswiftc -static-executable)
# Functions that link libcurl are built like the workers (see curl_function_names).
workers=(-c release --static-swift-stdlib --scratch-path "$LMS_ROOT/.build-workers" --manifest-cache none)
LMS_BUILD_DIR="$(swift build "${flags[@]}" --show-bin-path)"
LMS_WORKER_BUILD_DIR="$(LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --show-bin-path)"
binaries=()
for name in "$@"; do
  function_names | grep -qx -- "$name" || die "no function named $name"
  log "building $name"
  if curl_function_names | grep -qx -- "$name"; then
    LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --product "$name" 2>&1 | release_build_output || die "release build of $name failed"
    binaries+=("$name=$LMS_WORKER_BUILD_DIR/$name")
  else
    swift build "${flags[@]}" --product "$name" 2>&1 | release_build_output || die "release build of $name failed"
    binaries+=("$name=$LMS_BUILD_DIR/$name")
  fi
done
lmsctl deploy "${binaries[@]}"
[ "$(id -u)" -eq 0 ] && chown -R "$LMS_SERVICE_USER" "$STACK/functions" "$STACK/releases"
lmsctl status | grep -E "^($(IFS='|'; echo "$*")) "
