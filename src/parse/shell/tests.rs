use std::sync::Arc;

use serde_json::json;

use super::scan::scan;
use super::{could_declare, is_script, read};
use crate::model::{CondValue, Val};
use crate::source::SourceFile;

fn words(text: &str) -> Vec<Vec<String>> {
    scan(text)
        .commands
        .iter()
        .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
        .collect()
}

fn unit_of(text: &str) -> crate::model::Unit {
    let src = Arc::new(SourceFile::in_memory("s.sh", text));
    read(&src).unit.expect("a unit")
}

#[test]
fn quoting_continuations_and_comments_make_the_words_bash_passes() {
    let text = "aws ec2 x --a 'one two' --b \"th\\\"ree\" --c fo\\ ur \\\n  --d=\"f\"'i'\\''ve'  # not a word\n";
    assert_eq!(
        words(text),
        vec![vec![
            "aws",
            "ec2",
            "x",
            "--a",
            "one two",
            "--b",
            "th\"ree",
            "--c",
            "fo ur",
            "--d=fi've"
        ]]
    );
    // Windows line endings continue a line too.
    assert_eq!(words("a \\\r\n b\r\n"), vec![vec!["a", "b"]]);
}

#[test]
fn separators_redirections_and_heredocs_end_or_leave_commands() {
    let text = "a 1 && b 2 || c 3; d 4 | e 5 > out.json 2>&1\ncat <<'EOF' > f\naws ec2 create-traffic-mirror-session \"never closed\nEOF\ng 6\n";
    assert_eq!(
        words(text),
        vec![
            vec!["a", "1"],
            vec!["b", "2"],
            vec!["c", "3"],
            vec!["d", "4"],
            vec!["e", "5"],
            vec!["cat"],
            vec!["g", "6"],
        ]
    );
}

#[test]
fn command_substitutions_are_commands_and_their_words_are_not_literal() {
    let s = scan(
        "ID=$(aws ec2 create-traffic-mirror-session --session-number 1 --query x)\nb `c d` \"$X\" \"a$X\" ${Y}\n",
    );
    let texts: Vec<Vec<&str>> = s
        .commands
        .iter()
        .map(|c| c.words.iter().map(|w| w.text.as_str()).collect())
        .collect();
    assert_eq!(
        texts[0],
        [
            "aws",
            "ec2",
            "create-traffic-mirror-session",
            "--session-number",
            "1",
            "--query",
            "x"
        ]
    );
    assert!(s.commands[0].nested);
    assert_eq!(
        texts[1],
        ["ID=$(aws ec2 create-traffic-mirror-session --session-number 1 --query x)"]
    );
    assert!(s.commands[1].words[0].dynamic.is_some());
    let b = &s
        .commands
        .iter()
        .find(|c| c.words[0].text == "b")
        .expect("b")
        .words;
    assert!(b[1].dynamic.is_some());
    assert_eq!(b[2].variable.as_deref(), Some("X"));
    assert_eq!(b[3].variable, None);
    assert_eq!(b[4].variable.as_deref(), Some("Y"));
}

#[test]
fn branches_of_if_and_case_are_conditions_and_loops_are_not() {
    let s = scan(
        "if a; then\n b\nelif c; then d\nelse e\nfi\ncase $x in\n p|q) f ;;\n *) g ;;\nesac\nfor i in 1 2; do h; done\n",
    );
    let branch = |name: &str| {
        let c = s
            .commands
            .iter()
            .find(|c| c.words[0].text == name)
            .expect(name);
        c.branches
            .iter()
            .map(|b| match &b.value {
                CondValue::Text(t) => format!("{}={t}", b.name),
                CondValue::Bool(v) => format!("{}={v}", b.name),
            })
            .collect::<Vec<_>>()
    };
    assert!(branch("a").is_empty());
    assert_eq!(branch("b"), ["the `if` at line 1=then"]);
    assert_eq!(branch("c"), ["the `if` at line 1=elif 1"]);
    assert_eq!(branch("d"), ["the `if` at line 1=elif 1"]);
    assert_eq!(branch("e"), ["the `if` at line 1=else"]);
    assert_eq!(branch("f"), ["the `case` at line 6=p|q"]);
    assert_eq!(branch("g"), ["the `case` at line 6=*"]);
    assert!(branch("h").is_empty());
    assert!(
        s.commands
            .iter()
            .find(|c| c.words[0].text == "h")
            .is_some_and(|c| c.nested)
    );
}

#[test]
fn unclosed_quotes_and_deep_nesting_stop_with_the_place_and_drop_the_command() {
    let s = scan("a 1\nb \"open\n");
    assert_eq!(s.error.as_ref().map(|e| e.0), Some(6));
    assert_eq!(s.commands.len(), 1);
    let deep = format!("a {}", "$(".repeat(10_000));
    let s = scan(&deep);
    assert!(s.error.is_some_and(|e| e.1.contains("nested deeper")));
    assert!(s.commands.is_empty());
    let ifs = "if a; then\n".repeat(10_000);
    assert!(scan(&ifs).error.is_some());
}

#[test]
fn a_session_command_gives_values_spans_and_unknowns() {
    let text = "N=40000\naws --region x ec2 create-traffic-mirror-session --network-interface-id eni-0123456789abcdef0 \\\n  --session-number $N --packet-length=9000 --virtual-network-id \"$VNI\" --tag-specifications 'ResourceType=traffic-mirror-session,Tags=[{Key=k,Value=v}]'\n";
    let u = unit_of(text);
    let s = &u.sessions[0];
    assert_eq!(s.address, "create-traffic-mirror-session #1");
    assert_eq!(s.session_number[0].val, Val::Known(json!(40000)));
    let origin = s.session_number[0]
        .origin
        .as_ref()
        .and_then(|o| o.at)
        .expect("origin");
    assert_eq!(&text[origin.span.start..origin.span.end], "40000");
    assert_eq!(
        &text[s.packet_length[0].loc.span.start..s.packet_length[0].loc.span.end],
        "9000"
    );
    assert!(matches!(&s.virtual_network_id[0].val, Val::Unknown(why) if why.contains("$VNI")));
    let tags = s.tags[0].items.as_ref().expect("tags");
    let key = tags[0].key.loc.span;
    assert_eq!(&text[key.start..key.end], "k");
    assert!(s.traffic_mirror_target_id.is_empty());
}

#[test]
fn variables_are_known_only_when_set_once_at_the_top_before_the_use() {
    let session_number = |text: &str| unit_of(text).sessions[0].session_number[0].val.clone();
    let cmd = "aws ec2 create-traffic-mirror-session --session-number $N\n";
    assert_eq!(session_number(&format!("N=5\n{cmd}")), Val::Known(json!(5)));
    assert_eq!(
        session_number(&format!("export N=5\n{cmd}")),
        Val::Known(json!(5))
    );
    for unsure in [
        format!("{cmd}N=5\n"),
        format!("N=5\nN=6\n{cmd}"),
        format!("if a; then N=5; fi\n{cmd}"),
        format!("N=5\nread N\n{cmd}"),
        format!("N=5\nsource ./env.sh\n{cmd}"),
        format!("N=$(f)\n{cmd}"),
        format!("N=5 f\n{cmd}"),
        format!("f() {{ N=5; }}\n{cmd}"),
    ] {
        assert!(
            matches!(session_number(&unsure), Val::Unknown(_)),
            "{unsure}"
        );
    }
}

#[test]
fn printed_help_and_skeleton_commands_declare_nothing() {
    for text in [
        "echo aws ec2 create-traffic-mirror-session --session-number 0\n",
        "aws ec2 create-traffic-mirror-session help\n",
        "aws ec2 create-traffic-mirror-session --generate-cli-skeleton\n",
        "aws ec2 describe-traffic-mirror-sessions\n",
    ] {
        let src = Arc::new(SourceFile::in_memory("s.sh", text));
        assert!(read(&src).unit.is_none(), "{text}");
    }
    let u = unit_of(
        "sudo xargs -n1 aws ec2 modify-traffic-mirror-session --traffic-mirror-session-id tms-1 --cli-input-json file://x.json\n",
    );
    assert!(u.sessions[0].partial);
    assert!(
        matches!(&u.sessions[0].session_number[0].val, Val::Unknown(w) if w.contains("--cli-input-json"))
    );
}

#[test]
fn scripts_are_found_by_name_and_read_only_when_they_name_a_mirror_command() {
    assert!(
        is_script("deploy.sh") && is_script("x.BASH") && !is_script("sh") && !is_script("a.shx")
    );
    assert!(could_declare(b"aws ec2 create-traffic-mirror-session"));
    assert!(could_declare(
        b"aws ec2 create-traffic-\\\nmirror-'session'"
    ));
    assert!(!could_declare(b"aws s3 cp a b # mirror"));
}

#[test]
fn a_for_loop_over_literal_words_makes_one_session_per_item() {
    let cmd =
        "aws ec2 create-traffic-mirror-session --network-interface-id \"$eni\" --session-number 1";
    let u = unit_of(&format!(
        "for eni in eni-0aaaaaaaaaaaaaaaa eni-0bbbbbbbbbbbbbbbb; do\n  {cmd}\ndone\n"
    ));
    let addresses: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "create-traffic-mirror-session #1[eni-0aaaaaaaaaaaaaaaa]",
            "create-traffic-mirror-session #1[eni-0bbbbbbbbbbbbbbbb]"
        ]
    );
    let eni = &u.sessions[1].network_interface_id[0];
    assert_eq!(eni.val, Val::Known(json!("eni-0bbbbbbbbbbbbbbbb")));
    let origin = eni.origin.as_ref().and_then(|o| o.at).expect("origin");
    assert_eq!(origin.span.start, "for eni in eni-0aaaaaaaaaaaaaaaa ".len());
    // A loop that sets its variable again, or runs over expansions, is one unknown copy.
    for unsure in [
        format!("for eni in a b; do\n  eni=x\n  {cmd}\ndone\n"),
        format!("for eni in $LIST; do {cmd}; done\n"),
        format!("for eni; do {cmd}; done\n"),
    ] {
        let u = unit_of(&unsure);
        assert_eq!(u.sessions.len(), 1, "{unsure}");
        assert!(
            matches!(u.sessions[0].network_interface_id[0].val, Val::Unknown(_)),
            "{unsure}"
        );
    }
    // A loop over nothing runs nothing.
    let src = Arc::new(SourceFile::in_memory(
        "s.sh",
        &format!("for eni in; do {cmd}; done\n"),
    ));
    assert!(read(&src).unit.is_none());
}

#[test]
fn assignments_that_may_not_run_or_do_not_last_are_not_sure() {
    let cmd = "aws ec2 create-traffic-mirror-session --session-number $N\n";
    for unsure in [
        format!("[ -z \"$N\" ] && N=5\n{cmd}"),
        format!("true || N=5\n{cmd}"),
        format!("(N=5)\n{cmd}"),
        format!("echo 5 | N=5\n{cmd}"),
        format!("N=5 | cat\n{cmd}"),
        format!("N=5 &\n{cmd}"),
    ] {
        let u = unit_of(&unsure);
        assert!(
            matches!(u.sessions[0].session_number[0].val, Val::Unknown(_)),
            "{unsure}"
        );
    }
    for sure in [
        format!("N=5 && true\n{cmd}"),
        format!("N=5; true &\n{cmd}"),
        format!("diff <(a) <(b)\nN=5\n{cmd}"),
    ] {
        let u = unit_of(&sure);
        assert_eq!(
            u.sessions[0].session_number[0].val,
            Val::Known(json!(5)),
            "{sure}"
        );
    }
}

#[test]
fn an_array_is_not_a_literal_and_its_parentheses_are_not_a_subshell() {
    let u = unit_of(
        "ENIS=(eni-0aaaaaaaaaaaaaaaa eni-0bbbbbbbbbbbbbbbb)\nN=5\naws ec2 create-traffic-mirror-session --network-interface-id $ENIS --session-number $N\n",
    );
    assert!(matches!(
        u.sessions[0].network_interface_id[0].val,
        Val::Unknown(_)
    ));
    assert_eq!(u.sessions[0].session_number[0].val, Val::Known(json!(5)));
}

#[test]
fn json_tag_specifications_are_read_as_the_cli_input_reads_them_each_tag_in_place() {
    let text = "aws ec2 create-traffic-mirror-session --tag-specifications '[{\"ResourceType\": \"traffic-mirror-session\", \"Tags\": [{\"Key\": \"aws:x\", \"Value\": \"v\"}]}]'\n";
    let u = unit_of(text);
    let tags = u.sessions[0].tags[0].items.as_ref().expect("tags");
    assert_eq!(tags[0].key.val, Val::Known(json!("aws:x")));
    let key = tags[0].key.loc.span;
    assert_eq!(&text[key.start..key.end], "\"aws:x\"");
}
