//! DynamoDB's key limits, met before the first write: a record whose names, addresses or subnets
//! would make a key empty or too long is either stored whole (the keys cut, the names kept) or
//! refused with `422` — never committed and then stuck at the fan-out.

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_http::HttpFunction;
use callscope_tests::{all_items, fresh_store, graph_record, ingest_request};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The local server enforces the limits the property relies on, as DynamoDB does.
#[tokio::test]
async fn the_local_server_refuses_over_long_and_empty_keys() {
    let store = fresh_store().await;
    let client = callscope_tests::local_client();
    let put = |pk: String, sk: String| {
        client
            .put_item()
            .table_name(store.table())
            .item("PK", AttributeValue::S(pk))
            .item("SK", AttributeValue::S(sk))
            .send()
    };
    assert!(put("P".into(), "s".repeat(1024)).await.is_ok());
    assert!(put("P".into(), "s".repeat(1025)).await.is_err(), "sort key over 1,024 bytes");
    assert!(put("p".repeat(2049), "S".into()).await.is_err(), "partition key over 2,048 bytes");
    assert!(put("P".into(), String::new()).await.is_err(), "empty sort key");
}

/// Text that makes long keys: long words, multi-byte characters, `#`, blanks.
fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        "[a-z#é ]{0,40}",
        (1usize..3000, "[a-zé€#]").prop_map(|(n, c)| c.repeat(n)),
        (1usize..400, 1usize..8).prop_map(|(n, words)| vec!["é".repeat(n); words].join(" ")),
    ]
}

fn subnet() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        Just(Some("10.20.30.0".to_owned())),
        Just(Some("fe80::".to_owned())),
        (1usize..3000).prop_map(|n| Some("9".repeat(n))),
    ]
}

/// The sample call with Ada's name, address and subnet replaced, and a call id of `id_len` bytes.
fn record(name: &str, upn: &str, subnet: &Option<String>, id_len: usize) -> Value {
    let mut record = graph_record("p2p-pstn.json");
    record["id"] = json!("c".repeat(id_len));
    for at in ["/organizer_v2/identity/user", "/participants_v2/0/identity/user"] {
        let user = record.pointer_mut(at).unwrap();
        user["displayName"] = json!(name);
        user["userPrincipalName"] = json!(upn);
    }
    let media = &mut record["sessions"][0]["segments"][0]["media"][0];
    match subnet {
        Some(subnet) => media["callerNetwork"]["subnet"] = json!(subnet),
        None => drop(media["callerNetwork"].as_object_mut().map(|n| n.remove("subnet"))),
    }
    record
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn whatever_prepare_accepts_is_stored_whole(
        name in key_text(),
        upn in key_text(),
        subnet in subnet(),
        id_len in prop_oneof![Just(1usize), Just(256usize), 1usize..256],
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = fresh_store().await;
            let app = callscope_tests::ingest_app(&store);
            let body = record(&name, &upn, &subnet, id_len).to_string();
            let (status, answer) = callscope_tests::json_response(app.handle(ingest_request(body)).await);
            prop_assert!(status == 202 || status == 422, "{status}: {answer}");
            let items = all_items(store.table()).await;
            if status == 422 {
                prop_assert!(items.is_empty(), "a refusal writes nothing");
                prop_assert!(!answer["error"]["problems"][0]["path"].as_str().unwrap_or_default().is_empty());
                return Ok(());
            }
            let history = items.iter().filter(|i| i["PK"].as_s().is_ok_and(|pk| pk.starts_with("USER#"))).count();
            prop_assert_eq!(history, 1, "Ada's history entry was written after the commit");
            let upn_kept = upn.trim().is_empty() || items.iter().any(|i| format!("{i:?}").contains(upn.trim()));
            prop_assert!(upn_kept, "the address is kept whole in the payload");
            Ok(())
        })?;
    }
}
