//! REST API 1.2 commands against real context processes: notebook state,
//! expression values, errors, SQL tables, other languages and truncation.

use serde_json::json;

use super::Emu;
use crate::emulator::{Pace, RUNNING_CLUSTER_ID as RUNNING};

#[tokio::test]
async fn variables_persist_between_commands_like_in_a_notebook() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let first = emu.run(&context, "python", "x = 21").await;
    assert_eq!(
        first["results"],
        json!({"resultType": "text", "data": ""}),
        "{first}"
    );
    assert_eq!(emu.text(&context, "print(x * 2)").await, "42");
    // The last expression's value follows the output, IPython-style.
    let text = emu.text(&context, "print('hi')\nx + 21").await;
    assert_eq!(text, "hi\nOut[3]: 42");
    assert_eq!(emu.text(&context, "None").await, "");
    // Nothing user code prints or reads can break the protocol.
    let noisy = "import os, sys\nos.write(1, b'{oops\\n')\nprint('err', file=sys.stderr)\nprint(sys.stdin.read())";
    assert_eq!(emu.text(&context, noisy).await, "err\n");
}

#[tokio::test]
async fn a_python_exception_finishes_with_an_error_result() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let body = emu.run(&context, "python", "1/0").await;
    assert_eq!(body["status"], "Finished", "{body}");
    let results = &body["results"];
    assert_eq!(results["resultType"], "error");
    assert_eq!(
        results["summary"],
        "<span class='ansi-red-fg'>ZeroDivisionError</span>: division by zero"
    );
    let cause = results["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("\u{1b}[0;31m-----"),
        "an ANSI-coloured rule first: {cause:?}"
    );
    for part in [
        "\u{1b}[0;31mZeroDivisionError\u{1b}[0m                         Traceback (most recent call last)",
        "File \u{1b}[0;32m<command-1>:1\u{1b}[0m\n\u{1b}[0;32m----> 1\u{1b}[0m 1/0",
    ] {
        assert!(cause.contains(part), "{cause:?} lacks {part:?}");
    }
    assert!(cause.ends_with("\u{1b}[0;31mZeroDivisionError\u{1b}[0m: division by zero"));
    let syntax = emu.run(&context, "python", "1 +").await;
    assert_eq!(
        syntax["results"]["summary"],
        "<span class='ansi-red-fg'>SyntaxError</span>: invalid syntax"
    );
}

#[tokio::test]
async fn sql_runs_in_the_contexts_own_database() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let create = "CREATE TABLE t (id INTEGER, name TEXT, ok BOOLEAN, score REAL)";
    let created = emu.run(&context, "sql", create).await;
    assert_eq!(
        created["results"],
        json!({"resultType": "table", "data": [], "schema": [], "truncated": false, "isJsonSchema": true})
    );
    let insert = "INSERT INTO t VALUES (1, 'a;b', 1, 0.5), (2, NULL, 0, 2)";
    let inserted = emu.run(&context, "sql", insert).await;
    assert_eq!(inserted["results"]["data"], json!([[2, 2]]));
    let select = "SELECT 1; SELECT id, name, ok, score FROM t ORDER BY id;";
    let body = emu.run(&context, "sql", select).await;
    let long = |name: &str, kind: &str| json!({"name": name, "type": format!("\"{kind}\""), "metadata": "{}"});
    assert_eq!(
        body,
        json!({"id": body["id"], "status": "Finished", "results": {
            "resultType": "table",
            "data": [[1, "a;b", true, 0.5], [2, null, false, 2.0]],
            "schema": [long("id", "long"), long("name", "string"), long("ok", "boolean"), long("score", "double")],
            "truncated": false,
            "isJsonSchema": true,
        }})
    );
    let failed = emu.run(&context, "sql", "SELECT * FROM nope").await;
    assert_eq!(failed["status"], "Finished");
    assert_eq!(
        failed["results"]["summary"],
        "<div class=\"ansiout\">Error in SQL statement: OperationalError: no such table: nope</div>"
    );
    let many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 10005) SELECT i FROM n";
    let many = emu.run(&context, "sql", many).await;
    assert_eq!(many["results"]["data"].as_array().unwrap().len(), 10_000);
    assert_eq!(many["results"]["truncated"], true);
}

#[tokio::test]
async fn scala_and_r_finish_with_an_error_saying_what_runs() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    for language in ["scala", "r"] {
        let body = emu.run(&context, language, "1 + 1").await;
        assert_eq!(body["status"], "Finished");
        assert_eq!(body["results"]["resultType"], "error");
        let summary = body["results"]["summary"].as_str().unwrap();
        assert_eq!(
            summary,
            format!(
                "The Databricks emulator runs only python and sql commands; {language} is not supported."
            )
        );
    }
}

#[tokio::test]
async fn long_output_is_truncated() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let body = emu.run(&context, "python", "print('x' * 60_000)").await;
    let data = body["results"]["data"].as_str().unwrap();
    assert_eq!(body["results"]["truncated"], true);
    assert!(data.starts_with(&"x".repeat(50_000)));
    assert!(data.ends_with("\n*** WARNING: max output size exceeded, skipping output. ***"));
}
