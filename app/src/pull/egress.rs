//! Where the Mixpanel secret may be sent: only to Mixpanel. The residency's https host is the
//! only destination an admin can choose; a different base URL (a test fake, a corporate proxy)
//! is a deployment setting in the environment, not a form field, so a stolen admin session
//! cannot point the secret at another server. Unless the environment allows it, requests go
//! over https only, to public addresses only (no loopback, private or link-local: the server
//! must not be turned into a probe of its own network), and redirects are never followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::settings::MixpanelSettings;

/// The deployment's rules for outgoing export requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Egress {
    base_override: Option<String>,
    allow_local: bool,
}

impl Egress {
    /// `base_override` replaces every residency's host; `allow_local` permits http and
    /// loopback/private addresses (tests, an in-house proxy).
    pub fn new(base_override: Option<&str>, allow_local: bool) -> Result<Self, String> {
        let base_override = base_override
            .map(|b| b.trim().trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        if let Some(base) = &base_override {
            let https = base.starts_with("https://");
            if !(https || allow_local && base.starts_with("http://")) {
                return Err(format!(
                    "VERDICT_MIXPANEL_BASE_URL '{base}' must start with https:// (http:// only with VERDICT_MIXPANEL_ALLOW_LOCAL=1)"
                ));
            }
        }
        Ok(Self {
            base_override,
            allow_local,
        })
    }

    /// From `VERDICT_MIXPANEL_BASE_URL` and `VERDICT_MIXPANEL_ALLOW_LOCAL` (1 or true).
    pub fn from_env() -> Result<Self, String> {
        let base = std::env::var("VERDICT_MIXPANEL_BASE_URL").ok();
        let allow = std::env::var("VERDICT_MIXPANEL_ALLOW_LOCAL")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        Self::new(base.as_deref(), allow)
    }

    /// The export API's origin for these settings, without a trailing slash.
    pub fn base<'a>(&'a self, settings: &MixpanelSettings) -> &'a str {
        self.base_override
            .as_deref()
            .unwrap_or(settings.residency.host())
    }

    pub fn allows_local(&self) -> bool {
        self.allow_local
    }

    /// Refuses a destination the rules forbid before anything is sent: a plain-http URL, or
    /// an address literal that is not public.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        if self.allow_local {
            return Ok(());
        }
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(format!(
                "refusing to send the Mixpanel secret over plain http ({url})"
            ));
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let host = authority
            .rsplit_once(':')
            .filter(|(h, port)| !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(authority, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) if !is_public(ip) => {
                Err(format!("refusing to connect to {ip}: not a public address"))
            }
            _ => Ok(()),
        }
    }

    /// The DNS resolver the client uses: public addresses only, unless local ones are allowed.
    pub fn resolver(&self) -> Option<Arc<PublicOnly>> {
        (!self.allow_local).then(|| Arc::new(PublicOnly))
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, CGNAT,
/// unspecified, multicast, documentation or unique-local).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves with the system resolver, then keeps only public addresses.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_count_as_public() {
        for private in [
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
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["34.120.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_secret_goes_over_https_to_public_hosts_only_unless_the_deployment_says() {
        let strict = Egress::default();
        assert!(strict
            .check_url("https://data.mixpanel.com/api/2.0/export")
            .is_ok());
        assert!(strict
            .check_url("http://data.mixpanel.com/api/2.0/export")
            .is_err());
        assert!(strict.check_url("https://127.0.0.1:8080/api").is_err());
        assert!(strict.check_url("https://[::1]/api").is_err());
        assert!(strict.check_url("https://169.254.169.254/latest").is_err());
        let local = Egress::new(Some("http://127.0.0.1:9/"), true).unwrap();
        assert!(local.check_url("http://127.0.0.1:9/api/2.0/export").is_ok());
        assert!(Egress::new(Some("http://proxy.internal"), false).is_err());
        assert!(Egress::new(Some("https://proxy.internal"), false).is_ok());
    }
}
