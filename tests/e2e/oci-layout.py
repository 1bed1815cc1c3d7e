#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes an OCI image layout by hand for tests/e2e/image-pull.sh, for what umoci and skopeo will
# not make: layers with hostile entries, an index that has only another architecture, a big
# incompressible layer. Digests are SHA-256 of the blobs as written.
#
#   oci-layout.py KIND DIR TAG
#   KIND: dotdot | absolute | whiteout | hardlink | arm64 | arm64-index | big:MIB | zeros:MIB | static:BIN
#         | rootfs:TAR (a whole root filesystem's tar as the one layer, command /sbin/init)
#         | tree:DIR (DIR's contents as the one layer, gzip'd, owners and modes as they are; command
#           /bin/sh, for `umoci config` to change: umoci insert can cut such a layer short)
#   (big: incompressible; zeros: a gzip'd layer of a few KiB that unpacks to MIB; static: BIN
#   (a static busybox) as /app/busybox, the entrypoint, serving /app on port 8081 — no shell,
#   no /etc, nothing else. umoci 0.4.7's insert can write a layer whose tar is cut short at the
#   end, which image pull rightly refuses, so this one is written here.)
import gzip, hashlib, io, json, os, sys, tarfile

kind, out, tag = sys.argv[1], sys.argv[2], sys.argv[3]


def blob(data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{out}/blobs/sha256", exist_ok=True)
    with open(f"{out}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


def layer(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, typ, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mode = 0o755 if typ == "dir" else 0o644
            if typ == "exe":
                ti.mode = 0o755
                ti.size = len(arg)
                t.addfile(ti, io.BytesIO(arg))
            elif typ == "file":
                ti.size = len(arg)
                t.addfile(ti, io.BytesIO(arg))
            elif typ == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif typ == "hard":
                ti.type = tarfile.LNKTYPE
                ti.linkname = arg
                t.addfile(ti)
    return b.getvalue()


def manifest(layers, arch, gz=False, config=None):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    if gz:
        ls = [dict(blob(gzip.compress(l, 9)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
              for l in layers]
    else:
        ls = [dict(blob(l), mediaType="application/vnd.oci.image.layer.v1.tar") for l in layers]
    cfg = {"architecture": arch, "os": "linux", "config": config or {"Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    c = dict(blob(json.dumps(cfg).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": c, "layers": ls}
    return dict(blob(json.dumps(m).encode()), mediaType=m["mediaType"],
                platform={"architecture": arch, "os": "linux"})


ok = [("etc", "dir", None), ("etc/hello", "file", b"hi\n")]
if kind == "dotdot":
    top = manifest([layer(ok + [("../../../../../../tmp/banger-pull-escaped", "file", b"x")])], "amd64")
elif kind == "absolute":
    top = manifest([layer(ok + [("/tmp/banger-pull-escaped", "file", b"x")])], "amd64")
elif kind == "whiteout":
    top = manifest([layer(ok), layer([("etc/../../.wh.tmp", "file", b"")])], "amd64")
elif kind == "hardlink":
    top = manifest([layer(ok + [("etc/shadow-copy", "hard", "/etc/shadow")])], "amd64")
elif kind == "arm64":
    top = manifest([layer(ok)], "arm64")
elif kind == "arm64-index":
    m = manifest([layer(ok)], "arm64")
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [m]}
    top = dict(blob(json.dumps(idx).encode()), mediaType=idx["mediaType"])
elif kind.startswith("big:"):
    top = manifest([layer(ok + [("big", "file", os.urandom(int(kind[4:]) << 20))])], "amd64")
elif kind.startswith("static:"):
    with open(kind[7:], "rb") as f:
        bb = f.read()
    top = manifest([layer([("app", "dir", None), ("app/busybox", "exe", bb),
                           ("app/marker", "file", b"static-marker\n")])], "amd64", gz=True,
                   config={"Entrypoint": ["/app/busybox"], "Cmd": ["httpd", "-f", "-p", "8081", "-h", "/app"]})
elif kind.startswith("rootfs:"):
    with open(kind[7:], "rb") as f:
        top = manifest([f.read()], "amd64", config={"Cmd": ["/sbin/init"]})
elif kind.startswith("tree:"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(kind[5:])):
            t.add(os.path.join(kind[5:], name), arcname=name)
    top = manifest([b.getvalue()], "amd64", gz=True)
elif kind.startswith("zeros:"):
    top = manifest([layer(ok + [("zeros", "file", bytes(int(kind[6:]) << 20))])], "amd64", gz=True)
else:
    sys.exit(f"unknown kind {kind}")
top.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = tag
with open(f"{out}/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(f"{out}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
