#!/usr/bin/env python3
"""Bootstrap s3op's operation spec (spec/) from botocore's S3 model.

This is how spec/ was first written: it reads botocore's service-2.json (a fact source: HTTP bindings,
members, wire names, shapes) and a file of one-line summaries written in the project's own words, and
writes one TOML file per operation under spec/operations/ plus spec/shapes.toml. After that, spec/ is the
source of truth and is edited by hand; re-run this only to re-bootstrap (it overwrites spec/).

    python3 xtask/spec-import.py ../shared/s3-model/service-2.json xtask/summaries.toml spec/

The facts the typed library needs (structure members' `required`, enumerations as `type = "enum"`
shapes, `[output] member`) are added afterwards by `xtask/spec-facts.py`, which edits a spec in place.
"""

import json
import re
import sys
import tomllib
from pathlib import Path

SCALARS = {"string", "integer", "long", "boolean", "timestamp", "blob", "float", "double"}
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

MULTIPART = {
    "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
    "AbortMultipartUpload", "ListMultipartUploads", "ListParts",
}
DIRECTORY = {"CreateSession", "ListDirectoryBuckets", "RenameObject", "UpdateObjectEncryption"}
BUCKETS = {"ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket", "GetBucketLocation"}


def group_of(name):
    if name in MULTIPART:
        return "multipart"
    if name in DIRECTORY:
        return "directory-buckets"
    if name in BUCKETS:
        return "buckets"
    if "Bucket" in name or name in {"GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
                                     "GetObjectLockConfiguration", "PutObjectLockConfiguration"}:
        return "configurations"
    return "objects"


def q(s):
    """A TOML basic string."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def inline(d):
    parts = []
    for k, v in d.items():
        if isinstance(v, bool):
            parts.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, list):
            parts.append(f"{k} = [{', '.join(q(x) for x in v)}]")
        else:
            parts.append(f"{k} = {q(str(v))}")
    return "{ " + ", ".join(parts) + " }"


# Response members S3 percent-encodes when the request says encoding-type=url (S3's API reference for
# each listing; botocore decodes the same ones, except Prefix in ListObjects, which S3 does encode).
URL_ENCODED = {
    "ListObjects": ["Delimiter", "Marker", "NextMarker", "Prefix", "Contents[].Key", "CommonPrefixes[].Prefix"],
    "ListObjectsV2": ["Delimiter", "Prefix", "StartAfter", "Contents[].Key", "CommonPrefixes[].Prefix"],
    "ListObjectVersions": ["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter", "Versions[].Key", "DeleteMarkers[].Key",
                           "CommonPrefixes[].Prefix"],
    "ListMultipartUploads": ["Delimiter", "KeyMarker", "Prefix", "NextKeyMarker", "Uploads[].Key", "CommonPrefixes[].Prefix"],
}


def as_list(x):
    return x if isinstance(x, list) else [x]


class Importer:
    def __init__(self, model, summaries, paginators=None):
        self.paginators = (paginators or {}).get("pagination", {})
        self.model = model
        self.shapes = model["shapes"]
        self.summaries = summaries
        self.used = {}  # shape name -> emitted dict
        self.pending = []

    def type_of(self, shape_name):
        return self.shapes[shape_name]["type"]

    def ref(self, shape_name):
        """The spec's name for a shape: a scalar's type, or the name of a shape in shapes.toml."""
        s = self.shapes[shape_name]
        if s["type"] in SCALARS:
            return s["type"]
        if shape_name not in self.used:
            self.used[shape_name] = None
            self.pending.append(shape_name)
        return shape_name

    def ts_format(self, member, shape_name):
        s = self.shapes[shape_name]
        if s["type"] != "timestamp":
            return None
        return member.get("timestampFormat") or s.get("timestampFormat")

    def field(self, name, m):
        d = {"name": name, "shape": self.ref(m["shape"])}
        wire = m.get("locationName", name)
        if wire != name:
            d["wire"] = wire
        if m.get("xmlAttribute"):
            d["attribute"] = True
        if m.get("flattened"):
            d["flattened"] = True
        fmt = self.ts_format(m, m["shape"])
        if fmt:
            d["timestamp_format"] = fmt
        target = self.shapes[m["shape"]]
        ns = m.get("xmlNamespace") or (target.get("xmlNamespace") if target["type"] == "structure" else None)
        if ns and not m.get("xmlAttribute"):
            if ns.get("prefix"):
                d["namespace_prefix"] = ns["prefix"]
            d["namespace"] = ns["uri"]
        return d

    def emit_shape(self, name):
        s = self.shapes[name]
        t = s["type"]
        if t == "structure":
            return {"type": "structure", "members": [self.field(k, v) for k, v in s["members"].items()],
                    "eventstream": s.get("eventstream", False)}
        if t == "list":
            mem = s["member"]
            d = {"type": "list", "member": self.ref(mem["shape"]), "member_wire": mem.get("locationName", "member")}
            if s.get("flattened"):
                d["flattened"] = True
            fmt = self.ts_format(mem, mem["shape"])
            if fmt:
                d["timestamp_format"] = fmt
            return d
        if t == "map":
            return {"type": "map", "value": self.ref(s["value"]["shape"]),
                    "key_wire": s["key"].get("locationName", "key"),
                    "value_wire": s["value"].get("locationName", "value"),
                    "flattened": s.get("flattened", False)}
        raise SystemExit(f"unexpected shape type {t} for {name}")

    def summary_for(self, op, member):
        ov = self.summaries.get("member_overrides", {})
        return ov.get(f"{op}.{member}") or self.summaries.get("members", {}).get(member) or ""

    def operation(self, name, o):
        uri = o["http"]["requestUri"]
        path, _, query = uri.partition("?")
        doc = {
            "name": name,
            "summary": self.summaries.get("operations", {}).get(name, ""),
            "group": group_of(name),
            "method": o["http"]["method"],
            "path": path,
            "query": [x for x in query.split("&") if x],
        }
        if o.get("deprecated"):
            doc["deprecated"] = True
        if o.get("httpChecksum", {}).get("requestChecksumRequired"):
            doc["checksum_required"] = True
        if o.get("endpoint", {}).get("hostPrefix"):
            doc["host_prefix"] = o["endpoint"]["hostPrefix"]
        members = []
        payload = None
        if "input" in o:
            shape_name = o["input"]["shape"]
            ishape = self.shapes[shape_name]
            required = set(ishape.get("required", []))
            payload_name = ishape.get("payload")
            body_members = []
            for mname, m in ishape["members"].items():
                loc = m.get("location")
                d = {"name": mname, "summary": self.summary_for(name, mname), "shape": self.ref(m["shape"])}
                target = self.shapes[m["shape"]]
                if mname == payload_name:
                    d["location"] = "payload"
                elif loc == "uri":
                    d["location"] = "uri"
                    d["wire"] = m["locationName"]
                elif loc == "querystring":
                    d["location"] = "query"
                    d["wire"] = m["locationName"]
                elif loc == "header":
                    d["location"] = "header"
                    d["wire"] = m["locationName"].lower() if m["locationName"].lower().startswith("x-amz") else m["locationName"]
                elif loc == "headers":
                    d["location"] = "header-map"
                    d["wire"] = m["locationName"]
                else:
                    d["location"] = "body"
                    body_members.append((mname, m))
                if mname in required:
                    d["required"] = True
                if m.get("hostLabel"):
                    d["host_label"] = True
                if mname == "Expires" and loc == "header" and target["type"] == "string":
                    # The model types Expires as a string; botocore takes a timestamp and sends an HTTP date.
                    d["shape"] = "timestamp"
                    d["timestamp_format"] = "rfc822"
                fmt = self.ts_format(m, m["shape"])
                if fmt:
                    d["timestamp_format"] = fmt
                if target["type"] == "string" and "enum" in target:
                    d["values"] = target["enum"]
                if d["location"] == "header" and mname.endswith("SSECustomerKey"):
                    d["encoding"] = "sse-customer-key"
                    d["md5_header"] = d["wire"] + "-MD5"
                if mname == "CopySource":
                    d["encoding"] = "copy-source"
                if target["type"] == "blob" and (target.get("streaming") or m.get("streaming")):
                    d["streaming"] = True
                if m.get("deprecated"):
                    d["deprecated"] = True
                members.append(d)
            if payload_name:
                pm = ishape["members"][payload_name]
                pt = self.shapes[pm["shape"]]["type"]
                if pt == "structure":
                    payload = {"kind": "xml", "member": payload_name, "root": pm.get("locationName", payload_name),
                               "namespace": pm.get("xmlNamespace", {}).get("uri", S3_NS)}
                elif pt == "blob":
                    payload = {"kind": "blob", "member": payload_name}
                else:
                    payload = {"kind": "text", "member": payload_name}
            elif body_members:
                # A body made of several members under the input's own root element (SelectObjectContent).
                synthetic = shape_name
                self.used[synthetic] = {"type": "structure",
                                        "members": [self.field(k, v) for k, v in body_members],
                                        "eventstream": False}
                payload = {"kind": "xml", "shape": synthetic, "root": ishape.get("locationName", shape_name),
                           "namespace": ishape.get("xmlNamespace", {}).get("uri", S3_NS)}
        output = {"kind": "none", "headers": []}
        if "output" in o:
            oname = o["output"]["shape"]
            oshape = self.shapes[oname]
            body = []
            for mname, m in oshape["members"].items():
                loc = m.get("location")
                if loc in ("header", "headers"):
                    h = {"name": mname, "shape": self.ref(m["shape"]), "wire": m["locationName"]}
                    if loc == "headers":
                        h["map"] = True
                    output["headers"].append(h)
                elif loc == "statusCode":
                    continue
                elif mname != oshape.get("payload"):
                    body.append((mname, m))
            if "payload" in oshape:
                pm = oshape["members"][oshape["payload"]]
                ps = self.shapes[pm["shape"]]
                if ps.get("eventstream"):
                    output["kind"] = "event-stream"
                    output["shape"] = self.ref(pm["shape"])
                elif ps["type"] == "structure":
                    output["kind"] = "xml"
                    output["shape"] = self.ref(pm["shape"])
                elif ps["type"] == "blob":
                    output["kind"] = "blob"
                else:
                    output["kind"] = "text"
            elif body:
                self.used[oname] = {"type": "structure", "members": [self.field(k, v) for k, v in body],
                                    "eventstream": False}
                output["kind"] = "xml"
                output["shape"] = oname
        return doc, members, payload, output

    def pagination_lines(self, name):
        p = self.paginators.get(name)
        if not p:
            return []
        outs = []
        fallback = None
        for tok in as_list(p["output_token"]):
            if "||" in tok:
                first, rest = [t.strip() for t in tok.split("||")]
                # "NextMarker || Contents[-1].Key": without NextMarker, continue after the last key listed.
                fallback = rest.split("[")[0]
                tok = first
            outs.append(tok)
        lines = ["", "[pagination]",
                 f"input_tokens = [{', '.join(q(t) for t in as_list(p['input_token']))}]",
                 f"output_tokens = [{', '.join(q(t) for t in outs)}]",
                 f"result_keys = [{', '.join(q(t) for t in as_list(p['result_key']))}]"]
        if "limit_key" in p:
            lines.append(f"limit_key = {q(p['limit_key'])}")
        if "more_results" in p:
            lines.append(f"more_results = {q(p['more_results'])}")
        if fallback:
            lines.append(f"last_key_fallback = {q(fallback)}")
        return lines

    def write_operation(self, out_dir, name, o):
        doc, members, payload, output = self.operation(name, o)
        lines = [f"# {name}: see spec/README.md for the format."]
        for k in ("name", "summary", "group", "method", "path"):
            lines.append(f"{k} = {q(doc[k])}")
        lines.append(f"query = [{', '.join(q(x) for x in doc['query'])}]")
        for k in ("deprecated", "checksum_required"):
            if doc.get(k):
                lines.append(f"{k} = true")
        if "host_prefix" in doc:
            lines.append(f"host_prefix = {q(doc['host_prefix'])}")
        for m in members:
            lines.append("")
            lines.append("[[member]]")
            for k, v in m.items():
                if isinstance(v, bool):
                    lines.append(f"{k} = {'true' if v else 'false'}")
                elif isinstance(v, list):
                    lines.append(f"{k} = [{', '.join(q(x) for x in v)}]")
                else:
                    lines.append(f"{k} = {q(v)}")
        if payload:
            lines.append("")
            lines.append("[payload]")
            for k, v in payload.items():
                lines.append(f"{k} = {q(v)}")
        lines.append("")
        lines.append("[output]")
        lines.append(f"kind = {q(output['kind'])}")
        if "shape" in output:
            lines.append(f"shape = {q(output['shape'])}")
        if name in URL_ENCODED:
            lines.append(f"url_encoded = [{', '.join(q(x) for x in URL_ENCODED[name])}]")
        if output["headers"]:
            lines.append("headers = [")
            for h in output["headers"]:
                lines.append(f"  {inline(h)},")
            lines.append("]")
        lines.extend(self.pagination_lines(name))
        (out_dir / "operations" / f"{name}.toml").write_text("\n".join(lines) + "\n")

    def write_shapes(self, out_dir):
        while self.pending:
            n = self.pending.pop()
            if self.used.get(n) is None:
                self.used[n] = self.emit_shape(n)
        lines = ["# Structure, list and map shapes referenced by spec/operations/*.toml; see spec/README.md."]
        for n in sorted(self.used):
            s = self.used[n]
            lines.append("")
            lines.append(f"[{n}]")
            lines.append(f"type = {q(s['type'])}")
            if s["type"] == "structure":
                if s.get("eventstream"):
                    lines.append("eventstream = true")
                lines.append("members = [")
                for f in s["members"]:
                    lines.append(f"  {inline(f)},")
                lines.append("]")
            else:
                for k, v in s.items():
                    if k == "type":
                        continue
                    if isinstance(v, bool):
                        if v:
                            lines.append(f"{k} = true")
                    else:
                        lines.append(f"{k} = {q(v)}")
        (out_dir / "shapes.toml").write_text("\n".join(lines) + "\n")


def main():
    model = json.load(open(sys.argv[1]))
    summaries = tomllib.load(open(sys.argv[2], "rb")) if Path(sys.argv[2]).exists() else {}
    out = Path(sys.argv[3])
    (out / "operations").mkdir(parents=True, exist_ok=True)
    pag_path = Path(sys.argv[1]).with_name("paginators-1.json")
    paginators = json.load(open(pag_path)) if pag_path.exists() else {}
    imp = Importer(model, summaries, paginators)
    for name, o in sorted(model["operations"].items()):
        imp.write_operation(out, name, o)
    imp.write_shapes(out)


if __name__ == "__main__":
    main()
