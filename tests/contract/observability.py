"""What operations see of the running service, checked with their own tools.

  receive-otlp PORT FILE            an OTLP/HTTP collector on loopback: decodes each export with the
                                    official opentelemetry-proto classes and writes one JSON line
                                    per span to FILE
  check-otlp FILE TRACE PARENT      waits for the service's span of the request sent with
                                    traceparent 00-TRACE-PARENT-01: that trace, under that parent
  check-prometheus URL QUERY...     asks a Prometheus server's query API for each series; each
                                    must have at least one sample
"""

import json
import sys
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def receive_otlp(port, path):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path != "/v1/traces" or self.headers.get("content-type") != "application/x-protobuf":
                self.send_response(415)
                self.end_headers()
                return
            export = ExportTraceServiceRequest()
            export.ParseFromString(body)
            with open(path, "a") as out:
                for resource in export.resource_spans:
                    service = next((a.value.string_value for a in resource.resource.attributes
                                    if a.key == "service.name"), "")
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            out.write(json.dumps({
                                "service": service,
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "kind": span.kind,
                                "attributes": {a.key: str(a.value.string_value or a.value.int_value)
                                               for a in span.attributes},
                            }) + "\n")
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(port)), Collector).serve_forever()


def check_otlp(path, trace, parent):
    deadline = time.monotonic() + 30
    spans = []
    while time.monotonic() < deadline:
        try:
            with open(path) as lines:
                spans = [json.loads(line) for line in lines]
        except FileNotFoundError:
            spans = []
        ours = [s for s in spans if s["trace_id"] == trace]
        if ours:
            span = ours[0]
            problems = []
            if span["parent_span_id"] != parent:
                problems.append(f"parent {span['parent_span_id']}, not {parent}")
            if span["service"] != "cspfund" or span["kind"] != 2:
                problems.append(f"service {span['service']!r}, kind {span['kind']} (2 is SERVER)")
            if problems:
                sys.exit("otlp: " + "; ".join(problems))
            print(f"otlp: {len(spans)} spans received, {span['name']!r} in trace {trace} under {parent}")
            return
        time.sleep(0.5)
    sys.exit(f"otlp: no span of trace {trace} among {len(spans)} received")


def check_prometheus(url, queries):
    found = []
    for query in queries:
        address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(address, timeout=10) as answer:
                result = json.load(answer)["data"]["result"]
            if result or time.monotonic() > deadline:
                break
            time.sleep(1)
        if not result:
            sys.exit(f"prometheus: no samples of {query}")
        found.append(f"{query} ({len(result)} series)")
    print("prometheus: scraped and queried " + ", ".join(found))


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "receive-otlp":
        receive_otlp(*arguments)
    elif command == "check-otlp":
        check_otlp(*arguments)
    elif command == "check-prometheus":
        check_prometheus(arguments[0], arguments[1:])
    else:
        sys.exit(__doc__)
