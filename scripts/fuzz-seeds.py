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
    put('ffi', f'seed{i}', bytes([len(o) & 255, 0]) + o.encode() + b'\x00\x10')
for f in sorted(glob.glob('tests/data/*.option')):
    name = os.path.basename(f)[:-len('.option')]
    opt = open(f, 'rb').read().strip()
    key, val = opt.split(b'=', 1)
    put('options', name, b'lowerdir=/a:/b,' + opt)
    raw = base64.b64decode(val)
    if key == b'extraoption':
        put('extra_raw', name + '-b64', b'\x00' + val)
        put('extra_raw', name + '-json', b'\x01' + raw)
        put('ffi', name, val)
    else:
        put('kata_volume', name, raw)
    for k, v in json.loads(raw).items():
        if isinstance(v, str):
            put('json_unescape', f'{name}-{k}', json.dumps(v)[1:-1])
put('json_unescape', 'escapes', r'q\"b\\s\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00\u2028')
put('json_unescape', 'lone', r'\ud800x')
put('extra_go', 'seed0', b'/var/lib/x\x00<a&b>\x00{"auth":"x"}\x00/snap\x00\x01v6')
put('layers', 'seed0', b'\x03/a,b\x02:c\x01=\\\x00\xff\x01/u:x')
put('cli_args', 'seed0', b'\x07overlay\x02/t\x02-o\x0elowerdir=/a:/b\x02-t\x0fnydus-overlayfs')
put('cli_args', 'seed1', b'\x04-fvo\x01x\x02-N\x041234\x09/dev/fd/3')
