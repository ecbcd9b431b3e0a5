//! Bad requests get a clear 4xx JSON error naming the problem, and the server
//! keeps serving.

use escalator_integration_tests::{TestServer, conversation};
use serde_json::{Value, json};

async fn post_raw(server: &TestServer, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = server
        .client
        .post(format!("{}/v1/decide", server.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.expect("error bodies are JSON"))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_bad_request_gets_its_status_code_and_field() {
    let server = TestServer::start("", &["vip-accounts"]).await;
    let valid_message = json!({"role": "customer", "text": "hi", "at": "2026-01-01T00:00:00Z"});
    let with_message = |patch: Value| {
        let mut m = valid_message.clone();
        for (k, v) in patch.as_object().unwrap() {
            m[k] = v.clone();
        }
        json!({"conversation_id": "c", "messages": [m]}).to_string()
    };
    // (body, status, code, field)
    let cases: Vec<(String, u16, &str, Option<&str>)> = vec![
        ("{\"conversation_id\": ".into(), 400, "malformed_json", None),
        ("not json at all".into(), 400, "malformed_json", None),
        ("{}".into(), 422, "invalid_field", Some("conversation_id")),
        (
            json!({"conversation_id": 42}).to_string(),
            422,
            "invalid_field",
            Some("conversation_id"),
        ),
        (
            json!({"conversation_id": "c", "messages": "hi"}).to_string(),
            422,
            "invalid_field",
            Some("messages"),
        ),
        (
            with_message(json!({"role": "robot"})),
            422,
            "invalid_field",
            Some("messages[0].role"),
        ),
        (
            with_message(json!({"at": "last tuesday"})),
            422,
            "invalid_field",
            Some("messages[0].at"),
        ),
        (
            with_message(json!({"role": "ai", "ai": {"confidence": 1.5}})),
            422,
            "invalid_field",
            Some("messages[0].ai.confidence"),
        ),
        (
            with_message(json!({"role": "ai", "ai": {"confidence": -0.1}})),
            422,
            "invalid_field",
            Some("messages[0].ai.confidence"),
        ),
        (
            json!({"conversation_id": "c", "customer": {"account_rank": "first"}}).to_string(),
            422,
            "invalid_field",
            Some("customer.account_rank"),
        ),
        (
            json!({"conversation_id": "c", "now": "tomorrow"}).to_string(),
            422,
            "invalid_field",
            Some("now"),
        ),
        (
            json!({"conversation_id": "c", "mesages": []}).to_string(),
            422,
            "invalid_field",
            Some("mesages"),
        ),
        (
            with_message(json!({"role": "system", "event": {"type": "escalated"}})),
            422,
            "invalid_field",
            Some("messages[0].event.type"),
        ),
        (
            with_message(json!({"event": {"type": "handoff_to_human"}})),
            422,
            "invalid_field",
            Some("messages[0].event"),
        ),
        (
            with_message(json!({"role": "system", "event": {"type": "transfer"}})),
            422,
            "invalid_field",
            Some("messages[0].event"),
        ),
        (
            with_message(
                json!({"role": "system", "event": {"type": "handoff_to_human", "agnt": "x"}}),
            ),
            422,
            "invalid_field",
            Some("messages[0].event.agnt"),
        ),
        (
            json!({"conversation_id": "c", "messages": [
                {"role": "system", "at": "2026-01-01T00:00:00Z", "event": {"type": "handoff_to_human"}},
                {"role": "system", "at": "2026-01-01T00:01:00Z", "event": {"type": "handoff_to_human"}},
            ]})
            .to_string(),
            422,
            "invalid_field",
            Some("messages[1].event.type"),
        ),
        (
            with_message(json!({"attachments": [{"name": ""}]})),
            422,
            "invalid_field",
            Some("messages[0].attachments[0].name"),
        ),
        (
            with_message(json!({"attachments": [{"name": "a.png", "size": 3}]})),
            422,
            "invalid_field",
            Some("messages[0].attachments[0].size"),
        ),
    ];
    for (body, status, code, field) in cases {
        let (got, err) = post_raw(&server, "application/json", body.clone().into_bytes()).await;
        assert_eq!(got, status, "{body} -> {err}");
        assert_eq!(err["error"]["code"], code, "{body} -> {err}");
        assert!(!err["error"]["message"].as_str().unwrap().is_empty());
        match field {
            Some(f) => assert_eq!(err["error"]["field"], f, "{body} -> {err}"),
            None => assert!(err["error"]["field"].is_null()),
        }
    }
    // Still serving, and still deciding correctly.
    let d = server
        .decide(&conversation(&[("customer", "hello", None)]))
        .await;
    assert_eq!(d["action"], "stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_one_mebibyte_gets_413() {
    let server = TestServer::start("", &[]).await;
    let big = json!({"conversation_id": "c", "messages": [
        {"role": "customer", "text": "x".repeat(1 << 20), "at": "2026-01-01T00:00:00Z"}
    ]});
    let (status, err) = post_raw(&server, "application/json", big.to_string().into_bytes()).await;
    assert_eq!(status, 413);
    assert_eq!(err["error"]["code"], "payload_too_large");
    let bigger = vec![b' '; 3 << 20];
    let (status, _) = post_raw(&server, "application/json", bigger).await;
    assert_eq!(status, 413);

    // Just under the limit is fine (spread over messages, each within
    // `input.max_message_chars`).
    let message =
        json!({"role": "customer", "text": "x".repeat(62_000), "at": "2026-01-01T00:00:00Z"});
    let fits = json!({"conversation_id": "c", "messages": vec![message; 16]});
    assert!(fits.to_string().len() > 990_000);
    let (status, _) = post_raw(&server, "application/json", fits.to_string().into_bytes()).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_json_content_type_gets_415() {
    let server = TestServer::start("", &[]).await;
    let body = json!({"conversation_id": "c"}).to_string().into_bytes();
    let (status, err) = post_raw(&server, "text/plain", body.clone()).await;
    assert_eq!(status, 415);
    assert_eq!(err["error"]["code"], "unsupported_media_type");
    let (status, _) = post_raw(&server, "application/json; charset=utf-8", body).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_get_a_json_404() {
    let server = TestServer::start("", &[]).await;
    let (status, err) = server.get("/v1/nope").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");
}
