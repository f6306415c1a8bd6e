//! Links and anchors: every relative link of the book and the README resolves, and every
//! `#anchor` is a heading of its target as mdBook 0.5 (and GitHub) computes heading ids.

use std::path::Path;

use super::{chapters, chapters_and_readme, root};

/// The heading ids mdBook gives a chapter (and GitHub a markdown file): the heading's text
/// without markup, lower-cased, spaces as `-`, anything but letters, digits, `-` and `_`
/// dropped; a repeated id gets `-1`, `-2`, ….
fn anchors(markdown: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        let Some(title) = line.strip_prefix('#').filter(|_| !fence) else {
            continue;
        };
        let title = title.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let id: String = title
            .trim()
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c.to_ascii_lowercase()),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        let repeats = ids
            .iter()
            .filter(|i| {
                **i == id
                    || i.strip_prefix(&format!("{id}-"))
                        .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .count();
        ids.push(if repeats == 0 {
            id
        } else {
            format!("{id}-{repeats}")
        });
    }
    ids
}

/// The targets of the inline links and images of `markdown` outside code: `[text](target)`.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        // Inline code is not a link.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            found.push(after[..end].trim().to_string());
            rest = &after[end..];
        }
    }
    found
}

/// Checks every relative link of the markdown file `file`: the target exists, and an anchor
/// into a markdown file is one of its headings. Returns what is broken.
fn broken_links(file: &Path, markdown: &str) -> Vec<String> {
    let mut broken = Vec::new();
    for link in links(markdown) {
        if link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        let (target, anchor) = link.split_once('#').unwrap_or((&link, ""));
        let path = if target.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().unwrap().join(target)
        };
        if !path.exists() {
            broken.push(format!("{link}: no {}", path.display()));
            continue;
        }
        if !anchor.is_empty() && path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).unwrap();
            if !anchors(&text).iter().any(|a| a == anchor) {
                broken.push(format!(
                    "{link}: no heading #{anchor} in {}",
                    path.display()
                ));
            }
        }
    }
    broken
}

/// Every relative link and anchor of the book, its summary and the README resolves.
#[test]
fn every_link_and_anchor_resolves() {
    let files = chapters_and_readme();
    let mut broken = Vec::new();
    for (file, text) in &files {
        broken.extend(
            broken_links(file, text)
                .into_iter()
                .map(|b| format!("{}: {b}", file.display())),
        );
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // Every chapter is in the summary, and the README links into the book.
    let summary = std::fs::read_to_string(root().join("docs/book/src/SUMMARY.md")).unwrap();
    for (file, _) in chapters() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name == "SUMMARY.md" || summary.contains(&format!("({name})")),
            "{name} is not in SUMMARY.md"
        );
    }
    assert!(files.last().unwrap().1.contains("docs/book/src/"));
}

/// The anchor and link readers themselves, on cases worked by hand (mdBook's ids checked
/// against its output for these headings).
#[test]
fn anchors_and_links_are_read_as_mdbook_does() {
    let md = "# Packed training (`--pack`)\n```sh\n# not a heading\n```\n## A fair protocol: each \
              activation's rate (`[tune]`)\n## Notes\n## Notes\n#not\n";
    assert_eq!(
        anchors(md),
        [
            "packed-training---pack",
            "a-fair-protocol-each-activations-rate-tune",
            "notes",
            "notes-1"
        ]
    );
    let md = "see [a](b.md#c) and `[x](not-a-link)`, ![img](../p.png)\n```\n[z](in-code)\n```\n";
    assert_eq!(links(md), ["b.md#c", "../p.png"]);
}
