//! `smallstack healthcheck`: asks the running server's `/health` at `LEPTOS_SITE_ADDR` and exits 0
//! when it answers 200 `{"status":"ok"}`, else prints one line saying why and exits 1. Docker's
//! `HEALTHCHECK` runs it every 30 seconds, so the image needs no curl; it prints nothing when the
//! server is healthy.

use crate::config::Settings;
use contract::accounts::Health;
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    process::ExitCode,
    time::Duration,
};

/// Docker's own timeout for the check is 5 s (see the Dockerfile).
const TIMEOUT: Duration = Duration::from_secs(3);

/// The URL asked: a server listening on every address (`0.0.0.0`, `[::]`) is asked on 127.0.0.1.
pub fn health_url(addr: SocketAddr) -> String {
    let addr =
        if addr.ip().is_unspecified() { SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()) } else { addr };
    format!("http://{addr}/health")
}

pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let url = health_url(settings.site_addr);
    Ok(match check(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("smallstack healthcheck: {url}: {reason}");
            ExitCode::FAILURE
        }
    })
}

async fn check(url: &str) -> Result<(), String> {
    // No proxy: the server is on this machine, whatever HTTP_PROXY the container inherited.
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .no_proxy()
        .user_agent(concat!("smallstack-healthcheck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let response = client.get(url).send().await.map_err(|e| describe(&e))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| describe(&e))?;
    match serde_json::from_str::<Health>(&body) {
        Ok(health) if status.is_success() && health.status == "ok" => Ok(()),
        Ok(health) => Err(format!(
            "unhealthy: status {status}, {{\"status\":{:?},\"database\":{:?}}}",
            health.status, health.database
        )),
        Err(_) => Err(format!("not a health answer: status {status}, body {:?}", shorten(&body))),
    }
}

/// One line naming the problem: the innermost cause ("Connection refused (os error 111)").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let cause = cause.to_string().replace('\n', " ");
    if e.is_connect() { format!("cannot connect: {cause}") } else { format!("request failed: {cause}") }
}

fn shorten(body: &str) -> String {
    let line: String = body.chars().filter(|c| !c.is_control()).take(80).collect();
    if body.chars().count() > 80 { format!("{line}…") } else { line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_on_every_interface_is_asked_on_localhost() {
        assert_eq!(health_url("0.0.0.0:3000".parse().unwrap()), "http://127.0.0.1:3000/health");
        assert_eq!(health_url("[::]:8080".parse().unwrap()), "http://127.0.0.1:8080/health");
        assert_eq!(health_url("127.0.0.1:3000".parse().unwrap()), "http://127.0.0.1:3000/health");
        assert_eq!(health_url("[::1]:3000".parse().unwrap()), "http://[::1]:3000/health");
        assert_eq!(health_url("10.1.2.3:80".parse().unwrap()), "http://10.1.2.3:80/health");
    }
}
