//! Who may call what: every endpoint with no token, a wrong token, the
//! wrong role and the right role; tokens from a digest, a file and
//! rotated by a config edit; an open service kept off other machines.

use std::time::Duration;

use escalator_integration_tests::{TestServer, conversation, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Digest;

const CLIENT_TOKEN: &str = "esc_client_0123456789abcdef0123456789";
const OPERATOR_TOKEN: &str = "esc_operator_0123456789abcdef012345";
const ROTATED_TOKEN: &str = "esc_rotated_operator_0123456789abcdef";

fn digest(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Every route that needs a token, with the role it needs. The test below
/// also checks this list against the OpenAPI document, so a new endpoint
/// cannot be added without deciding who may call it.
fn protected() -> Vec<(Method, &'static str, &'static str)> {
    use Method as M;
    vec![
        (M::POST, "/v1/decide", "client"),
        (M::POST, "/v1/outcomes", "client"),
        (M::GET, "/v1/plugins", "operator"),
        (M::GET, "/v1/config", "operator"),
        (M::GET, "/v1/decisions", "operator"),
        (
            M::GET,
            "/v1/decisions/0190a0f0-0000-7000-8000-000000000000",
            "operator",
        ),
        (M::GET, "/v1/conversations/c-1", "operator"),
        (M::GET, "/v1/store", "operator"),
        (M::GET, "/v1/kpis", "operator"),
        (M::GET, "/v1/review", "operator"),
        (M::POST, "/v1/replay", "operator"),
        (M::GET, "/v1/audit", "operator"),
        (M::GET, "/metrics", "operator"),
    ]
}

fn body_for(path: &str) -> Value {
    match path {
        "/v1/decide" => conversation(&[("customer", "where is my parcel?", None)]),
        "/v1/outcomes" => json!({"events": []}),
        _ => json!({}),
    }
}

async fn call(
    server: &TestServer,
    method: &Method,
    path: &str,
    auth: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = server
        .client
        .request(method.clone(), format!("{}{path}", server.base));
    if *method == Method::POST {
        request = request.json(&body_for(path));
    }
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

fn config_with_tokens() -> String {
    format!(
        "[auth.tokens.helpdesk]\nrole = \"client\"\nsha256 = \"{}\"\n\
         [auth.tokens.ops]\nrole = \"operator\"\nfile = \"ops.token\"\n",
        digest(CLIENT_TOKEN)
    )
}

async fn server_with_tokens() -> TestServer {
    // The operator's token comes from a file beside the config.
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        config_dir.path().join("ops.token"),
        format!("{OPERATOR_TOKEN}\n"),
    )
    .unwrap();
    TestServer::start_with_config_file_in_dir(
        &config_with_tokens(),
        tempfile::tempdir().unwrap(),
        config_dir,
    )
    .await
}

#[tokio::test]
async fn every_endpoint_checks_the_token_and_the_role() {
    let server = server_with_tokens().await;
    let client = format!("Bearer {CLIENT_TOKEN}");
    let operator = format!("Bearer {OPERATOR_TOKEN}");

    for (method, path, role) in protected() {
        let what = format!("{method} {path}");
        let (status, challenge, body) = call(&server, &method, path, None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{what} without a token: {body}"
        );
        assert_eq!(
            challenge.as_deref(),
            Some("Bearer realm=\"escalator\""),
            "{what}"
        );
        assert_eq!(body["error"]["code"], "unauthenticated", "{what}");

        let (status, challenge, body) = call(
            &server,
            &method,
            path,
            Some("Bearer esc_not_a_token_0123456789"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{what} with a wrong token"
        );
        assert!(challenge.unwrap().contains("invalid_token"), "{what}");
        assert_eq!(body["error"]["code"], "invalid_token", "{what}");

        // A token one character short of a real one is just as wrong.
        let cut = &OPERATOR_TOKEN[..OPERATOR_TOKEN.len() - 1];
        let (status, _, _) = call(&server, &method, path, Some(&format!("Bearer {cut}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} with a cut token");

        let (status, _, _) = call(
            &server,
            &method,
            path,
            Some(&format!("Basic {OPERATOR_TOKEN}")),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{what} with another scheme"
        );

        let (status, _, body) = call(&server, &method, path, Some(&client)).await;
        if role == "operator" {
            assert_eq!(status, StatusCode::FORBIDDEN, "{what} as a client: {body}");
            assert_eq!(body["error"]["code"], "forbidden", "{what}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("operator"),
                "{body}"
            );
        } else {
            assert!(
                ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
                "{what} as a client: {status} {body}"
            );
        }
        let (status, _, body) = call(&server, &method, path, Some(&operator)).await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
            "{what} as an operator: {status} {body}"
        );
    }

    // A client's decision is really decided, and probes need no token.
    let (status, _, body) = call(&server, &Method::POST, "/v1/decide", Some(&client)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["action"].is_string(), "{body}");
    for open in ["/healthz", "/readyz"] {
        let (status, _, _) = call(&server, &Method::GET, open, None).await;
        assert_eq!(status, StatusCode::OK, "{open}");
    }

    // The configuration shows who may call, never a token or its digest.
    let (_, _, config) = call(&server, &Method::GET, "/v1/config", Some(&operator)).await;
    let shown = config.to_string();
    assert!(
        shown.contains("helpdesk") && shown.contains("ops"),
        "{shown}"
    );
    for secret in [
        CLIENT_TOKEN,
        OPERATOR_TOKEN,
        &digest(CLIENT_TOKEN),
        &digest(OPERATOR_TOKEN),
    ] {
        assert!(
            !shown.contains(secret),
            "GET /v1/config shows a token or its digest"
        );
    }
}

#[tokio::test]
async fn the_route_list_covers_every_documented_endpoint() {
    let server = server_with_tokens().await;
    let (status, _, doc) = call(&server, &Method::GET, "/openapi.json", None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the OpenAPI document is open to anyone"
    );
    let listed = protected();
    let open = ["/healthz", "/readyz", "/openapi.json"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let secured = item[method.as_str().to_lowercase()]["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if open.contains(&path.as_str()) {
                assert!(
                    !secured,
                    "{method} {path} is open but documented as secured"
                );
                continue;
            }
            let known = listed.iter().any(|(m, p, _)| {
                *m == method && (p == path || (path.contains('{') && same_template(path, p)))
            });
            assert!(
                known,
                "{method} {path} is not in this test's list of protected routes"
            );
            assert!(
                secured,
                "{method} {path} needs a token but its document says none"
            );
        }
    }
}

/// `/v1/decisions/{id}` matches `/v1/decisions/0190…`.
fn same_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

#[tokio::test]
async fn tokens_rotate_with_a_config_edit_and_the_last_one_cannot_be_removed_from_an_exposed_service()
 {
    // Listening (as far as the config says) on every interface.
    let exposed = format!("listen = \"0.0.0.0:0\"\n{}", config_with_tokens());
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(config_dir.path().join("ops.token"), OPERATOR_TOKEN).unwrap();
    let server = TestServer::start_with_config_file_in_dir(
        &exposed,
        tempfile::tempdir().unwrap(),
        config_dir,
    )
    .await;
    let old = format!("Bearer {OPERATOR_TOKEN}");
    let new = format!("Bearer {ROTATED_TOKEN}");
    assert_eq!(
        call(&server, &Method::GET, "/v1/store", Some(&old)).await.0,
        StatusCode::OK
    );

    // Rotation: the operator's token is replaced by a new digest.
    let rotated = format!(
        "listen = \"0.0.0.0:0\"\n[auth.tokens.ops2]\nrole = \"operator\"\nsha256 = \"{}\"\n",
        digest(ROTATED_TOKEN)
    );
    server.rewrite_config(&rotated);
    eventually(
        Duration::from_secs(20),
        "the rotated token is accepted",
        || async { call(&server, &Method::GET, "/v1/store", Some(&new)).await.0 == StatusCode::OK },
    )
    .await;
    assert_eq!(
        call(&server, &Method::GET, "/v1/store", Some(&old)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Removing every token from a service listening beyond loopback is
    // refused, and the tokens in force stay in force.
    server.rewrite_config("listen = \"0.0.0.0:0\"\n[merge]\noffer_threshold = 0.4\n");
    eventually(Duration::from_secs(20), "the edit is refused", || async {
        let (_, _, config) = call(&server, &Method::GET, "/v1/config", Some(&new)).await;
        config["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("without authentication"))
    })
    .await;
    assert_eq!(
        call(&server, &Method::GET, "/v1/store", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&server, &Method::GET, "/v1/store", Some(&new)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_tokens_everything_is_open_on_loopback() {
    let server = TestServer::start("", &[]).await;
    let (status, _, body) = call(&server, &Method::GET, "/v1/store", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = call(&server, &Method::POST, "/v1/decide", None).await;
    assert_eq!(status, StatusCode::OK);
}
