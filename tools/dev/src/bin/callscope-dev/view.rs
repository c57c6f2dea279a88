//! The demo's view: one user's history and one poor call, as a support specialist and as a
//! support engineer, side by side in the terminal, ratings and grades in red and yellow; then the
//! escalation that hands the call from one to the other.
//!
//! It lays out what the API answered; it must not fetch, and must not show anything the answer
//! for that role did not contain.

use serde_json::Value;

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(text: &str) -> String {
    let colour = match text {
        "poor" | "red" => RED,
        "yellow" | "unavailable" | "pending" => YELLOW,
        "good" => GREEN,
        _ => return text.to_owned(),
    };
    format!("{colour}{text}{RESET}")
}

fn name(party: &Value) -> String {
    let label = party["displayName"].as_str().unwrap_or("");
    match party["phone"].as_str() {
        Some(phone) if !label.is_empty() => format!("{label} {phone}"),
        Some(phone) => phone.to_owned(),
        None => label.to_owned(),
    }
}

/// The lines of a history page.
pub fn history(page: &Value) -> Vec<String> {
    let mut lines =
        vec![format!("{BOLD}{:<17} {:<11} {:>6}  {:<20} {}{RESET}", "started (UTC)", "type", "min", "with", "rating")];
    for item in page["items"].as_array().into_iter().flatten().take(12) {
        let started = item["startDateTime"].as_str().unwrap_or("").replace('T', " ");
        let with = match &item["counterpart"] {
            Value::Null => format!("Meeting · {} participants", item["participantCount"].as_u64().unwrap_or(0)),
            party => name(party),
        };
        // The user's own rating; the meeting's beside it where it went otherwise for others.
        let (own, call) = (item["rating"].as_str().unwrap_or(""), item["callRating"].as_str().unwrap_or(""));
        let meeting =
            if call != own && !call.is_empty() { format!(" · meeting {}", paint(call)) } else { String::new() };
        lines.push(format!(
            "{:<17} {:<11} {:>6}  {:<20} {}{meeting}",
            started.get(..16).unwrap_or(&started),
            item["type"].as_str().unwrap_or(""),
            item["durationSeconds"].as_i64().unwrap_or(0) / 60,
            truncate(&with, 20),
            paint(own),
        ));
    }
    lines
}

/// The lines of a call detail: participants, and per session rating, main cause, location,
/// the graded metrics, and (for engineers) a line of Advanced and Debug data.
pub fn detail(call: &Value) -> Vec<String> {
    let participants: Vec<String> = call["participants"].as_array().into_iter().flatten().map(name).collect();
    let mut lines = vec![
        format!(
            "{BOLD}call{RESET} {} ({}), {}",
            truncate(call["callId"].as_str().unwrap_or(""), 26),
            call["type"].as_str().unwrap_or(""),
            paint(call["rating"].as_str().unwrap_or(""))
        ),
        format!("participants: {}", participants.join(", ")),
    ];
    for (i, session) in call["sessions"].as_array().into_iter().flatten().enumerate().take(3) {
        lines.push(format!(
            "{BOLD}session {}{RESET}: {} -> {}, {}",
            i + 1,
            truncate(&name(&session["caller"]), 16),
            truncate(&name(&session["callee"]), 16),
            paint(session["rating"].as_str().unwrap_or(""))
        ));
        if let Some(cause) = session["mainCause"].as_str().filter(|c| !c.is_empty()) {
            for chunk in wrap(cause, 52) {
                lines.push(format!("  {RED}{chunk}{RESET}"));
            }
        }
        if let Some(building) = session["location"]["caller"]["buildingName"].as_str() {
            lines.push(format!(
                "  caller at {building}, {}",
                session["location"]["caller"]["city"].as_str().unwrap_or("")
            ));
        }
        for metric in session["metrics"].as_array().into_iter().flatten().filter(|m| m["grade"] != "normal").take(6) {
            lines.push(format!(
                "  {:<30} {:>8.3} {}",
                truncate(
                    &format!("{} {}", metric["side"].as_str().unwrap_or(""), metric["metric"].as_str().unwrap_or("")),
                    30
                ),
                metric["value"].as_f64().unwrap_or(0.0),
                paint(metric["grade"].as_str().unwrap_or("")),
            ));
        }
        let advanced = &session["advanced"]["caller"];
        if advanced.is_object() {
            lines.push(format!(
                "  {DIM}advanced: {} {} {}{RESET}",
                advanced["ipAddress"].as_str().unwrap_or(""),
                advanced["connectionType"].as_str().unwrap_or(""),
                truncate(advanced["captureDevice"].as_str().unwrap_or(""), 24)
            ));
            lines.extend(timeline(&session["timeline"]));
            lines.push(format!(
                "  {DIM}debug: ssid {}{RESET}",
                session["debug"]["caller"]["ssid"].as_str().unwrap_or("-")
            ));
        } else {
            lines.push(format!("  {DIM}(no Advanced or Debug for tier 1){RESET}"));
        }
    }
    lines
}

/// One line per segment of an engineer's timeline: each side's networks, then each stream's
/// codec and bandwidth.
fn timeline(segments: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for (n, segment) in segments.as_array().into_iter().flatten().enumerate() {
        let networks = |side: &str| -> String {
            let reports = segment[side]["networks"].as_array().into_iter().flatten();
            let kinds: Vec<&str> = reports.filter_map(|r| r["connectionType"].as_str()).collect();
            if kinds.is_empty() { "-".to_owned() } else { kinds.join("/") }
        };
        lines.push(format!(
            "  {DIM}segment {}: caller {}, callee {}{RESET}",
            n + 1,
            networks("caller"),
            networks("callee")
        ));
        for stream in segment["media"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["streams"].as_array().into_iter().flatten())
        {
            let codec = stream["codec"].as_str().unwrap_or("-");
            let bandwidth =
                stream["bandwidthEstimate"].as_i64().map_or("-".to_owned(), |b| format!("{} kbit/s", b / 1000));
            lines.push(format!(
                "    {DIM}stream {}: {codec}, {bandwidth}{RESET}",
                stream["direction"].as_str().unwrap_or("?")
            ));
        }
    }
    lines
}

/// The lines of a phone call's detail: which way, the masked numbers, whether it connected and
/// why not in words; the SIP story and the trunk where the role's answer has them.
pub fn phone(call: &Value) -> Vec<String> {
    let text = |key: &str| call[key].as_str().unwrap_or("").to_owned();
    let kind = if call["type"] == "directRouting" { "Direct Routing call" } else { "phone call (Calling Plan)" };
    let direction = if call["direction"] == "inbound" { "from" } else { "to" };
    let mut lines = vec![
        format!("{BOLD}{kind}{RESET} {direction} {}, {}", name(&call["counterpart"]), paint(&text("rating"))),
        format!("caller {}, callee {}", text("callerNumber"), text("calleeNumber")),
        text("summary"),
    ];
    if let Some(cause) = call["mainCause"].as_str() {
        lines.push(format!("{BOLD}why:{RESET}"));
        lines.extend(wrap(cause, 70).into_iter().map(|l| format!("  {l}")));
    }
    let sip = &call["sip"];
    if !sip.is_null() {
        let from = if sip["from"] == "sbc" { "the SBC" } else { "Microsoft" };
        lines.push(format!(
            "SIP {} {} · Microsoft code {} (sent by {from})",
            sip["code"],
            sip["phrase"].as_str().unwrap_or(""),
            sip["subReason"]
        ));
        lines.push(format!("trunk {} · signalling {}", text("trunkFqdn"), text("signalingLocation")));
        if let Some(explanation) = sip["explanation"].as_str() {
            lines.extend(wrap(explanation, 70).into_iter().map(|l| format!("  {DIM}{l}{RESET}")));
        }
    }
    lines
}

/// The lines of an escalation as its opener sees it: the call, the ticket, the notes.
pub fn escalation(escalation: &Value) -> Vec<String> {
    let call = &escalation["call"];
    let mut lines = vec![
        format!(
            "{BOLD}escalation{RESET} {} ({})",
            truncate(escalation["id"].as_str().unwrap_or(""), 12),
            escalation["state"].as_str().unwrap_or("")
        ),
        format!(
            "call of {}, {}",
            call["userName"].as_str().unwrap_or(""),
            paint(call["rating"].as_str().unwrap_or(""))
        ),
        format!("ticket {}", escalation["ticket"].as_str().unwrap_or("-")),
    ];
    for note in escalation["notes"].as_array().into_iter().flatten() {
        lines.push(format!("{DIM}{}:{RESET}", note["author"]["label"].as_str().unwrap_or("")));
        lines.extend(wrap(note["text"].as_str().unwrap_or("(removed)"), 60).into_iter().map(|l| format!("  {l}")));
    }
    lines
}

/// The lines of a queue page: when, whose call, who opened it, the start of the note.
pub fn queue(page: &Value) -> Vec<String> {
    let mut lines = vec![format!("{BOLD}{:<17} {:<16} {:<16} {}{RESET}", "opened (UTC)", "user", "opened by", "note")];
    for item in page["items"].as_array().into_iter().flatten().take(8) {
        let opened = item["openedAt"].as_str().unwrap_or("").replace('T', " ");
        lines.push(format!(
            "{:<17} {:<16} {:<16} {}",
            opened.get(..16).unwrap_or(&opened),
            truncate(item["call"]["userName"].as_str().unwrap_or(""), 16),
            truncate(item["openedBy"]["label"].as_str().unwrap_or(""), 16),
            truncate(item["excerpt"].as_str().unwrap_or(""), 24),
        ));
    }
    lines
}

/// Prints `left` and `right` as two columns under their titles.
pub fn side_by_side(title_left: &str, left: &[String], title_right: &str, right: &[String]) {
    const WIDTH: usize = 78;
    println!("{BOLD}{}{RESET} | {BOLD}{title_right}{RESET}", pad(title_left, WIDTH));
    println!("{}-+-{}", "-".repeat(WIDTH), "-".repeat(WIDTH));
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map_or("", String::as_str);
        let r = right.get(i).map_or("", String::as_str);
        println!("{} | {r}", pad(l, WIDTH));
    }
    println!();
}

/// Pads to `width` visible characters (colour codes take no room).
fn pad(text: &str, width: usize) -> String {
    let visible = visible_len(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(visible)))
}

fn visible_len(text: &str) -> usize {
    let mut len = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (false, _) => len += 1,
            _ => {}
        }
    }
    len
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.chars().count() + word.chars().count() + 1 > width {
            lines.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}
