#!/usr/bin/env python3
"""Where the bytes of a linked ddhcpd go, from the ld.lld map file that toolchain/build.sh keeps
(.build-TARGET/ddhcpd.map).

    toolchain/bytes.py TARGET|MAPFILE [--top N] [--libc N]
    toolchain/bytes.py --summary TARGET...      one line per target: bytes per origin group

Prints the flash bytes (text + read-only data + initialised data; .bss separately) per origin:
our Swift modules, the Swift stdlib (incl. its generic code specialised for our types), the
Embedded Swift runtime, the C shim (all LTO-compiled), and per member of libc.a / libgcc.a.
Then the largest input sections. Section names are the function/data names because everything
is compiled with -ffunction-sections/-fdata-sections (lld does the same for LTO code).
"""
import os
import re
import sys
from collections import defaultdict

LINE = re.compile(r'^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+) (.*)$')
# Output sections that occupy no file space.
NOBITS = {'.bss', '.tbss', '.relro_padding'}
# Output sections not loaded at run time (do not count towards flash use either way).
SKIP = {'.comment', '.symtab', '.strtab', '.shstrtab', '.ARM.attributes'}


def classify(infile, section):
    """(origin bucket, short item name) for one input section."""
    base = os.path.basename(infile)
    m = re.match(r'(lib[^()]+\.a)\(([^)]+)\)', base)
    if m:
        lib, member = m.groups()
        if lib == 'libc.a':
            return 'libc', re.sub(r'\.l?o$', '', member)
        if lib == 'libgcc.a':
            return 'libgcc', re.sub(r'\.o$', '', member)
        if 'UnicodeDataTables' in lib:
            return 'Swift Unicode tables', member
        if 'support' in lib:
            return 'C support (toolchain/support)', member
        return lib, member
    name = re.sub(r'^\.(text|rodata|data|bss|data\.rel\.ro|rodata\.str[^.]*|tbss|tdata)\.', '', section)
    if base.endswith('.lto.o') or base.startswith('ld-temp'):
        if name.startswith(('$e6ddhcpd', '$s6ddhcpd')):
            return 'Swift ddhcpd', name
        if name.startswith(('$e9DDHCPCore', '$s9DDHCPCore')):
            return 'Swift DDHCPCore', name
        if name.startswith(('$es', '$eS', '$ss', '$sS')):
            return 'Swift stdlib (generic/specialised)', name
        if name.startswith(('$e', '$s')):
            return 'Swift other', name
        if name.startswith(('swift_', '_swift_')):
            return 'Swift runtime', name
        if name in ('.text', '.rodata', '.data', '.bss', '.data.rel.ro') or name.startswith('.rodata'):
            return 'LTO unnamed constants/strings', name
        return 'C (DDHCPSystem shim, LTO)', name
    if base.startswith('crt'):
        return 'crt', base
    if infile == '<internal>':
        return 'linker synthesised (merged strings, GOT, ...)', section
    return base, name


# Coarse groups for the one-line summary.
GROUPS = [
    ('ours', ('Swift ddhcpd', 'Swift DDHCPCore')),
    ('stdlib', ('Swift stdlib (generic/specialised)', 'Swift runtime', 'Swift other',
                'Swift Unicode tables')),
    ('C shim', ('C (DDHCPSystem shim, LTO)', 'C support (toolchain/support)')),
    ('consts', ('LTO unnamed constants/strings', 'linker synthesised (merged strings, GOT, ...)')),
    ('libc', ('libc',)),
    ('libgcc', ('libgcc',)),
]


def map_path(arg):
    if os.path.isfile(arg):
        return arg
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(root, '.build-' + arg, 'ddhcpd.map')


def parse(path):
    """flash bytes per bucket, bss bytes per bucket, bytes per (bucket, item)."""
    header = None
    out_sec = None
    flash = defaultdict(int)
    bss = defaultdict(int)
    items = defaultdict(int)
    with open(path) as f:
        for line in f:
            if header is None:   # column positions of "Out" / "In" / "Symbol"
                header = (line.index('Out'), line.index('In '), line.index('Symbol'))
                continue
            m = LINE.match(line)
            if not m:
                continue
            size = int(m.group(3), 16)
            rest = m.group(5)
            col = m.start(5) + len(rest) - len(rest.lstrip(' '))
            if col == header[0]:
                out_sec = rest.strip()
                continue
            if col != header[1] or size == 0 or out_sec in SKIP or out_sec.startswith('.debug'):
                continue            # symbol lines repeat their input section's bytes
            text = rest.strip()
            mm = re.match(r'(.*):\((.*)\)$', text)
            infile, section = (mm.group(1), mm.group(2)) if mm else (text, out_sec)
            bucket, item = classify(infile, section)
            if out_sec in NOBITS:
                bss[bucket] += size
            else:
                flash[bucket] += size
                items[(bucket, item)] += size
    return flash, bss, items


def summary(targets):
    names = [g for g, _ in GROUPS] + ['other', 'total']
    print(f'{"arch":8} ' + ' '.join(f'{n:>7}' for n in names))
    for t in targets:
        path = map_path(t)
        if not os.path.isfile(path):
            print(f'{t:8} (no map file)')
            continue
        flash, _, _ = parse(path)
        row, seen = [], set()
        for _, buckets in GROUPS:
            row.append(sum(flash.get(b, 0) for b in buckets))
            seen.update(buckets)
        row.append(sum(v for b, v in flash.items() if b not in seen))
        row.append(sum(flash.values()))
        print(f'{t:8} ' + ' '.join(f'{v:7d}' for v in row))


def main():
    args = sys.argv[1:]
    if not args or args[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if args else 2
    if args[0] == '--summary':
        summary(args[1:])
        return 0
    top, libc_top = 25, 12
    if '--top' in args:
        top = int(args[args.index('--top') + 1])
    if '--libc' in args:
        libc_top = int(args[args.index('--libc') + 1])
    path = map_path(args[0])
    if not os.path.isfile(path):
        print(f'bytes.py: no map file {path} (build first)', file=sys.stderr)
        return 1
    flash, bss, items = parse(path)
    libc_members = {item: v for (bucket, item), v in items.items() if bucket == 'libc'}

    total = sum(flash.values())
    print(f'{"origin":46} {"flash B":>8} {"%":>5} {"bss B":>7}')
    for bucket in sorted(set(flash) | set(bss), key=lambda b: -flash.get(b, 0)):
        fb = flash.get(bucket, 0)
        print(f'{bucket:46} {fb:8d} {100.0 * fb / total if total else 0:5.1f} {bss.get(bucket, 0):7d}')
    print(f'{"total (sections; file adds headers/padding)":46} {total:8d}')
    if libc_top:
        print(f'\nlargest libc.a members (of {len(libc_members)}):')
        for member, size in sorted(libc_members.items(), key=lambda kv: -kv[1])[:libc_top]:
            print(f'  {size:7d}  {member}')
    if top:
        print(f'\nlargest input sections:')
        for (bucket, item), size in sorted(items.items(), key=lambda kv: -kv[1])[:top]:
            print(f'  {size:7d}  {bucket[:12]:12}  {item[:110]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
