#!/usr/bin/env bash
# install_test.sh - installs hearth into a temporary prefix and proves that a
# program outside the tree builds with `cc prog.c $(pkg-config --cflags --libs hearth)`
# and runs, against the shared library and (with --static) the static one.
set -euo pipefail
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make --no-print-directory -s install PREFIX="$prefix" >/dev/null
cat > "$prefix/prog.c" <<'PROG'
#include <hearth.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    hearth_gguf *g = NULL;
    hearth_status st = hearth_gguf_open("/nonexistent/file.gguf", NULL, &g);
    if (st != HEARTH_ERR_IO || g != NULL || strlen(hearth_last_error()) == 0) return 1;
    if (hearth_version_number() != HEARTH_VERSION_NUMBER) return 1;
    printf("hearth %s\n", hearth_version_string());
    return 0;
}
PROG
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc "$prefix/prog.c" -o "$prefix/prog" $(pkg-config --cflags --libs hearth) -Wl,-rpath,"$prefix/lib"
out=$("$prefix/prog")
# Static: the archive itself, then the private libraries hearth.pc lists.
cc "$prefix/prog.c" -o "$prefix/prog_static" $(pkg-config --cflags hearth) "$prefix/lib/libhearth.a" \
   $(pkg-config --static --libs hearth | tr ' ' '\n' | grep -v -- '^-lhearth$' | tr '\n' ' ')
out_static=$("$prefix/prog_static")
[ "$out" = "$out_static" ] && [[ "$out" == hearth\ * ]] || { echo "install test: FAILED ($out / $out_static)"; exit 1; }
echo "install test: ok (shared and static link through pkg-config)"
