//! W3C Trace Context: a request arriving with `traceparent` joins the caller's trace; one
//! without starts a trace of its own. The trace id appears in the request's log line, is kept
//! with each webhook message the request causes, and is sent on that message's deliveries, so an
//! operator can follow one change from a front end through this service to a receiver.

use std::cell::RefCell;

use rand::RngCore;

/// One span's place in a trace: the trace, this span, and whether the trace is sampled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lower-case hex digits, never all zero.
    pub trace_id: String,
    /// 16 lower-case hex digits, never all zero: this span's id.
    pub span_id: String,
    /// The span this one continues, when it came from a caller.
    pub parent_span_id: Option<String>,
    pub sampled: bool,
}

fn random_hex(bytes: usize) -> String {
    let mut id = vec![0u8; bytes];
    while id.iter().all(|b| *b == 0) {
        rand::rngs::OsRng.fill_bytes(&mut id);
    }
    hex::encode(id)
}

fn is_id(text: &str, digits: usize) -> bool {
    text.len() == digits
        && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && text.bytes().any(|b| b != b'0')
}

impl TraceContext {
    /// A new trace, begun here.
    pub fn start() -> TraceContext {
        TraceContext {
            trace_id: random_hex(16),
            span_id: random_hex(8),
            parent_span_id: None,
            sampled: true,
        }
    }

    /// The span of this service's work for a caller whose `traceparent` is `header`, or a new
    /// trace when the header is absent or not one (as the W3C recommendation says to do).
    pub fn continuing(header: Option<&str>) -> TraceContext {
        header
            .and_then(TraceContext::parse)
            .map_or_else(TraceContext::start, |caller| caller.child())
    }

    /// Reads a `traceparent` header: `00-<trace id>-<parent id>-<flags>`. A later version's
    /// header is read by the same first four fields, as the recommendation asks.
    pub fn parse(header: &str) -> Option<TraceContext> {
        let mut fields = header.trim().split('-');
        let (version, trace_id, span_id, flags) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
        let more = fields.next().is_some();
        let version_ok = is_hex_byte(version) && version != "ff" && (version != "00" || !more);
        if !version_ok || !is_id(trace_id, 32) || !is_id(span_id, 16) || !is_hex_byte(flags) {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(TraceContext {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
            parent_span_id: None,
            sampled: flags & 1 == 1,
        })
    }

    /// A span within the same trace, under this one.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            trace_id: self.trace_id.clone(),
            span_id: random_hex(8),
            parent_span_id: Some(self.span_id.clone()),
            sampled: self.sampled,
        }
    }

    /// The `traceparent` header naming this span as the parent.
    pub fn header(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id,
            self.span_id,
            if self.sampled { "01" } else { "00" }
        )
    }
}

fn is_hex_byte(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

tokio::task_local! {
    /// The span of the request being served.
    static REQUEST: TraceContext;
}

thread_local! {
    /// The same, on the blocking thread running that request's database work.
    static DATABASE_WORK: RefCell<Option<TraceContext>> = const { RefCell::new(None) };
}

/// Runs a request's handling within its span.
pub async fn serve<F: std::future::Future>(context: TraceContext, handling: F) -> F::Output {
    REQUEST.scope(context, handling).await
}

/// The span of the request being served, in its own task or in its database work.
pub fn current() -> Option<TraceContext> {
    REQUEST
        .try_with(TraceContext::clone)
        .ok()
        .or_else(|| DATABASE_WORK.with(|work| work.borrow().clone()))
}

/// Runs database work on a blocking thread as part of the span it was asked for in.
pub fn within<T>(context: Option<TraceContext>, work: impl FnOnce() -> T) -> T {
    let before = DATABASE_WORK.with(|slot| slot.replace(context));
    let done = work();
    DATABASE_WORK.with(|slot| slot.replace(before));
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_joined_and_anything_else_starts_a_trace() {
        let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ours = TraceContext::continuing(Some(caller));
        assert_eq!(ours.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ours.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_ne!(ours.span_id, "00f067aa0ba902b7");
        assert!(ours.sampled);
        assert_eq!(
            ours.header(),
            format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", ours.span_id)
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "not a traceparent",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
            assert_ne!(
                TraceContext::continuing(Some(bad)).trace_id,
                "4bf92f3577b34da6a3ce929d0e0e4736"
            );
        }
        let future = TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later");
        assert!(
            future.is_some_and(|c| !c.sampled),
            "a later version is read by its first fields"
        );
    }
}
