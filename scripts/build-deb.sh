#!/usr/bin/env bash
# Build the Debian packages from this tree: ./scripts/build-deb.sh [OUTDIR]
# Copies the tree (the files git tracks plus new, not ignored ones; or the
# whole tree outside git, without build directories) to a scratch directory,
# runs `dpkg-buildpackage -us -uc -b` there (no tests: the suite runs from
# the source tree) and moves the .deb, .buildinfo and .changes files to
# OUTDIR (default: ./debs). Prints the build time.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$here/debs}")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/iotsafe-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
src=$scratch/iotsafe-provider
mkdir -p "$src" "$out"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$here" ls-files -z --cached --others --exclude-standard |
    (cd "$here" && xargs -0 -r tar -cf - --no-recursion --ignore-failed-read) | tar -xf - -C "$src"
else
  tar -C "$here" --exclude='./build*' --exclude='./debs' --exclude='./.git' -cf - . | tar -xf - -C "$src"
fi
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2 nocheck noddebs}" \
  dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1 || {
  tail -n 40 "$scratch/build.log"
  echo "dpkg-buildpackage failed" >&2
  exit 1
}
end=$(date +%s)
mv "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes "$out"/
echo "built in $((end - start)) s: $(cd "$out" && ls ./*.deb | sed 's|^\./||' | tr '\n' ' ')"
