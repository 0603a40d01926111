#!/usr/bin/env bash
# The core must compile in Embedded Swift mode, and must not pull in the Unicode data tables
# (String comparison / counting costs hundreds of KB of flash on the router).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swiftc -enable-experimental-feature Embedded -wmo -parse-as-library -module-name DDHCPCore -Osize \
    -c Sources/DDHCPCore/*.swift -o "$out/core-emb.o"
echo "embedded core object: $(stat -c %s "$out/core-emb.o") bytes"
# Unicode tables and normalisation/grapheme helpers of the stdlib.
if nm "$out/core-emb.o" | grep -E '_swift_stdlib_(getNormData|getComposition|getDecompositionEntry|getGraphemeBreakProperty|isExtendedPictographic|getScalarBitArrayIdx|getWordBreakProperty|getSpecialMapping|getMapping|getNameAlias|getScalarName|getAge|getGeneralCategory|getNumericType|getNumericValue|isInCB_Consonant|getSpecialMappingEntry)|swift_stdlib_.*[Uu]nicode|_swift_stdlib_nfd|_swift_stdlib_nfc'; then
    echo "FAIL: the core references Unicode data tables (String work slipped in)" >&2
    exit 1
fi
# Any remaining stdlib Unicode/String-normalisation entry point is suspicious too.
if nm -u "$out/core-emb.o" | grep -E 'swift_stdlib_' ; then
    echo "FAIL: the core references swift_stdlib_ runtime helpers (listed above)" >&2
    exit 1
fi
echo "ok: no Unicode table references"
