//! The one retry policy every request and transfer goes through: AWS's standard mode. At most
//! `max_attempts` tries (3 by default); between them a full-jitter exponential backoff capped at 20 s,
//! with a longer base for throttling than for transient faults; `x-amz-retry-after` honoured; and a
//! retry quota shared by the client, so a failing server is not hammered. This module decides; the
//! client's send loop (`client::pipeline`) acts, and is the only place a request is repeated.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;
use std::time::SystemTime;

use crate::error::Error;

/// How a client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// Backoff base for transient faults (5xx, resets, timeouts).
    pub transient_base: Duration,
    /// Backoff base for throttling (`SlowDown`, 429, 503 `SlowDown`).
    pub throttling_base: Duration,
    /// No single wait is longer than this.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            transient_base: Duration::from_millis(100),
            throttling_base: Duration::from_millis(1000),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// What kind of failure an error is, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A fault worth another try soon: 500/502/503/504, `InternalError`, a reset connection.
    Transient,
    /// The server asked us to slow down.
    Throttling,
    /// No answer in time.
    Timeout,
    /// The request's signing time is too far from the server's clock.
    ClockSkew,
    /// Retrying would get the same answer (bad input, 403, 404, ...).
    Final,
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const TRANSIENT_CODES: &[&str] = &[
    // The body's checksum (or Content-MD5) did not match: the bytes changed on the way, and
    // another attempt sends them again from their source.
    "BadDigest",
    "XAmzContentChecksumMismatch",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
    "ServiceUnavailable",
    "IDPCommunicationError",
];

const SKEW_CODES: &[&str] = &[
    "RequestTimeTooSkewed",
    "RequestExpired",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
];

/// Classify an error. Signature errors count as clock skew only when the server's clock is known to
/// differ (see [`clock_offset`]); the caller checks that.
pub fn classify(error: &Error) -> Failure {
    match error {
        Error::Transport { timeout: true, .. } => Failure::Timeout,
        Error::Transport { .. } => Failure::Transient,
        Error::InvalidResponse(_) => Failure::Transient,
        Error::Service(envelope) => {
            let code = envelope.error_code().unwrap_or("");
            if code == "RequestTimeTooSkewed" {
                Failure::ClockSkew
            } else if THROTTLING_CODES.contains(&code) || envelope.status == 429 {
                Failure::Throttling
            } else if TRANSIENT_CODES.contains(&code)
                || matches!(envelope.status, 500 | 502 | 503 | 504)
            {
                Failure::Transient
            } else if SKEW_CODES.contains(&code) {
                Failure::ClockSkew
            } else {
                Failure::Final
            }
        }
        _ => Failure::Final,
    }
}

/// How long to wait before attempt `attempt + 1` (attempts count from 1): a server's
/// `x-amz-retry-after` (milliseconds) when it sends one, else full jitter over an exponential ceiling.
pub fn backoff(policy: &RetryPolicy, failure: Failure, attempt: u32, error: &Error) -> Duration {
    if let Some(ms) = error
        .envelope()
        .and_then(|e| e.headers.get("x-amz-retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Duration::from_millis(ms).min(policy.max_backoff);
    }
    let base = match failure {
        Failure::Throttling => policy.throttling_base,
        Failure::ClockSkew => Duration::ZERO,
        _ => policy.transient_base,
    };
    let ceiling = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(policy.max_backoff);
    ceiling.mul_f64(fastrand::f64())
}

/// The server's clock minus ours, from a skew error's `Date` header, in seconds.
pub fn clock_offset(error: &Error) -> Option<i64> {
    let date = error.envelope()?.headers.get("date")?;
    let server = httpdate::parse_http_date(date).ok()?;
    let now = std::time::SystemTime::now();
    Some(match server.duration_since(now) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

/// A client's retry state: its policy, its quota and the clock offset it has learnt. Shared by the
/// clones of one client, never between clients.
#[derive(Debug, Default)]
pub struct Retrier {
    pub policy: RetryPolicy,
    pub quota: RetryQuota,
    /// The server's clock minus ours, in seconds, learnt from a `RequestTimeTooSkewed` answer.
    clock_offset: AtomicI64,
}

impl Retrier {
    pub fn new(policy: RetryPolicy) -> Self {
        Retrier {
            policy,
            quota: RetryQuota::default(),
            clock_offset: AtomicI64::new(0),
        }
    }

    /// The signing time: now, corrected by what a `RequestTimeTooSkewed` answer taught us.
    pub fn signing_time(&self) -> SystemTime {
        let offset = self.clock_offset.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        }
    }

    /// Whether to try again after attempt `attempt` (from 1) of at most `max_attempts` failed with
    /// `error`, and after how long. `spent` adds up the quota the call's retries took.
    pub fn after_failure(
        &self,
        error: &Error,
        attempt: u32,
        max_attempts: u32,
        spent: &mut u32,
    ) -> Option<Duration> {
        let failure = classify(error);
        if failure == Failure::Final || attempt >= max_attempts {
            return None;
        }
        if failure == Failure::ClockSkew {
            // Only a clock that is really off is worth correcting; a wrong secret stays an error.
            let offset = clock_offset(error)?;
            if offset.abs() < 60
                && error.envelope().and_then(|e| e.error_code()) != Some("RequestTimeTooSkewed")
            {
                return None;
            }
            self.clock_offset.store(offset, Ordering::Relaxed);
        }
        *spent += self.quota.acquire(failure)?;
        Some(backoff(&self.policy, failure, attempt, error))
    }

    /// A call succeeded after its retries took `spent`.
    pub fn succeeded(&self, spent: u32) {
        self.quota.release(spent);
    }
}

/// The retry quota (AWS standard mode): 500 tokens; a retry costs 5 (10 after a timeout); a success
/// after retries gives its cost back, a first-try success gives 1. When empty, errors are final.
#[derive(Debug)]
pub struct RetryQuota {
    tokens: AtomicU32,
}

pub const QUOTA_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_COST: u32 = 10;

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota {
            tokens: AtomicU32::new(QUOTA_CAPACITY),
        }
    }
}

impl RetryQuota {
    /// Take the cost of retrying after `failure`; false when the quota is spent.
    pub fn acquire(&self, failure: Failure) -> Option<u32> {
        let cost = if failure == Failure::Timeout {
            TIMEOUT_COST
        } else {
            RETRY_COST
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// Give tokens back after a success (`spent` is what its retries took).
    pub fn release(&self, spent: u32) {
        let give = if spent == 0 { 1 } else { spent };
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some((t + give).min(QUOTA_CAPACITY))
            });
    }

    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    fn service(status: u16, code: &str) -> Error {
        let response = if code.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::json!({"Error": {"Code": code}})
        };
        Error::Service(Box::new(Envelope {
            status,
            response,
            headers: Default::default(),
        }))
    }

    #[test]
    fn classification() {
        assert_eq!(classify(&service(500, "InternalError")), Failure::Transient);
        assert_eq!(classify(&service(503, "SlowDown")), Failure::Throttling);
        assert_eq!(
            classify(&service(200, "InternalError")),
            Failure::Transient,
            "200 with an <Error> body"
        );
        assert_eq!(classify(&service(429, "")), Failure::Throttling);
        assert_eq!(classify(&service(502, "")), Failure::Transient);
        assert_eq!(
            classify(&service(403, "RequestTimeTooSkewed")),
            Failure::ClockSkew
        );
        assert_eq!(classify(&service(404, "NoSuchKey")), Failure::Final);
        assert_eq!(classify(&service(403, "AccessDenied")), Failure::Final);
        assert_eq!(classify(&Error::InvalidInput("x".into())), Failure::Final);
        let reset = Error::Transport {
            method: "GET".into(),
            url: "u".into(),
            message: "reset".into(),
            timeout: false,
        };
        assert_eq!(classify(&reset), Failure::Transient);
    }

    #[test]
    fn backoff_is_jittered_under_an_exponential_ceiling() {
        let policy = RetryPolicy::default();
        let e = service(500, "InternalError");
        for attempt in 1..10 {
            let d = backoff(&policy, Failure::Transient, attempt, &e);
            let ceiling = policy.transient_base * (1 << (attempt - 1));
            assert!(d <= ceiling.min(policy.max_backoff), "{attempt}: {d:?}");
        }
        assert!(
            backoff(&policy, Failure::Throttling, 30, &service(503, "SlowDown"))
                <= Duration::from_secs(20)
        );
        let mut told = Envelope {
            status: 503,
            response: serde_json::json!({"Error": {"Code": "SlowDown"}}),
            headers: Default::default(),
        };
        told.headers
            .insert("x-amz-retry-after".into(), "1500".into());
        assert_eq!(
            backoff(
                &policy,
                Failure::Throttling,
                1,
                &Error::Service(Box::new(told))
            ),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn the_quota_runs_out_and_refills() {
        let quota = RetryQuota::default();
        let mut taken = 0;
        while quota.acquire(Failure::Transient).is_some() {
            taken += 1;
        }
        assert_eq!(taken, QUOTA_CAPACITY / RETRY_COST);
        quota.release(5);
        assert!(quota.acquire(Failure::Transient).is_some());
        assert!(quota.acquire(Failure::Timeout).is_none());
    }
}
