//! The client's address: the socket's peer, or — only when that peer is a trusted proxy — the
//! nearest untrusted address in `X-Forwarded-For`. So behind a proxy one user cannot lock out
//! everyone, and a direct client cannot pick the address it is counted under.

use crate::state::AppState;
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
        Ok(ClientIp(client_ip(peer, &forwarded, &state.settings.trusted_proxies)))
    }
}

pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Walk from the nearest hop outwards; the first address not of a trusted proxy is the client.
    let hops: Vec<IpAddr> =
        forwarded_for.iter().flat_map(|h| h.split(',')).filter_map(|s| s.trim().parse::<IpAddr>().ok()).collect();
    hops.iter().rev().find(|ip| !is_trusted(ip)).copied().or_else(|| hops.first().copied()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &[]), ip("203.0.113.9"));
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_proxies_pass_on_the_nearest_untrusted_hop() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(ip("10.0.0.2"), &["1.2.3.4, 10.0.0.7"], &trusted), ip("1.2.3.4"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["6.6.6.6, 1.2.3.4"], &trusted),
            ip("1.2.3.4"),
            "a spoofed first hop is not believed"
        );
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
    }
}
