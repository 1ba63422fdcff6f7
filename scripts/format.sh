#!/usr/bin/env bash
# Format the C sources with clang-format and the project's .clang-format.
#   ./scripts/format.sh           rewrite every unformatted file in place
#   ./scripts/format.sh --check   list the unformatted files, exit 1 if any
# Files: the git-tracked *.c and *.h (outside a git checkout, those under the
# source directories: bench frontend fuzz include pkcs11 provider sim src test tools).
# The tree is formatted with clang-format 14 (Debian 12's); other major versions
# lay some macros out differently, so --check with another one says so and exits
# 77 (a skip for meson) instead of giving a verdict.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null || { echo "$0: $clang_format not found (apt-get install clang-format)" >&2; exit 2; }
[ -f .clang-format ] || { echo "$0: no .clang-format in $here" >&2; exit 2; }
pinned=14
major=$("$clang_format" --version | sed -n 's/.*clang-format version \([0-9]*\).*/\1/p' | head -n 1)
if [ "$major" != "$pinned" ]; then
  if [ $check -eq 1 ]; then
    echo "$0: the tree is formatted with clang-format $pinned; this is clang-format ${major:-?}: not checked"
    exit 77
  fi
  echo "$0: warning: formatting with clang-format ${major:-?}, not $pinned: expect unrelated changes" >&2
fi

src_dirs="bench frontend fuzz include pkcs11 provider sim src test tools"
files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" = "$here" ]; then
  mapfile -t files < <(git ls-files -- '*.c' '*.h')
else
  # Only the source directories: a build directory anywhere holds generated C.
  dirs=()
  for d in $src_dirs; do [ -d "$d" ] && dirs+=("$d"); done
  [ ${#dirs[@]} -gt 0 ] || { echo "$0: no source directories in $here" >&2; exit 2; }
  mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | sort)
fi
existing=()
for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done # skip deletions not yet committed
files=("${existing[@]}")
[ ${#files[@]} -gt 0 ] || { echo "$0: no C sources found" >&2; exit 2; }

if [ $check -eq 0 ]; then
  "$clang_format" -i --style=file -- "${files[@]}"
  exit 0
fi
# One clang-format run over all files; --dry-run names each unformatted file.
out=$("$clang_format" --style=file --dry-run -- "${files[@]}" 2>&1) || { echo "$out" >&2; exit 2; }
bad=$(printf '%s\n' "$out" | sed -n 's/^\(.*\):[0-9]*:[0-9]*: warning: code should be clang-formatted.*/\1/p' | uniq)
[ -z "$bad" ] && exit 0
printf '%s\n' "$bad"
echo "$0: the files above are not formatted; run ./scripts/format.sh" >&2
exit 1
