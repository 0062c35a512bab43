#!/usr/bin/env python3
"""Add the facts typed outputs need to an existing spec/, from botocore's S3 model.

spec/ was bootstrapped by spec-import.py and has been edited by hand since, so this does not re-import:
it edits spec/ in place, adding only what the typed library (`s3op::types`) needs and leaving every
hand-made line alone. Run it again after a model update; it is idempotent.

- `required = true` on structure members the model lists in its `required` (input members already
  carry `required`);
- one `type = "enum"` shape in shapes.toml per string shape with an `enum` in the model, with its
  values in the model's order, and every reference to it (structure members, list items, operation
  input members, output headers) names that shape instead of `string`. An input member's `values`
  line is dropped: the enum shape holds the values now;
- `member` in `[output]` for outputs whose body is one payload member (GetBucketPolicyStatus's
  `PolicyStatus`, GetObject's `Body`), so the typed output can name it;
- the endpoint rule set's per-operation facts: `context_param = "Bucket"` (`Key`, `Prefix`,
  `CopySource`) on the input members the model marks with `contextParam`, and an
  `[endpoint_params]` table with the model's `staticContextParams`
  (`UseS3ExpressControlEndpoint = true`, ...).

    python3 xtask/spec-facts.py ../shared/s3-model/service-2.json spec/

`cargo xtask spec-audit` checks these facts against the model afterwards.
"""

import json
import re
import sys
from pathlib import Path


def q(s):
    return json.dumps(s, ensure_ascii=False)


class Facts:
    def __init__(self, model):
        self.shapes = model["shapes"]
        self.operations = model["operations"]
        self.enums = {}  # enum shape name -> values

    def enum_of(self, shape_name):
        """The enum shape's name when `shape_name` is a string shape with an `enum`."""
        s = self.shapes.get(shape_name)
        if s and s["type"] == "string" and "enum" in s:
            self.enums[shape_name] = s["enum"]
            return shape_name
        return None


MEMBER_LINE = re.compile(r'^(\s*\{ name = "([^"]+)", shape = ")([^"]+)(".*?)( \},?)$')


def edit_shapes(facts, text):
    """Edit shapes.toml: structure members and list items; returns the sections by name."""
    sections = {}
    order = []
    header = []
    current = None
    for line in text.split("\n"):
        m = re.match(r"^\[([A-Za-z0-9_]+)\]$", line)
        if m:
            current = m.group(1)
            order.append(current)
            sections[current] = [line]
        elif current is None:
            header.append(line)
        else:
            sections[current].append(line)
    for name in order:
        model = facts.shapes.get(name)
        if model is None:
            continue
        lines = sections[name]
        if model["type"] == "structure":
            required = set(model.get("required", []))
            for i, line in enumerate(lines):
                m = MEMBER_LINE.match(line)
                if not m:
                    continue
                start, member, shape, rest, end = m.groups()
                r = model["members"].get(member)
                if r is None:
                    continue
                if shape == "string":
                    shape = facts.enum_of(r["shape"]) or shape
                if member in required and "required = true" not in rest:
                    rest += ", required = true"
                lines[i] = f"{start}{shape}{rest}{end}"
        elif model["type"] == "list":
            enum = facts.enum_of(model["member"]["shape"])
            if enum:
                lines[:] = [f"member = {q(enum)}" if l == 'member = "string"' else l for l in lines]
    return header, sections


def member_block(text, member):
    """The `[[member]]` block named `member` in an operation file's text ('' when absent)."""
    for block in text.split("[[member]]"):
        if f'\nname = {q(member)}\n' in block:
            return block.split("\n[")[0]
    return ""


def edit_operation(facts, path):
    text = path.read_text()
    name = path.stem
    op = facts.operations.get(name)
    if op is None:
        return
    input_members = facts.shapes[op["input"]["shape"]]["members"] if "input" in op else {}
    output = facts.shapes[op["output"]["shape"]] if "output" in op else None
    out = []
    member = None
    section = None
    static = op.get("staticContextParams", {})
    endpoint_done = False
    for line in text.split("\n"):
        if line.startswith("["):
            section = line
            member = None
        m = re.match(r'^name = "([^"]+)"$', line)
        if m and section == "[[member]]":
            member = m.group(1)
        if section == "[[member]]" and member and line == 'shape = "string"':
            r = input_members.get(member)
            enum = r and facts.enum_of(r["shape"])
            if enum:
                line = f"shape = {q(enum)}"
        if section == "[[member]]" and member and line.startswith("values = ["):
            r = input_members.get(member)
            if r and facts.enum_of(r["shape"]):
                continue
        if section == "[output]" and output is not None:
            hm = MEMBER_LINE.match(line)
            if hm and hm.group(3) == "string":
                r = output["members"].get(hm.group(2))
                enum = r and facts.enum_of(r["shape"])
                if enum:
                    line = f"{hm.group(1)}{enum}{hm.group(4)}{hm.group(5)}"
        if line.startswith("[") and not endpoint_done and static and "[endpoint_params]" not in text:
            out.append("[endpoint_params]")
            for param, value in static.items():
                out.append(f"{param} = {'true' if value['value'] else 'false'}")
            out.append("")
            endpoint_done = True
        out.append(line)
        if section == "[[member]]" and member and line.startswith("location = "):
            r = input_members.get(member)
            param = r and r.get("contextParam", {}).get("name")
            if param and f"context_param = {q(param)}" not in member_block(text, member):
                out.append(f"context_param = {q(param)}")
        if section == "[output]" and line.startswith("kind = ") and output is not None:
            payload = output.get("payload")
            if payload and f"member = {q(payload)}" not in text:
                out.append(f"member = {q(payload)}")
    path.write_text("\n".join(out))


def main():
    model = json.load(open(sys.argv[1]))
    spec = Path(sys.argv[2])
    facts = Facts(model)
    for path in sorted((spec / "operations").glob("*.toml")):
        edit_operation(facts, path)
    shapes_path = spec / "shapes.toml"
    header, sections = edit_shapes(facts, shapes_path.read_text())
    for name, values in facts.enums.items():
        if name in sections:
            continue
        sections[name] = [f"[{name}]", 'type = "enum"', f"values = [{', '.join(q(v) for v in values)}]", ""]
    lines = list(header)
    for name in sorted(sections):
        block = sections[name]
        while block and block[-1] == "":
            block = block[:-1]
        lines.extend(block)
        lines.append("")
    shapes_path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
