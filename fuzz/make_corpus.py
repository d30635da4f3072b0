#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzers (fuzz/run.sh) from the captured client requests in
shared/fixtures/captured/ (fixtures/README.md): one directory per fuzzer under OUT_DIR, one file
per seed named by its SHA-1, so running it again adds nothing twice. Seeds the captures do not
contain (multipart bodies, compressed bodies, request targets) are derived from them or written
here.

Usage: make_corpus.py FIXTURES_DIR OUT_DIR
"""
import base64
import gzip
import hashlib
import json
import pathlib
import subprocess
import sys
import zlib

# The coding the decompress fuzzer's first byte selects (decompress_fuzzer.cc kCodings).
IDENTITY, GZIP, DEFLATE, ZSTD, GZIP_IDENTITY = 0, 1, 3, 4, 6

QUERY_TARGETS = [
    "/api/v1/traces",
    "/api/v1/traces?limit=10&order=asc&from=2026-01-01T00:00:00Z&to=1767225600000",
    "/api/v1/traces?name=chat&user_id=u%201&session_id=s-1&status=error&environment=prod"
    "&release=1.2&tag=a&model=gpt-4o&min_latency_ms=12.5&min_cost=0.01&q=hello+world",
    "/api/v1/traces?cursor=MTc2NzIyNTYwMDAwMDAwMDAwMDphYmM&limit=1000",
    "/api/v1/sessions?user_id=alice&limit=5&from=1767225600",
    "/api/v1/scores?trace_id=4d9c0ecc9f3a12846ae99b70de27a657&name=accuracy&source=api",
    "/api/v1/traces/4d9c0ecc9f3a12846ae99b70de27a657/observations?fields=summary&limit=100",
    "/api/v1/metrics?measures=count,cost,latency_p95,error_rate&group_by=model,day&level=trace",
    "/api/v1/metrics?measures=input_tokens&group_by=feature,hour&model=gpt-4o&from=1767225600000000",
    "/api/v1/metrics/what-if?model=gpt-4o&as=gpt-4o-mini&from=2026-01-01&to=2026-02-01",
]


def requests(fixtures):
    for path in sorted(pathlib.Path(fixtures, "captured").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            request = json.loads(line)
            body = base64.b64decode(request["body_b64"])
            if request.get("content_encoding") == "gzip":
                body = gzip.decompress(body)
            if body:
                yield request, body


def multipart(batch):
    """A LangSmith batch body as the clients' multipart form: the run without its big fields in
    "<op>.<id>", those fields in "<op>.<id>.<field>", and one feedback part."""
    boundary = b"fuzzboundary7MA4YWxkTrZu0gW"
    parts = []
    for op in ("post", "patch"):
        for run in batch.get(op, []):
            run = dict(run)
            fields = {f: run.pop(f) for f in ("inputs", "outputs", "events", "extra") if f in run}
            parts.append((f"{op}.{run.get('id', '')}", run))
            parts += [(f"{op}.{run.get('id', '')}.{f}", v) for f, v in fields.items()]
    parts.append(("feedback.0192f3a4-0000-7000-8000-000000000001",
                  {"id": "0192f3a4-0000-7000-8000-000000000001", "run_id": batch["post"][0]["id"],
                   "key": "correctness", "score": 1, "comment": "mail me at a@b.example"}))
    out = b""
    for name, value in parts:
        out += (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + name.encode() +
                b"\"\r\nContent-Type: application/json\r\n\r\n" + json.dumps(value).encode() + b"\r\n")
    return out + b"--" + boundary + b"--\r\n"


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


def main(fixtures, out_dir):
    seeds = {name: [] for name in ("otlp_proto", "otlp_json", "langfuse_batch", "langsmith_batch",
                                   "langsmith_multipart", "decompress", "query_params")}
    for request, body in requests(fixtures):
        path, content_type = request["path"], request.get("content_type") or ""
        if path.endswith("/v1/traces"):
            seeds["otlp_proto" if "protobuf" in content_type else "otlp_json"].append(body)
        elif path == "/api/public/ingestion":
            seeds["langfuse_batch"].append(body)
        elif path.startswith("/runs"):
            seeds["langsmith_batch"].append(body)
            if path == "/runs/batch":
                seeds["langsmith_multipart"].append(multipart(json.loads(body)))
        seeds["decompress"] += [bytes([IDENTITY]) + body, bytes([GZIP]) + gzip.compress(body),
                                bytes([DEFLATE]) + zlib.compress(body), bytes([ZSTD]) + zstd(body)]
    bomb = bytes(16 << 20)  # 16 MiB of zeros: far over the fuzzer's 64 KiB cap
    seeds["decompress"] += [bytes([GZIP]) + gzip.compress(bomb), bytes([ZSTD]) + zstd(bomb),
                            bytes([GZIP_IDENTITY]) + gzip.compress(b"a") + gzip.compress(b"b")]
    seeds["langsmith_batch"].append(json.dumps(
        {"id": "0192f3a4-0000-7000-8000-000000000002", "trace_id": "0192f3a4-0000-7000-8000-000000000003",
         "key": "helpfulness", "value": {"label": "good"}, "feedback_source": {"type": "model"}}).encode())
    seeds["query_params"] += [target.encode() for target in QUERY_TARGETS]
    for name, bodies in seeds.items():
        directory = pathlib.Path(out_dir, name)
        directory.mkdir(parents=True, exist_ok=True)
        for body in bodies:
            (directory / hashlib.sha1(body).hexdigest()).write_bytes(body)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
