//! The table of pass-through callers, driven directly: transient tenants,
//! registration after acceptance, eviction when full, idle expiry.

use super::*;

fn with_authorization(value: &str) -> MetadataMap {
    let mut metadata = MetadataMap::new();
    metadata.insert("authorization", value.parse().unwrap());
    metadata
}

fn pass_through_tenants(max_callers: usize) -> Tenants {
    let config = crate::config::DatabricksConfig::with_credentials(
        "http://127.0.0.1:9",
        crate::config::Credentials::PassThrough,
    )
    .unwrap();
    Tenants::new(
        Client::new(&config).unwrap(),
        ServiceOptions::default(),
        max_callers,
    )
}

async fn accepted() -> Result<(), databricks::Error> {
    Ok(())
}

async fn refused() -> Result<(), databricks::Error> {
    Err(databricks::Error::NoCallerCredentials)
}

/// The tenant `authorization` may keep state in, its credential accepted.
async fn lasting(tenants: &Tenants, authorization: &str) -> Result<Arc<Tenant>, Status> {
    let tenant = tenants.for_call(&with_authorization(authorization))?;
    tenants.lasting(tenant, accepted()).await
}

#[tokio::test]
async fn refused_credentials_take_no_slot_however_many() {
    let tenants = pass_through_tenants(MAX_CALLERS);
    for i in 0..MAX_CALLERS + 50 {
        let bogus = with_authorization(&format!("Bearer bogus-{i}"));
        let tenant = tenants.for_call(&bogus).unwrap();
        assert!(tenants.lasting(tenant, refused()).await.is_err());
    }
    assert!(tenants.all().is_empty());
    lasting(&tenants, "Bearer dapi-alice").await.unwrap();
    assert_eq!(tenants.all().len(), 1);
}

#[tokio::test]
async fn a_caller_is_kept_only_once_it_needs_state() {
    let tenants = pass_through_tenants(MAX_CALLERS);
    let alice = with_authorization("Bearer dapi-alice");
    let one = tenants.for_call(&alice).unwrap();
    let other = tenants.for_call(&alice).unwrap();
    assert!(!Arc::ptr_eq(&one, &other), "transient tenants");
    assert!(tenants.all().is_empty());

    let kept = tenants.lasting(one, accepted()).await.unwrap();
    let again = tenants.lasting(other, refused()).await.unwrap();
    assert!(
        Arc::ptr_eq(&kept, &again),
        "a kept caller is not checked again"
    );
    assert!(Arc::ptr_eq(&kept, &tenants.for_call(&alice).unwrap()));
    assert_eq!(tenants.all().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_full_table_forgets_the_quietest_caller_that_owns_nothing() {
    let tenants = pass_through_tenants(2);
    drop(lasting(&tenants, "Bearer dapi-alice").await.unwrap());
    tokio::time::advance(Duration::from_secs(1)).await;
    let bob = lasting(&tenants, "Bearer dapi-bob").await.unwrap();
    tokio::time::advance(Duration::from_secs(1)).await;
    // Alice goes: she is quieter than bob, whose call is in flight.
    let carol = lasting(&tenants, "Bearer dapi-carol").await.unwrap();
    let kept = tenants.all();
    assert!(kept.iter().any(|tenant| Arc::ptr_eq(tenant, &bob)));
    assert!(kept.iter().any(|tenant| Arc::ptr_eq(tenant, &carol)));
    drop(kept);

    let status = lasting(&tenants, "Bearer dapi-dave").await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    drop(bob);
    let dave = lasting(&tenants, "Bearer dapi-dave").await.unwrap();
    assert_eq!(tenants.all().len(), 2);
    drop((carol, dave));
}

#[tokio::test(start_paused = true)]
async fn idle_callers_are_forgotten_and_busy_ones_kept() {
    let tenants = pass_through_tenants(MAX_CALLERS);
    let first = lasting(&tenants, "Bearer dapi-alice").await.unwrap();
    assert!(Arc::ptr_eq(
        &first,
        &lasting(&tenants, "Bearer dapi-alice").await.unwrap()
    ));
    let held = lasting(&tenants, "Bearer dapi-bob").await.unwrap();
    drop(first);
    assert_eq!(tenants.all().len(), 2);

    tokio::time::advance(CALLER_IDLE / 2).await;
    tenants.forget_idle_callers();
    assert_eq!(tenants.all().len(), 2, "not idle long enough yet");

    tokio::time::advance(CALLER_IDLE).await;
    tenants.forget_idle_callers();
    let left = tenants.all();
    assert_eq!(left.len(), 1, "bob's call is still in flight");
    assert!(Arc::ptr_eq(&left[0], &held));
    drop((left, held));
    tenants.forget_idle_callers();
    assert!(tenants.all().is_empty());
}

#[test]
fn the_shared_tenant_ignores_caller_metadata() {
    let config =
        crate::config::DatabricksConfig::new("http://127.0.0.1:9", crate::config::Secret::new("t"))
            .unwrap();
    let tenants = Tenants::new(
        Client::new(&config).unwrap(),
        ServiceOptions::default(),
        MAX_CALLERS,
    );
    let one = tenants.for_call(&MetadataMap::new()).unwrap();
    let other = tenants
        .for_call(&with_authorization("Bearer dapi-bob"))
        .unwrap();
    assert!(Arc::ptr_eq(&one, &other));
}
