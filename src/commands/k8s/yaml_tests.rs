use serde_json::json;

use super::*;

#[test]
fn maps_nest_and_lists_sit_at_their_key() {
    let text = stream(&[json!({
        "kind": "Job",
        "spec": { "completions": 3, "suspend": false, "args": ["run", "-u", "10"] },
        "items": [{ "name": "a", "value": "x" }, { "name": "b" }],
    })]);
    let expected = "---\nitems:\n- name: a\n  value: x\n- name: b\nkind: Job\nspec:\n  args:\n  - run\n  - -u\n  - \"10\"\n  completions: 3\n  suspend: false\n";
    assert_eq!(text, expected);
}

#[test]
fn strings_a_reader_could_take_for_something_else_are_quoted() {
    for text in [
        "10",
        "1.5",
        "0x1f",
        "1e3",
        "-1",
        "-.5",
        "- a",
        "--",
        "---",
        "-/x",
        "true",
        "No",
        "on",
        "~",
        "null",
        ".inf",
        "",
        " a",
        "a: b",
        "a #b",
        "key:",
        "*ref",
        "&anchor",
        "!tag",
        "{x}",
        "[x]",
        "@x",
        "`x",
        "%x",
        "'x",
        "\"x",
        "|x",
        ">x",
        "?x",
        "a,b",
        "$(JOB_COMPLETION_INDEX)",
    ] {
        assert!(
            !is_plain(text),
            "{text:?} would not be read back as that string"
        );
        assert!(scalar_text(text, 0).starts_with('"'), "{text:?} is quoted");
    }
    for text in [
        "run",
        "-u",
        "--host",
        "--spawn-rate",
        "captest:local",
        "http://captest-coordinator:5557",
        "/results/run",
        "batch/v1",
        "app.kubernetes.io/name",
    ] {
        assert!(is_plain(text), "{text:?} is plain");
    }
}

#[test]
fn quoted_strings_escape_what_yaml_does_not_allow_raw() {
    assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
    assert_eq!(quoted("tab\there\r"), r#""tab\there\x0d""#);
    assert_eq!(quoted("\u{7f}\u{feff}é"), "\"\\x7f\\ufeffé\"");
}

#[test]
fn multi_line_text_is_a_literal_block_with_its_final_line_ends() {
    let document = |text: &str| stream(&[json!({ "data": { "f": text } })]);
    assert_eq!(document("a\n  b\n"), "---\ndata:\n  f: |\n    a\n      b\n");
    assert_eq!(document("a\n\nb"), "---\ndata:\n  f: |-\n    a\n\n    b\n");
    assert_eq!(
        document("a\nb\n\n"),
        "---\ndata:\n  f: |+\n    a\n    b\n\n"
    );
    // A first line starting with a space, or a carriage return: quoted instead.
    assert_eq!(document(" a\nb"), "---\ndata:\n  f: \" a\\nb\"\n");
    assert_eq!(document("a\r\nb"), "---\ndata:\n  f: \"a\\x0d\\nb\"\n");
}

#[test]
fn empty_maps_and_lists_are_inline() {
    let text = stream(&[json!({ "a": {}, "b": [], "c": [[1, 2], {}] })]);
    assert_eq!(text, "---\na: {}\nb: []\nc:\n-\n  - 1\n  - 2\n- {}\n");
}
