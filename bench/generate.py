#!/usr/bin/env python3
"""Seeded generator of traffic mirror corpora with planted, labelled defects.

    generate.py OUT_DIR --format cfn-yaml|cfn-json|tf --files N --sessions K
                [--ordinary R] [--with-sessions M] [--defect-rate P] [--seed S]

Writes N files of K sessions each (or, with --ordinary R, N files of R ordinary resources of
which only M also declare sessions: a repository-shaped corpus), and OUT_DIR/labels.json:
every planted defect as {"file", "line", "rule"}. Each file uses its own source interfaces,
targets and VNIs, so nothing but the planted defects is wrong (the per-interface quota is
respected: at most 3 sessions per interface).
"""
import argparse
import json
import os
import random

DEFECTS = [
    # (rule, property, bad value)
    ("MG001", "session_number", 40000),
    ("MG002", "packet_length", 9001),
    ("MG003", "vni", 16777216),
    ("MG008", "tag", "aws:owner"),
    ("MG005", "duplicate", None),
]

CFN_ORDINARY = [
    ("AWS::S3::Bucket", {"BucketName": "bucket-{i}-{j}"}),
    ("AWS::SNS::Topic", {"TopicName": "topic-{i}-{j}"}),
    ("AWS::SQS::Queue", {"QueueName": "queue-{i}-{j}", "VisibilityTimeout": 30}),
    ("AWS::EC2::SecurityGroup", {"GroupDescription": "sg {i} {j}", "VpcId": "vpc-0123456789abcdef0"}),
]


def hexid(rng, prefix):
    return prefix + "-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))


class Session:
    def __init__(self, rng, i, k, eni, target, filt):
        self.name = f"Session{k}"
        self.eni = eni
        self.target = target
        self.filter = filt
        self.number = 1 + (k % 3)
        self.packet_length = 1500 + (k % 7000)
        self.vni = i * 1000 + k + 1
        self.tag_key = "Name"
        self.defect = None


def plan_file(rng, i, count, rate):
    """Sessions of one file: three per interface, each interface its own target."""
    sessions = []
    for k in range(count):
        if k % 3 == 0:
            eni = hexid(rng, "eni")
            target = hexid(rng, "tmt")
            filt = hexid(rng, "tmf")
        sessions.append(Session(rng, i, k, eni, target, filt))
    for s in sessions:
        if rng.random() < rate:
            rule, prop, value = rng.choice(DEFECTS)
            if rule == "MG005":
                # Same number as the first session on this interface (not itself).
                first = next(x for x in sessions if x.eni == s.eni)
                if first is s or first.defect:
                    continue
                s.number = first.number
            # Bad values are distinct per session, so that two planted defects never make a
            # duplicate (MG005, MG011) that was not planted.
            elif prop == "session_number":
                s.number = value + s.vni
            elif prop == "packet_length":
                s.packet_length = value
            elif prop == "vni":
                s.vni = value + s.vni
            elif prop == "tag":
                s.tag_key = value
            s.defect = rule
    return sessions


def cfn_yaml(i, sessions, ordinary):
    lines = ["AWSTemplateFormatVersion: \"2010-09-09\"", f"Description: generated template {i}", "Resources:"]
    labels = []
    for j in range(ordinary):
        ty, props = CFN_ORDINARY[j % len(CFN_ORDINARY)]
        lines.append(f"  Resource{j}:")
        lines.append(f"    Type: {ty}")
        lines.append("    Properties:")
        for k, v in props.items():
            lines.append(f"      {k}: {str(v).format(i=i, j=j)}")
    for s in sessions:
        lines += [f"  {s.name}:", "    Type: AWS::EC2::TrafficMirrorSession", "    Properties:",
                  f"      NetworkInterfaceId: {s.eni}", f"      TrafficMirrorTargetId: {s.target}",
                  f"      TrafficMirrorFilterId: {s.filter}"]
        at = {"MG001": None, "MG005": None}
        lines.append(f"      SessionNumber: {s.number}")
        at["MG001"] = at["MG005"] = len(lines)
        lines.append(f"      PacketLength: {s.packet_length}")
        at["MG002"] = len(lines)
        lines.append(f"      VirtualNetworkId: {s.vni}")
        at["MG003"] = len(lines)
        lines += ["      Tags:", f"        - Key: \"{s.tag_key}\"", "          Value: generated"]
        at["MG008"] = len(lines) - 1
        if s.defect:
            labels.append((at[s.defect], s.defect))
    return "\n".join(lines) + "\n", labels


def cfn_json(i, sessions, ordinary):
    lines = ["{", "  \"AWSTemplateFormatVersion\": \"2010-09-09\",", "  \"Resources\": {"]
    labels = []
    entries = []
    for j in range(ordinary):
        ty, props = CFN_ORDINARY[j % len(CFN_ORDINARY)]
        body = ", ".join(f"\"{k}\": {json.dumps(v.format(i=i, j=j) if isinstance(v, str) else v)}" for k, v in props.items())
        entries.append([f"    \"Resource{j}\": {{\"Type\": \"{ty}\", \"Properties\": {{{body}}}}}"])
    for s in sessions:
        block = [f"    \"{s.name}\": {{", "      \"Type\": \"AWS::EC2::TrafficMirrorSession\",", "      \"Properties\": {",
                 f"        \"NetworkInterfaceId\": \"{s.eni}\",", f"        \"TrafficMirrorTargetId\": \"{s.target}\",",
                 f"        \"TrafficMirrorFilterId\": \"{s.filter}\",",
                 f"        \"SessionNumber\": {s.number},", f"        \"PacketLength\": {s.packet_length},",
                 f"        \"VirtualNetworkId\": {s.vni},",
                 f"        \"Tags\": [{{\"Key\": \"{s.tag_key}\", \"Value\": \"generated\"}}]", "      }", "    }"]
        entries.append((block, s))
    for n, e in enumerate(entries):
        block, s = (e, None) if isinstance(e, list) else e
        if n < len(entries) - 1:
            block = block[:-1] + [block[-1] + ","]
        base = len(lines)
        lines += block
        if s is not None and s.defect:
            offset = {"MG001": 7, "MG005": 7, "MG002": 8, "MG003": 9, "MG008": 10}[s.defect]
            labels.append((base + offset, s.defect))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n", labels


def tf(i, sessions, ordinary):
    lines = []
    labels = []
    for j in range(ordinary):
        lines += [f"resource \"aws_s3_bucket\" \"b{j}\" {{", f"  bucket = \"bucket-{i}-{j}\"", "}", ""]
    for s in sessions:
        lines += [f"resource \"aws_ec2_traffic_mirror_session\" \"{s.name.lower()}\" {{",
                  f"  network_interface_id     = \"{s.eni}\"", f"  traffic_mirror_target_id = \"{s.target}\"",
                  f"  traffic_mirror_filter_id = \"{s.filter}\""]
        at = {}
        lines.append(f"  session_number           = {s.number}")
        at["MG001"] = at["MG005"] = len(lines)
        lines.append(f"  packet_length            = {s.packet_length}")
        at["MG002"] = len(lines)
        lines.append(f"  virtual_network_id       = {s.vni}")
        at["MG003"] = len(lines)
        lines += ["  tags = {", f"    \"{s.tag_key}\" = \"generated\"", "  }", "}", ""]
        at["MG008"] = len(lines) - 3
        if s.defect:
            labels.append((at[s.defect], s.defect))
    return "\n".join(lines), labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--format", choices=["cfn-yaml", "cfn-json", "tf"], default="cfn-yaml")
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--ordinary", type=int, default=0)
    ap.add_argument("--with-sessions", type=int, default=None, help="how many files declare sessions")
    ap.add_argument("--defect-rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    with_sessions = a.files if a.with_sessions is None else a.with_sessions
    render = {"cfn-yaml": cfn_yaml, "cfn-json": cfn_json, "tf": tf}[a.format]
    all_labels = []
    for i in range(a.files):
        count = a.sessions if i < with_sessions else 0
        sessions = plan_file(rng, i, count, a.defect_rate)
        text, labels = render(i, sessions, a.ordinary)
        if a.format == "tf":
            folder = os.path.join(a.out, f"m{i:05d}")
            os.makedirs(folder, exist_ok=True)
            name = os.path.join(f"m{i:05d}", "main.tf")
        else:
            name = f"t{i:05d}." + ("json" if a.format == "cfn-json" else "yaml")
        with open(os.path.join(a.out, name), "w") as f:
            f.write(text)
        all_labels += [{"file": name, "line": line, "rule": rule} for line, rule in labels]
    with open(os.path.join(a.out, "labels.json"), "w") as f:
        json.dump(sorted(all_labels, key=lambda l: (l["file"], l["line"], l["rule"])), f, indent=1)
    print(f"{a.files} {a.format} files, {with_sessions * a.sessions} sessions, {len(all_labels)} planted defects -> {a.out}")


if __name__ == "__main__":
    main()
