//! `s3op::filter`: the pattern matcher against Python's `fnmatch.fnmatchcase` (the AWS CLI's
//! matcher), from cases Python computed once (`tests/fixtures/fnmatch_cases.json`: random patterns
//! with sets, ranges, negations, unclosed brackets and stars, texts made to match and not), and the
//! AWS CLI's rule order: everything included until a rule matches, the last matching rule wins.

use s3op::filter::{pattern_matches, Filters};

#[test]
fn patterns_match_as_python_fnmatch_matches_them() {
    let text = std::fs::read_to_string("tests/fixtures/fnmatch_cases.json").expect("fixture");
    let cases: Vec<(String, String, bool)> = serde_json::from_str(&text).expect("cases");
    assert!(cases.len() > 4000);
    let wrong: Vec<_> = cases
        .iter()
        .filter(|(pattern, text, expected)| pattern_matches(pattern, text) != *expected)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} differ: {:?}",
        wrong.len(),
        cases.len(),
        &wrong[..wrong.len().min(10)]
    );
}

#[test]
fn the_last_matching_rule_decides() {
    let none = Filters::new();
    assert!(none.includes("anything/at/all"));

    let only_text = Filters::new().exclude("*").include("*.txt");
    assert!(only_text.includes("a.txt"));
    assert!(only_text.includes("deep/dir/b.txt"));
    assert!(!only_text.includes("c.log"));

    // Reversed, the exclude comes last and wins for everything.
    let nothing = Filters::new().include("*.txt").exclude("*");
    assert!(!nothing.includes("a.txt"));

    let no_git = Filters::new().exclude(".git/*").exclude("*/.git/*");
    assert!(!no_git.includes(".git/config"));
    assert!(!no_git.includes("sub/.git/HEAD"));
    assert!(no_git.includes("src/main.rs"));
    assert!(no_git.includes(".gitignore"));
}

#[test]
fn exclude_from_reads_one_pattern_a_line() {
    let dir = std::env::temp_dir().join(format!("s3op-filter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("excludes.txt");
    std::fs::write(&path, "# build output\n*.o\r\n\n  \ntarget/*\n").expect("write");
    let mut filters = Filters::new().include("keep.o");
    filters.exclude_from(&path).expect("read");
    assert_eq!(filters.rules().len(), 3);
    assert!(
        !filters.includes("keep.o"),
        "a later exclude wins over an earlier include"
    );
    assert!(!filters.includes("target/debug/x"));
    assert!(filters.includes("src/lib.rs"));

    let missing = Filters::new().exclude_from(&dir.join("none.txt"));
    let message = missing.expect_err("missing file").to_string();
    assert!(message.contains("none.txt"), "{message}");
    let _ = std::fs::remove_dir_all(dir);
}
