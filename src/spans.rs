//! Each request as an OpenTelemetry span, exported over OTLP/HTTP (protobuf) to the collector an
//! operator names in `CSPFUND_OTLP_ENDPOINT`; off without one. The span continues the caller's
//! trace (`traceparent`), and its ids are the ones the request's log line and its webhooks carry.

use std::time::SystemTime;

use opentelemetry::trace::{
    Span as _, SpanBuilder, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, Span};

use crate::trace_context::TraceContext;

/// The exporter and the tracer that feeds it.
pub struct SpanExport {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

/// A request's span while it is served.
pub struct RequestSpan(Span);

impl SpanExport {
    /// Spans are batched and sent from a thread of the exporter's own, never on a request's path.
    pub fn start(collector: &str) -> Result<SpanExport, String> {
        let endpoint = format!("{}/v1/traces", collector.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| e.to_string())?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name("cspfund")
                    .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                    .build(),
            )
            .build();
        let tracer = provider.tracer("cspfund");
        Ok(SpanExport { provider, tracer })
    }

    /// Opens the span of a request, under the caller's span when it sent one; answers the trace
    /// context the rest of the request carries.
    pub fn begin(&self, caller: Option<&TraceContext>, method: &str) -> (TraceContext, RequestSpan) {
        let remote = caller.and_then(|caller| {
            let trace_id = TraceId::from_hex(&caller.trace_id).ok()?;
            let span_id = SpanId::from_hex(&caller.span_id).ok()?;
            let flags = if caller.sampled {
                TraceFlags::SAMPLED
            } else {
                TraceFlags::default()
            };
            Some(SpanContext::new(trace_id, span_id, flags, true, TraceState::default()))
        });
        let parent = remote.map_or_else(Context::new, |remote| Context::new().with_remote_span_context(remote));
        let span = self.tracer.build_with_context(
            SpanBuilder::from_name(method.to_owned())
                .with_kind(SpanKind::Server)
                .with_start_time(SystemTime::now()),
            &parent,
        );
        let ids = span.span_context();
        let context = TraceContext {
            trace_id: ids.trace_id().to_string(),
            span_id: ids.span_id().to_string(),
            parent_span_id: caller.map(|caller| caller.span_id.clone()),
            sampled: ids.is_sampled(),
        };
        (context, RequestSpan(span))
    }

    /// Sends what is still batched; called as the service stops.
    pub fn flush(&self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "cannot send the last spans to the OTLP collector");
        }
    }
}

impl RequestSpan {
    /// Names the span by its route's template and closes it with the answer's status.
    pub fn end(mut self, method: &str, route: &str, status: u16) {
        self.0.update_name(format!("{method} {route}"));
        self.0.set_attributes([
            KeyValue::new("http.request.method", method.to_owned()),
            KeyValue::new("http.route", route.to_owned()),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ]);
        if status >= 500 {
            self.0.set_status(Status::error(format!("answered {status}")));
        }
        self.0.end();
    }
}
