//! The file stores: a Files API upload whose body breaks off stores
//! nothing, metadata headers, directory paging, DBFS block limits and
//! handles, workspace import limits.

use axum::{
    body::{Body, Bytes},
    http::{Request, StatusCode},
};
use futures_util::stream;
use serde_json::json;
use tower::ServiceExt as _;

use super::Emu;
use crate::emulator::{DEFAULT_TOKEN, Pace};

const FILE: &str = "/api/2.0/fs/files/Volumes/main/default/libs/a.jar";

async fn raw(emu: &Emu, method: &str, uri: &str, body: Body) -> axum::response::Response {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {DEFAULT_TOKEN}"))
        .body(body)
        .unwrap();
    emu.router.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn an_upload_whose_body_breaks_off_stores_nothing() {
    let emu = Emu::new(Pace::Manual);
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"first half")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )),
    ];
    let response = raw(
        &emu,
        "PUT",
        &format!("{FILE}?overwrite=true"),
        Body::from_stream(stream::iter(chunks)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        emu.state.stored_file("/Volumes/main/default/libs/a.jar"),
        None
    );
}

#[tokio::test]
async fn get_and_head_carry_length_and_last_modified() {
    let emu = Emu::new(Pace::Manual);
    let response = raw(
        &emu,
        "PUT",
        &format!("{FILE}?overwrite=false"),
        Body::from("12345"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for method in ["GET", "HEAD"] {
        let response = raw(&emu, method, FILE, Body::empty()).await;
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        let headers = response.headers();
        assert_eq!(headers["content-length"], "5", "{method}");
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert!(headers.contains_key("last-modified"));
    }
    let missing = raw(
        &emu,
        "HEAD",
        "/api/2.0/fs/files/Volumes/main/default/libs/b.jar",
        Body::empty(),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn directories_page_and_delete_only_when_empty() {
    let emu = Emu::new(Pace::Manual);
    let dir = "/api/2.0/fs/directories/Volumes/main/default/libs/d";
    assert_eq!(
        raw(&emu, "PUT", dir, Body::empty()).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        raw(&emu, "PUT", dir, Body::empty()).await.status(),
        StatusCode::NO_CONTENT
    );
    for name in ["x", "y", "z"] {
        let uri = format!("/api/2.0/fs/files/Volumes/main/default/libs/d/{name}");
        raw(&emu, "PUT", &uri, Body::from(name)).await;
    }
    let (status, page) = emu.get(&format!("{dir}?page_size=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["contents"].as_array().unwrap().len(), 2);
    let token = page["next_page_token"].as_str().unwrap().to_owned();
    let (_, last) = emu
        .get(&format!("{dir}?page_size=2&page_token={token}"))
        .await;
    assert_eq!(last["contents"][0]["name"], "z");
    assert_eq!(last["contents"][0]["file_size"], 1);
    assert!(last.get("next_page_token").is_none());
    assert_eq!(
        raw(&emu, "DELETE", dir, Body::empty()).await.status(),
        StatusCode::CONFLICT
    );
    let (status, _) = emu
        .get("/api/2.0/fs/directories/Volumes/main/other/libs")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dbfs_blocks_are_limited_to_1_mb_and_handles_checked() {
    let emu = Emu::new(Pace::Manual);
    let (status, created) = emu
        .post(
            "/api/2.0/dbfs/create",
            json!({"path": "/x/y.jar", "overwrite": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let handle = created["handle"].clone();
    use base64::Engine as _;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 1024 * 1024 + 1]);
    let (status, body) = emu
        .post(
            "/api/2.0/dbfs/add-block",
            json!({"handle": handle, "data": big}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "MAX_BLOCK_SIZE_EXCEEDED");
    emu.ok(
        "/api/2.0/dbfs/add-block",
        json!({"handle": handle, "data": "AAE="}),
    )
    .await;
    emu.ok("/api/2.0/dbfs/close", json!({"handle": handle}))
        .await;
    let (status, body) = emu
        .post("/api/2.0/dbfs/close", json!({"handle": handle}))
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!("RESOURCE_DOES_NOT_EXIST"))
    );
    let (_, info) = emu.get("/api/2.0/dbfs/get-status?path=dbfs:/x/y.jar").await;
    assert_eq!(
        info,
        json!({"path": "/x/y.jar", "is_dir": false, "file_size": 2, "modification_time": info["modification_time"]})
    );
    let (_, read) = emu
        .get("/api/2.0/dbfs/read?path=/x/y.jar&offset=1&length=10")
        .await;
    assert_eq!(read, json!({"bytes_read": 1, "data": "AQ=="}));
    let (status, body) = emu
        .post("/api/2.0/dbfs/create", json!({"path": "/x/y.jar"}))
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("RESOURCE_ALREADY_EXISTS"))
    );
}

#[tokio::test]
async fn workspace_import_is_capped_at_10_mb_and_needs_its_folder() {
    let emu = Emu::new(Pace::Manual);
    use base64::Engine as _;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 10 * 1024 * 1024 + 1]);
    let (status, body) = emu
        .post(
            "/api/2.0/workspace/import",
            json!({"path": "/Shared/big.jar", "format": "AUTO", "content": big}),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("MAX_NOTEBOOK_SIZE_EXCEEDED"))
    );
    let (status, body) = emu
        .post(
            "/api/2.0/workspace/import",
            json!({"path": "/Shared/none/a.jar", "format": "AUTO", "content": "AA=="}),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!("RESOURCE_DOES_NOT_EXIST"))
    );
    emu.ok(
        "/api/2.0/workspace/mkdirs",
        json!({"path": "/Workspace/Shared/none"}),
    )
    .await;
    emu.ok(
        "/api/2.0/workspace/import",
        json!({"path": "/Shared/none/a.jar", "format": "AUTO", "content": "AA=="}),
    )
    .await;
    let (_, list) = emu
        .get("/api/2.0/workspace/list?path=/Workspace/Shared/none")
        .await;
    assert_eq!(list["objects"][0]["path"], "/Workspace/Shared/none/a.jar");
    assert_eq!(list["objects"][0]["object_type"], "FILE");
}
