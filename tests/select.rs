//! SelectObjectContent end to end on the wire: a framed event stream from the server becomes
//! decoded records in the envelope; a stream with a bad CRC is an error, not garbage output.

use s3op::Client;
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One event-stream message with string headers (the framing: total and headers lengths, prelude
/// CRC, headers, payload, message CRC).
fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7);
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::new();
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&m);
    m.extend_from_slice(&prelude_crc.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload);
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

fn select_stream() -> Vec<u8> {
    let event = |t: &'static str| vec![(":message-type", "event"), (":event-type", t)];
    let mut body = frame(&event("Records"), b"a,1\nb,2\n");
    body.extend(frame(
        &event("Stats"),
        b"<Stats><BytesScanned>100</BytesScanned><BytesProcessed>100</BytesProcessed><BytesReturned>8</BytesReturned></Stats>",
    ));
    body.extend(frame(&event("End"), b""));
    body
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .endpoint_url(server.uri())
        .credentials("AK", "SK", None)
        .max_attempts(1)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client")
}

fn select(client: &Client) -> s3op::generated::SelectObjectContent {
    client
        .select_object_content()
        .bucket("bbb")
        .key("data.csv")
        .expression("SELECT * FROM S3Object")
        .expression_type("SQL")
        .input_serialization_json(serde_json::json!({"CSV": {"FileHeaderInfo": "NONE"}}))
        .output_serialization_json(serde_json::json!({"CSV": {}}))
}

#[tokio::test(flavor = "multi_thread")]
async fn records_come_back_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(query_param("select", ""))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(select_stream()))
        .mount(&server)
        .await;
    let client = client(&server);
    let envelope = select(&client).send().await.expect("select");
    assert_eq!(envelope.response["Records"], "a,1\nb,2\n");
    assert_eq!(
        envelope.response["Payload"][1]["Stats"]["Details"]["BytesReturned"],
        8
    );
    assert!(envelope.response["Payload"][2]["End"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_crc_is_an_error() {
    let server = MockServer::start().await;
    let mut body = select_stream();
    let last = body.len() - 1;
    body[last] ^= 0x01; // the End message's CRC
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = select(&client).send().await.expect_err("bad CRC");
    assert!(err.to_string().to_lowercase().contains("crc"), "{err}");
}
