//! Planted regressions: `--slow 'GET /item/{id}:+40ms@10%'` makes one route slower, so a
//! benchmark of a regression gate needs no other server.
//!
//! The extra time is slept **after** the request has released its capacity slot: the slowed route
//! answers later, but it does not hold a slot longer, so the other routes do not queue more. A
//! planted regression stays on the entry it names.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::RunnerError;

use super::routes::Route;

/// How much slower a slowed route answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extra {
    /// `+40ms`: this much more on every slowed request.
    Fixed(Duration),
    /// `+30%`: the request's own service time (the slot time it drew) × (1 + this share), so every
    /// quantile of the route's service time grows by that share. Only routes that hold a slot have
    /// a service time to scale.
    Scale(f64),
}

/// One `--slow` spec: a route (as `/__counters` names it), what is added, and to which share of
/// its requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Slowdown {
    /// The route's pattern, e.g. `GET /item/{id}`.
    pub route: &'static str,
    /// What is added to each slowed request.
    pub extra: Extra,
    /// Share (0 < share ≤ 1) of the route's requests slowed, drawn per request.
    pub share: f64,
}

/// The grammar, for error messages.
const GRAMMAR: &str = "expected 'METHOD PATTERN:+DURATION[@PERCENT%]' or \
                       'METHOD PATTERN:+PERCENT%[@PERCENT%]', e.g. 'GET /item/{id}:+40ms@10%'";

fn invalid(spec: &str, what: String) -> RunnerError {
    RunnerError::InvalidSetting(format!("--slow {spec:?}: {what}"))
}

/// `10%` → 0.10; `None` when it is not a number followed by `%`.
fn percent(text: &str) -> Option<f64> {
    text.trim()
        .strip_suffix('%')?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite())
        .map(|p| p / 100.0)
}

impl FromStr for Slowdown {
    type Err = RunnerError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (route, change) = spec
            .rsplit_once(':')
            .ok_or_else(|| invalid(spec, GRAMMAR.into()))?;
        let route = route.trim();
        let known = Route::counted();
        let found = known
            .iter()
            .find(|r| r.pattern() == Some(route))
            .ok_or_else(|| {
                let names: Vec<&str> = known.iter().filter_map(Route::pattern).collect();
                invalid(
                    spec,
                    format!("no route {route:?}; routes: {}", names.join(", ")),
                )
            })?;
        let (amount, share) = match change.split_once('@') {
            Some((amount, share)) => {
                let share = percent(share)
                    .filter(|s| *s > 0.0 && *s <= 1.0)
                    .ok_or_else(|| {
                        invalid(
                            spec,
                            format!("share {share:?}: expected 0% < PERCENT ≤ 100%"),
                        )
                    })?;
                (amount, share)
            }
            None => (change, 1.0),
        };
        let amount = amount
            .trim()
            .strip_prefix('+')
            .ok_or_else(|| invalid(spec, GRAMMAR.into()))?;
        let extra = if amount.ends_with('%') {
            let scale = percent(amount)
                .filter(|s| *s > 0.0)
                .ok_or_else(|| invalid(spec, format!("+{amount}: expected a positive percent")))?;
            if !found.holds_a_slot() {
                return Err(invalid(
                    spec,
                    format!("{route} has no service time to scale; use +DURATION"),
                ));
            }
            Extra::Scale(scale)
        } else {
            let duration = humantime::parse_duration(amount)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    invalid(spec, format!("+{amount}: expected a duration like 40ms"))
                })?;
            Extra::Fixed(duration)
        };
        Ok(Slowdown {
            route: found.pattern().unwrap_or_default(),
            extra,
            share,
        })
    }
}

impl fmt::Display for Slowdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.extra {
            Extra::Fixed(d) => write!(f, "{}:+{}", self.route, humantime::format_duration(d))?,
            Extra::Scale(s) => write!(f, "{}:+{}%", self.route, s * 100.0)?,
        }
        write!(f, "@{}%", self.share * 100.0)
    }
}

impl Slowdown {
    /// The extra time for one request of this route whose service time was `served`, drawn with
    /// `draw` uniform in [0, 1): zero for the requests outside the share.
    pub fn extra_for(&self, served: Duration, draw: f64) -> Duration {
        if draw >= self.share {
            return Duration::ZERO;
        }
        match self.extra {
            Extra::Fixed(d) => d,
            Extra::Scale(s) => served.mul_f64(s),
        }
    }
}

/// The total extra time `slowdowns` add to one request of `route` served in `served`.
pub fn extra_time(slowdowns: &[Slowdown], route: Route, served: Duration) -> Duration {
    let Some(pattern) = route.pattern() else {
        return Duration::ZERO;
    };
    slowdowns
        .iter()
        .filter(|s| s.route == pattern)
        .map(|s| s.extra_for(served, rand::random()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<Slowdown, String> {
        spec.parse::<Slowdown>().map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_duration_with_a_share() {
        let slow = parse("GET /item/{id}:+40ms@10%").unwrap();
        assert_eq!(slow.route, "GET /item/{id}");
        assert_eq!(slow.extra, Extra::Fixed(Duration::from_millis(40)));
        assert!((slow.share - 0.10).abs() < 1e-12);
        assert_eq!(slow.to_string(), "GET /item/{id}:+40ms@10%");
    }

    #[test]
    fn share_defaults_to_every_request_and_percent_scales_service_time() {
        let slow = parse("POST /items:+30%").unwrap();
        assert_eq!(slow.extra, Extra::Scale(0.30));
        assert_eq!(slow.share, 1.0);
        assert_eq!(
            slow.extra_for(Duration::from_millis(20), 0.99),
            Duration::from_millis(6)
        );
        let fixed = parse("GET /health:+1s").unwrap();
        assert_eq!(fixed.extra_for(Duration::ZERO, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn only_the_share_is_slowed() {
        let slow = parse("GET /items:+5ms@25%").unwrap();
        assert_eq!(
            slow.extra_for(Duration::ZERO, 0.24),
            Duration::from_millis(5)
        );
        assert_eq!(slow.extra_for(Duration::ZERO, 0.25), Duration::ZERO);
        let slowdowns = [slow, parse("GET /items:+1ms").unwrap()];
        let other = Route::resolve(&http::Method::GET, "/item/3");
        assert_eq!(
            extra_time(&slowdowns, other, Duration::from_millis(20)),
            Duration::ZERO
        );
        let items = Route::resolve(&http::Method::GET, "/items");
        assert!(extra_time(&slowdowns, items, Duration::ZERO) >= Duration::from_millis(1));
    }

    #[test]
    fn bad_specs_say_what_was_expected() {
        for (spec, expected) in [
            ("GET /item/{id}+40ms", "expected 'METHOD PATTERN"),
            (
                "GET /nope:+40ms",
                "no route \"GET /nope\"; routes: GET /items",
            ),
            ("GET /items:40ms", "expected 'METHOD PATTERN"),
            ("GET /items:+40parsecs", "expected a duration like 40ms"),
            ("GET /items:+0ms", "expected a duration"),
            ("GET /items:+-5%", "expected a positive percent"),
            ("GET /items:+5ms@0%", "expected 0% < PERCENT ≤ 100%"),
            ("GET /items:+5ms@150%", "expected 0% < PERCENT ≤ 100%"),
            ("GET /items:+5ms@ten", "expected 0% < PERCENT ≤ 100%"),
            ("GET /health:+30%", "no service time to scale"),
        ] {
            let message = parse(spec).unwrap_err();
            assert!(message.contains(expected), "{spec}: {message}");
            assert!(message.contains("--slow"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
}
