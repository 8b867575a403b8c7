//! TXT look-ups for verified domains: the production resolver
//! (`SystemResolver`, hickory) against the loopback fake DNS server.

use crate::helpers::dns::FakeDnsServer;
use statusstack::server::dns::{DnsFailure, SystemResolver, TxtResolver};
use std::time::{Duration, Instant};

const CHALLENGE: &str = "_statusstack-challenge.example.com";

async fn fake_and_resolver() -> (FakeDnsServer, SystemResolver) {
    let fake = FakeDnsServer::start().await;
    let resolver = SystemResolver::new(Some(fake.addr())).expect("resolver");
    (fake, resolver)
}

#[tokio::test]
async fn every_txt_record_of_a_name_is_returned() {
    let (fake, resolver) = fake_and_resolver().await;
    fake.set_txt(CHALLENGE, ["statusstack-verify=abc123", "v=spf1 -all"]);
    let mut values = resolver.txt(CHALLENGE).await.expect("records");
    values.sort();
    assert_eq!(values, ["statusstack-verify=abc123", "v=spf1 -all"]);
}

#[tokio::test]
async fn a_value_longer_than_one_dns_string_comes_back_whole() {
    let (fake, resolver) = fake_and_resolver().await;
    let long = format!("statusstack-verify={}", "x".repeat(600));
    fake.set_txt(CHALLENGE, [long.clone()]);
    assert_eq!(resolver.txt(CHALLENGE).await, Ok(vec![long]));
}

#[tokio::test]
async fn an_answer_too_big_for_a_datagram_is_fetched_over_tcp() {
    let (fake, resolver) = fake_and_resolver().await;
    let values: Vec<String> = (0..8)
        .map(|i| format!("record-{i}={}", "y".repeat(300)))
        .collect();
    fake.set_txt(CHALLENGE, values.clone());
    let mut found = resolver.txt(CHALLENGE).await.expect("records");
    found.sort();
    assert_eq!(found, values);
}

#[tokio::test]
async fn names_match_whatever_their_case_or_trailing_dot() {
    let (fake, resolver) = fake_and_resolver().await;
    fake.set_txt("_StatusStack-Challenge.EXAMPLE.com.", ["token"]);
    for name in [
        CHALLENGE,
        "_STATUSSTACK-CHALLENGE.example.COM",
        "_statusstack-challenge.example.com.",
    ] {
        assert_eq!(
            resolver.txt(name).await,
            Ok(vec!["token".to_string()]),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_missing_name_is_not_found() {
    let (fake, resolver) = fake_and_resolver().await;
    fake.set_txt("other.example.com", ["unrelated"]);
    assert_eq!(resolver.txt(CHALLENGE).await, Err(DnsFailure::NotFound));
}

#[tokio::test]
async fn a_name_without_txt_records_is_not_found() {
    let (fake, resolver) = fake_and_resolver().await;
    fake.set_txt(CHALLENGE, Vec::<String>::new());
    assert_eq!(resolver.txt(CHALLENGE).await, Err(DnsFailure::NotFound));
}

#[tokio::test]
async fn each_lookup_asks_again_so_changes_show_at_once() {
    let (fake, resolver) = fake_and_resolver().await;
    assert_eq!(resolver.txt(CHALLENGE).await, Err(DnsFailure::NotFound));
    fake.set_txt(CHALLENGE, ["first"]);
    assert_eq!(resolver.txt(CHALLENGE).await, Ok(vec!["first".to_string()]));
    fake.set_txt(CHALLENGE, ["second"]);
    assert_eq!(
        resolver.txt(CHALLENGE).await,
        Ok(vec!["second".to_string()])
    );
    fake.remove(CHALLENGE);
    assert_eq!(resolver.txt(CHALLENGE).await, Err(DnsFailure::NotFound));
    assert_eq!(fake.queries(), 4);
}

#[tokio::test]
async fn a_server_failure_is_unavailable_not_a_no() {
    let (fake, resolver) = fake_and_resolver().await;
    fake.set_txt(CHALLENGE, ["token"]);
    fake.fail(true);
    let started = Instant::now();
    let result = resolver.txt(CHALLENGE).await;
    assert!(
        matches!(result, Err(DnsFailure::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    fake.fail(false);
    assert_eq!(resolver.txt(CHALLENGE).await, Ok(vec!["token".to_string()]));
}

#[tokio::test]
async fn a_server_that_stopped_answering_is_unavailable() {
    let (fake, resolver) = fake_and_resolver().await;
    drop(fake);
    let result = resolver.txt(CHALLENGE).await;
    assert!(
        matches!(result, Err(DnsFailure::Unavailable(_))),
        "{result:?}"
    );
}
