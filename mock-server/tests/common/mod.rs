//! Helpers for talking to a mock over real HTTP.
#![allow(dead_code)]

pub use reqwest::StatusCode;
use sandgate_mock::{MockConfig, MockServer, RouteMode};
use serde_json::Value;

/// A valid create body (image, entrypoint, resource limits, a 10-minute timeout) with
/// `extra` fields (`"k": v, ...`) added.
pub fn create_body(extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { ", " };
    format!(
        r#"{{"image": {{"uri": "python:3.11"}}, "entrypoint": ["python", "-m", "http.server"], "resourceLimits": {{"cpu": "500m", "memory": "512Mi"}}, "timeout": 600{sep}{extra}}}"#
    )
}

/// Whether `s` is a UUID (8-4-4-4-12 lowercase hex).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| {
            p.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        })
}

pub struct T {
    pub mock: MockServer,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn start(mode: RouteMode, trusted: bool) -> T {
    let mock = MockServer::start(MockConfig {
        route_mode: mode,
        trusted_headers: trusted,
        ..Default::default()
    })
    .unwrap();
    T {
        mock,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// Trusted headers of a user with `roles`.
pub fn user(name: &str, roles: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-OpenSandbox-User", name.to_owned()),
        ("X-OpenSandbox-Roles", roles.to_owned()),
    ]
}

impl T {
    pub fn admin(&self) -> Vec<(&'static str, String)> {
        vec![(
            "OPEN-SANDBOX-API-KEY",
            self.mock.admin_key().expose().to_owned(),
        )]
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Resp {
        self.raw(&self.mock.api_url(), method, path, headers, body)
            .await
    }

    pub async fn gw(&self, path: &str, headers: &[(&str, String)]) -> Resp {
        self.raw(&self.mock.gateway_url(), "GET", path, headers, None)
            .await
    }

    pub async fn raw(
        &self,
        base: &str,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Resp {
        let mut rb = self
            .http
            .request(method.parse().unwrap(), format!("{base}{path}"));
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let r = rb.send().await.unwrap();
        Resp {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }

    /// Creates a sandbox as `who` and returns its id.
    pub async fn sandbox(&self, who: &[(&str, String)], secure: bool) -> String {
        let body = create_body(&format!(r#""secureAccess": {secure}"#));
        let r = self.call("POST", "/v1/sandboxes", who, Some(&body)).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        r.json()["id"].as_str().unwrap().to_owned()
    }

    /// Mints a key as `who` and returns (id, raw key).
    pub async fn mint(&self, who: &[(&str, String)], body: &str) -> (String, String) {
        let r = self.call("POST", "/api/v1/keys", who, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let d = r.json()["data"].clone();
        (
            d["id"].as_str().unwrap().to_owned(),
            d["key"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn endpoint(&self, id: &str, port: u16, query: &str) -> Resp {
        self.call(
            "GET",
            &format!("/v1/sandboxes/{id}/endpoints/{port}{query}"),
            &self.admin(),
            None,
        )
        .await
    }
}
