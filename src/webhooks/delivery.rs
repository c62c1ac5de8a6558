//! Sending one message to one endpoint as the Standard Webhooks specification says: the headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 of
//! `id.timestamp.body`, base64, `v1,` before it), over a client that will not reach private
//! addresses, follow redirects, wait long or read much of what the receiver answers.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

use crate::config::WebhookSettings;
use crate::trace_context::TraceContext;

/// What the signing secret starts with, as the specification's libraries expect.
pub const SECRET_PREFIX: &str = "whsec_";

/// The most of a receiver's answer read, and the most kept in the delivery log.
const RESPONSE_READ_BYTES: usize = 4 * 1024;
const EXCERPT_CHARS: usize = 200;

/// A new signing secret: 32 random bytes.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", BASE64.encode(bytes))
}

/// The `v1,` signature of a message under one secret.
pub fn signature(secret: &str, webhook_id: &str, timestamp: i64, body: &str) -> String {
    let key = BASE64
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .unwrap_or_default();
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{webhook_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Whether an address is one a webhook must not reach by default: loopback, private, link-local,
/// shared (carrier-grade NAT), unspecified, broadcast, multicast or documentation ranges.
pub fn is_internal(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
            }
        },
    }
}

/// Resolves endpoint names, keeping only public addresses: checked at every connection, so a
/// name that later points inside the network (DNS rebinding) is refused all the same.
struct PublicAddressesOnly;

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{} resolves only to private, loopback or link-local addresses, which webhooks may not reach",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The client every delivery goes through.
pub fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        .timeout(settings.timeout)
        .user_agent(concat!("cspfund-webhooks/", env!("CARGO_PKG_VERSION")));
    if settings.allow_private {
        builder.build()
    } else {
        builder.dns_resolver(std::sync::Arc::new(PublicAddressesOnly)).build()
    }
}

/// One message as the worker sends it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: i64,
    pub subscription_id: i64,
    pub webhook_id: String,
    pub url: String,
    pub body: String,
    /// The current secret, and the previous one while its overlap lasts.
    pub secrets: Vec<String>,
    /// The delivery's span, in the trace of the request that caused the message.
    pub trace: TraceContext,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivered: bool,
    pub response_status: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// Sends one message: delivered on any 2xx answer.
pub async fn send(client: &reqwest::Client, settings: &WebhookSettings, outgoing: &Outgoing) -> Attempt {
    let started = Instant::now();
    // The receiver checks this against its own clock, so it is the real time even when the
    // service's clock has been set for a demonstration.
    let timestamp = chrono::Utc::now().timestamp();
    let signatures: Vec<String> = outgoing
        .secrets
        .iter()
        .map(|secret| signature(secret, &outgoing.webhook_id, timestamp, &outgoing.body))
        .collect();
    let elapsed = |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    if let Some(refusal) = refused_literal(&outgoing.url, settings.allow_private) {
        return Attempt {
            delivered: false,
            response_status: None,
            duration_ms: elapsed(started),
            error: Some(refusal),
            response_excerpt: None,
        };
    }
    let sent = client
        .post(&outgoing.url)
        .header("content-type", "application/json")
        .header("webhook-id", &outgoing.webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .header("traceparent", outgoing.trace.header())
        .body(outgoing.body.clone())
        .send()
        .await;
    match sent {
        Ok(mut response) => {
            let status = response.status();
            let mut read = Vec::new();
            while read.len() < RESPONSE_READ_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            let excerpt: String = String::from_utf8_lossy(&read).chars().take(EXCERPT_CHARS).collect();
            Attempt {
                delivered: status.is_success(),
                response_status: Some(i32::from(status.as_u16())),
                duration_ms: elapsed(started),
                error: (!status.is_success()).then(|| format!("the endpoint answered {status}")),
                response_excerpt: Some(excerpt).filter(|e| !e.is_empty()),
            }
        }
        Err(error) => Attempt {
            delivered: false,
            response_status: None,
            duration_ms: elapsed(started),
            error: Some(describe(&error)),
            response_excerpt: None,
        },
    }
}

/// A failed request in a few words, with its cause.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    let text = if cause.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {cause}")
    };
    text.chars().take(EXCERPT_CHARS).collect()
}

/// Why an endpoint URL whose host is an address literal may not be reached, if it may not.
/// (Names are checked when they are resolved.)
pub fn refused_literal(url: &str, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    let address = match parsed.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            return (name == "localhost" || name.ends_with(".localhost"))
                .then(|| format!("{name} is this machine, which webhooks may not reach"));
        }
    };
    is_internal(address)
        .then(|| format!("{address} is a private, loopback or link-local address, which webhooks may not reach"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_as_the_specification_s_own_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_internal() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(internal.parse().expect("an address")), "{internal}");
        }
        for public in ["81.2.69.160", "2a00:1450:4009:81f::200e"] {
            assert!(!is_internal(public.parse().expect("an address")), "{public}");
        }
        assert!(refused_literal("https://[::1]:8443/hook", false).is_some());
        assert!(refused_literal("https://LOCALHOST./hook", false).is_some());
        assert!(refused_literal("https://grants.example.gov.uk/hook", false).is_none());
        assert!(refused_literal("https://127.0.0.1/hook", true).is_none());
    }
}
