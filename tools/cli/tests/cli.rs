//! The `callscope` binary on the sample records: files, `{"value": [...]}` pages, JSON lines on
//! standard input, and a bad record among good ones.

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

fn sample(name: &str) -> String {
    format!("{}/../../events/graph/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], stdin: &str) -> (i32, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    (output.status.code().unwrap(), lines, String::from_utf8(output.stderr).unwrap())
}

#[test]
fn files_give_one_line_per_session_with_the_functions_verdict() {
    let (status, lines, _) = run(&["classify", &sample("meeting.json"), &sample("p2p-pstn.json")], "");
    assert_eq!(status, 0);
    let ratings: Vec<_> =
        lines.iter().map(|l| (l["callId"].as_str().unwrap(), l["rating"].as_str().unwrap())).collect();
    assert_eq!(
        ratings,
        [
            ("e523d2ed-2966-4b6b-925b-754a88034cc5", "good"),
            ("e523d2ed-2966-4b6b-925b-754a88034cc5", "poor"),
            ("0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b", "good")
        ]
    );
    assert_eq!(lines[1]["mainCause"], "Caller's network, audio sent: average packet loss 14 %, above 10 %.");
    assert_eq!(lines[1]["issues"][0]["code"], "audio_network_poor");
}

#[test]
fn json_lines_on_stdin_and_graph_pages_both_work_and_bad_records_are_reported() {
    let meeting: Value = serde_json::from_str(&std::fs::read_to_string(sample("meeting.json")).unwrap()).unwrap();
    let stdin = format!("{}\n{{\"id\": 5}}\n\n{}\n", meeting, meeting);
    let (status, lines, errors) = run(&["classify", "-"], &stdin);
    assert_eq!((status, lines.len()), (1, 4), "two good records of two sessions; the bad one skipped");
    assert!(errors.contains("stdin:2"), "{errors}");

    let page = std::env::temp_dir().join(format!("callscope-page-{}.json", std::process::id()));
    std::fs::write(&page, json!({ "value": [meeting, meeting] }).to_string()).unwrap();
    let (status, lines, _) = run(&["classify", page.to_str().unwrap()], "");
    std::fs::remove_file(&page).unwrap();
    assert_eq!((status, lines.len()), (0, 4));
}

#[test]
fn a_json_lines_file_is_read_whatever_its_name_and_a_bad_line_is_named() {
    let meeting: Value = serde_json::from_str(&std::fs::read_to_string(sample("meeting.json")).unwrap()).unwrap();
    let page = json!({ "value": [meeting] });
    let file = std::env::temp_dir().join(format!("callscope-calls-{}.jsonl", std::process::id()));
    std::fs::write(&file, format!("{meeting}\n{page}\n\n{{\"id\": 5}}\n{meeting}\n")).unwrap();
    let (status, lines, errors) = run(&["classify", file.to_str().unwrap()], "");
    assert_eq!((status, lines.len()), (1, 6), "three good documents of two sessions; line 4 is bad: {errors}");
    assert!(errors.contains("callscope-calls-") && errors.contains(".jsonl:4"), "{errors}");

    // A line that is not JSON at all stops the file there, and is named with its line.
    std::fs::write(&file, format!("{meeting}\nnot json\n{meeting}\n")).unwrap();
    let (status, lines, errors) = run(&["classify", file.to_str().unwrap()], "");
    std::fs::remove_file(&file).unwrap();
    assert_eq!((status, lines.len()), (1, 2), "{errors}");
    assert!(errors.contains(".jsonl:2:"), "{errors}");
}
