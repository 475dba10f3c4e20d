#!/usr/bin/env python3
"""Writes the small seed corpora of fuzz/corpus/ from tests/data and the option tables.
Run from the repository root. The long fuzz runs grow a scratch copy, never these."""
import base64, glob, json, os

root = 'fuzz/corpus'

def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# Structured targets read their input through `arbitrary` 1.x: a Vec is a sequence of
# (continue byte, element) ending in an even byte, a bool is a byte's low bit, an integer is
# little-endian, and a String takes its length from the *end* of the data (one byte while the
# data is at most 256 bytes long). These helpers write those layouts, so that the seeds decode
# to the values named here (tests/tests/corpus.rs checks a few).
def arb_bytes(b):
    return b''.join(b'\x01' + bytes([c]) for c in b) + b'\x00'

def arb_list(items):
    return b''.join(b'\x01' + arb_bytes(x) for x in items) + b'\x00'

def arb_u16(n):
    return n.to_bytes(2, 'little')

def arb_strings(front_parts, strings):
    """Strings interleaved with other front bytes: front_parts[i] is written before strings[i];
    each string's length byte goes at the end, the first string's last."""
    assert sum(map(len, strings)) + len(strings) + sum(map(len, front_parts)) <= 256
    front = b''.join(f + s for f, s in zip(front_parts, strings))
    return front + bytes(len(x) for x in reversed(strings))

opts = [
    "lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work,extraoption=e30=,dev,suid",
    "ro,lowerdir=/a,upperdir=/u\\:x\\,y,workdir=/w,volatile,index=off",
    "lowerdir=/l1:/l2::/d1::/d2,rshared,x-containerd.mkdir.path=/x,nofail",
    'lowerdir=/a:/b,context="system_u:object_r:t:s0:c1,c2",fsync=volatile',
    "lowerdir=/a\\,b:/c\\:d:/e\\\\f,bind",
    "io.katacontainers.volume=YQ==,lowerdir=/a:/b,upperdir=/u,workdir=/w,ro,rw,nodev,dev,noatime",
]
for i, o in enumerate(opts):
    put('options', f'seed{i}', o)
    put('ffi', f'seed{i}', arb_bytes(o.encode()) + arb_u16(4096))
for f in sorted(glob.glob('tests/data/*.option')):
    name = os.path.basename(f)[:-len('.option')]
    opt = open(f, 'rb').read().strip()
    key, val = opt.split(b'=', 1)
    put('options', name, b'lowerdir=/a:/b,' + opt)
    raw = base64.b64decode(val)
    if key == b'extraoption':
        put('extra_raw', name + '-b64', b'\x00' + val)
        put('extra_raw', name + '-json', b'\x01' + raw)
    else:
        put('kata_volume', name, raw)
    put('ffi', name, arb_bytes(val) + arb_u16(4096))
    put('ffi', name + '-small', arb_bytes(val) + arb_u16(16))
    for k, v in json.loads(raw).items():
        if isinstance(v, str):
            put('json_unescape', f'{name}-{k}', json.dumps(v)[1:-1])
put('json_unescape', 'escapes', r'q\"b\\s\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00\u2028')
put('json_unescape', 'lone', r'\ud800x')
put('extra_go', 'seed0', arb_strings([b'', b'', b'', b'\x01'],
                                     [b'/var/lib/x<a&b>', b'{"auth":"x\xe2\x80\xa8"}', b'/snap', b'v6']))
put('layers', 'seed0', arb_list([b'/a,b', b':c', b'=\\']) + b'\x01' + arb_bytes(b'/u:x') + b'\x01')
put('layers', 'seed1', arb_list([b'/l1', b'/l2']) + b'\x00\x00')
put('cli_args', 'seed0', arb_list([b'overlay', b'/t', b'-o', b'lowerdir=/a:/b', b'-t', b'nydus-overlayfs']))
put('cli_args', 'seed1', arb_list([b'-fvo', b'x', b'-N', b'1234', b'/dev/fd/3']))

# Error seeds: one input per refusal the valid seeds above never reach, so that the corpora
# start on every error path (scripts/fuzz-coverage.sh lists the lines the corpora miss).
refused = {
    'add-layer': b'lowerdir=/a:/b,lowerdir+=/c',
    'upper-without-work': b'lowerdir=/a:/b,upperdir=/u',
    'work-without-upper': b'lowerdir=/a:/b,workdir=/w',
    'too-many-layers': b'lowerdir=' + b':'.join(b'/%d' % i for i in range(501)),
    'too-few-layers': b'lowerdir=/a',
    'duplicate': b'lowerdir=/a:/b,upperdir=/u,workdir=/w,upperdir=/v',
    'missing-value': b'lowerdir=/a:/b,upperdir',
    'unterminated-quote': b'lowerdir=/a:/b,context="x,y',
    'trailing-backslash': b'lowerdir=/a:/b,x\\',
    'nul': b'lowerdir=/a:/b,x\x00y',
    'nul-before-quote': b'lowerdir=/a:/b,a\x00,"x',
    'empty-first-layer': b'lowerdir=:/a:/b',
    'normal-after-data-only': b'lowerdir=/a::/d:/e',
    'trailing-separator': b'lowerdir=/a:/b:',
    'data-only-only': b'lowerdir=/a::/d',
    'nul-inside-open-quote': b'lowerdir=/a:/b,x\x00"y',
    'empty-items': b',,lowerdir=/a:/b,,ro,',
}
for name, o in refused.items():
    put('options', f'refused-{name}', o)
json_faults = {
    'deep': '{"a":' + '[' * 70 + ']' * 70 + '}',
    'nulls': '{"source":null,"config":null,"snapshotdir":"/s"}',
    'numbers': '{"n":[-0.5e+10,1E-2,0,12.25,-7],"t":true,"f":false,"z":null}',
    'number-no-fraction': '{"n":1.}',
    'number-no-exponent': '{"n":1e+}',
    'number-sign-only': '{"n":-}',
    'control': '{"source":"a\x01b"}',
    'control-in-unknown': '{"x":"a\x1fb"}',
    'lone-high': '{"source":"\\ud800"}',
    'lone-low': '{"source":"\\udc00x"}',
    'high-then-other': '{"source":"\\ud800\\u0041"}',
    'bad-escape': '{"source":"\\x"}',
    'short-unicode': '{"source":"\\u12"}',
    'missing-colon': '{"a" 1}',
    'trailing-comma': '{"a":1,}',
    'leading-comma': '{,}',
    'missing-comma': '{"a":[1 2]}',
    'bad-literal': '{"a":tru}',
    'trailing-text': '{"a":1}x',
    'unclosed': '{"a":[1',
    'top-array': '[]',
    'top-string': '"s"',
    'wrong-type': '{"source":1}',
    'duplicate': '{"source":"a","source":"b"}',
    'duplicate-escaped': '{"source":"a","sour\\u0063e":"b"}',
    'escaped-unknown': '{"\\u0041":{"b":[{}]},"config":"{}"}',
    'bad-key': '{1:2}',
    'close-mismatch': '{"a":[}',
    'unterminated-string': '{"a":"abc',
    'bad-escape-in-key': '{"\\x":1}',
    'extra-close': '{"a":1}}',
}
for name, j in json_faults.items():
    put('extra_raw', f'fault-{name}', b'\x01' + j.encode())
put('extra_raw', 'fault-utf8', b'\x01{"source":"\xff"}')
put('extra_raw', 'b64-bad-byte', b'\x00eyJ@')
put('extra_raw', 'b64-bad-last-symbol', b'\x00YR==')
put('extra_raw', 'b64-unpadded', b'\x00YQ')
for name, s in {'lone-then-letter': r'\ud800\u0041', 'lone-low': r'\udc00', 'bad-escape': r'a\x',
                'short-unicode': r'\u12', 'control': 'a\x01b', 'quote': 'a"b'}.items():
    put('json_unescape', f'fault-{name}', s)
kata_faults = {
    'unknown-type': '{"volume_type":"floppy"}',
    'no-type': '{"source":"/s"}',
    'options-not-array': '{"volume_type":"layer_nydus_fs","options":{}}',
    'nested-wrong-type': '{"volume_type":"layer_nydus_fs","nydus_image":{"config":7}}',
    'nested-null': '{"volume_type":"layer_nydus_fs","nydus_image":null,"dm_verity":null}',
    'metadata-not-strings': '{"volume_type":"direct_block","direct_volume":{"metadata":{"a":1}}}',
    'metadata-array': '{"volume_type":"direct_block","direct_volume":{"metadata":["a"]}}',
    'duplicate-nested': '{"volume_type":"image_guest_pull","image_pull":{"metadata":{},"metadata":{}}}',
}
for name, j in kata_faults.items():
    put('kata_volume', f'fault-{name}', j)
