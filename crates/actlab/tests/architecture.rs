//! The map and the shape of the code, checked so they cannot drift silently:
//!
//! - every module path, type, function and file that `ARCHITECTURE.md` names in backticks
//!   exists in the code (a Rust path resolves through the crates' modules and their `pub use`s;
//!   a name is defined somewhere; a file name is a file in the tree or a name the code writes);
//! - no function in `crates/*/src` outside tests is longer than [`MAX_FUNCTION_LINES`] lines.
//!
//! The sources are read with a small lexer (comments and literals blanked, string literals
//! collected), which is all either check needs.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest function (signature to closing brace) allowed outside tests.
const MAX_FUNCTION_LINES: usize = 120;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir` (but build output, runs, datasets, `.git` and fuzz work), sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let skip = ["target", ".git", "runs", "datasets", "corpus-work"];
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if !path.is_dir() {
                out.push(path);
            } else if !skip.iter().any(|s| name == *s) {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = files_under(dir);
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

/// A source file with comments, string and character literals blanked (newlines kept, so line
/// numbers stay), and the string literals it holds.
struct Lexed {
    code: String,
    strings: Vec<String>,
}

fn lex(src: &str) -> Lexed {
    let bytes: Vec<char> = src.chars().collect();
    let (mut code, mut strings) = (String::with_capacity(src.len()), Vec::new());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                code.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= bytes.len() {
                    break;
                }
                if bytes[i] == '/' && bytes.get(i + 1) == Some(&'*') {
                    depth += 1;
                    code.push_str("  ");
                    i += 2;
                } else if bytes[i] == '*' && bytes.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    code.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    code.push(blank(bytes[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&bytes, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while bytes.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if bytes.get(j) != Some(&'"') {
                code.push(c);
                i += 1;
                continue;
            }
            let start = j + 1;
            let mut end = start;
            while end < bytes.len() {
                if bytes[end] == '"' && (0..hashes).all(|h| bytes.get(end + 1 + h) == Some(&'#')) {
                    break;
                }
                end += 1;
            }
            strings.push(bytes[start..end.min(bytes.len())].iter().collect());
            let stop = (end + 1 + hashes).min(bytes.len());
            code.extend(bytes[i..stop].iter().map(|&c| blank(c)));
            i = stop;
        } else if c == '"' {
            let mut j = i + 1;
            let mut text = String::new();
            while j < bytes.len() && bytes[j] != '"' {
                if bytes[j] == '\\' {
                    j += 1;
                    if bytes.get(j) == Some(&'\n') {
                        // A continued line: the next line's indentation is not in the string.
                        while bytes.get(j + 1).is_some_and(|c| c.is_whitespace()) {
                            j += 1;
                        }
                    } else if let Some(&e) = bytes.get(j) {
                        text.push(e);
                    }
                } else {
                    text.push(bytes[j]);
                }
                j += 1;
            }
            strings.push(text);
            let stop = (j + 1).min(bytes.len());
            code.extend(bytes[i..stop].iter().map(|&c| blank(c)));
            i = stop;
        } else if c == '\'' {
            // A character literal ('a', '\n', '\'') or a lifetime ('a).
            let literal = match (next, bytes.get(i + 2), bytes.get(i + 3)) {
                (Some('\\'), _, _) => bytes[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| p + 3),
                (Some(_), Some('\''), _) => Some(3),
                _ => None,
            };
            match literal {
                Some(len) => {
                    code.extend(std::iter::repeat_n(' ', len));
                    i += len;
                }
                None => {
                    code.push(c);
                    i += 1;
                }
            }
        } else {
            code.push(c);
            i += 1;
        }
    }
    Lexed { code, strings }
}

fn ident_before(bytes: &[char], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_')
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifiers of `code`, with their byte offsets.
fn words(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices() {
        match (is_ident_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &code[s..]));
    }
    out
}

/// Where the `{ … }` that opens at or after `from` closes (byte offset of `}`), or `None` when
/// a `;` comes first (a declaration without a body).
fn body_end(code: &str, from: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut open = None;
    for (i, c) in code[from..].char_indices() {
        match c {
            ';' if open.is_none() => return None,
            '{' => {
                open.get_or_insert(from + i);
                depth += 1;
            }
            '}' if open.is_some() => {
                depth -= 1;
                if depth == 0 {
                    return Some((open.unwrap_or(from), from + i));
                }
            }
            _ => {}
        }
    }
    None
}

/// The test code of a file: `#[cfg(test)]` items and `mod tests` blocks, as byte ranges.
fn test_ranges(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(p) = code[at..].find("#[cfg(test)]") {
        let start = at + p;
        if let Some((_, end)) = body_end(code, start) {
            out.push((start, end));
            at = end;
        } else {
            at = start + 1;
        }
    }
    out
}

/// The workspace's modules (module path → the names defined or re-exported there), every name
/// defined anywhere, every string literal, and every file of the repository.
#[derive(Default)]
struct Index {
    modules: BTreeMap<String, BTreeSet<String>>,
    defined: BTreeSet<String>,
    /// Each type's (or trait's) variants, fields, methods and associated items.
    members: BTreeMap<String, BTreeSet<String>>,
    strings: BTreeSet<String>,
    files: Vec<String>,
}

/// Every file of the repository (as [`files_under`]), relative to it.
fn repository_files(root: &Path) -> Vec<String> {
    files_under(root)
        .iter()
        .filter_map(|f| f.strip_prefix(root).ok())
        .map(|f| f.to_string_lossy().into_owned())
        .collect()
}

/// The packages the manifests name (dependencies and the workspace's own), as Rust names.
fn packages(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for manifest in repository_files(root)
        .iter()
        .filter(|f| f.ends_with("Cargo.toml"))
    {
        let text = std::fs::read_to_string(root.join(manifest)).unwrap_or_default();
        for line in text.lines() {
            let key = line.split(['=', '.']).next().unwrap_or_default().trim();
            if !key.is_empty() && key.chars().all(|c| is_ident_char(c) || c == '-') {
                out.insert(key.replace('-', "_"));
            }
        }
    }
    out
}

const ITEM_KEYWORDS: [&str; 9] = [
    "struct", "enum", "trait", "type", "fn", "const", "static", "mod", "union",
];

/// The module path of `file` in crate `krate` (`crates/<dir>/src/...`).
fn module_path(krate: &str, src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let mut parts = vec![krate.to_string()];
    let components: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for (i, part) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let stem = part.trim_end_matches(".rs");
        if last && matches!(stem, "lib" | "main" | "mod") {
            continue;
        }
        parts.push(stem.to_string());
    }
    parts.join("::")
}

/// The names a `use` statement brings in (`a::b::{C, d as e, self}` → C, e, b).
fn use_names(statement: &str) -> Vec<String> {
    let flat: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut last_module = String::new();
    for piece in flat.split([',', '{', '}']) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if let Some((_, alias)) = piece.split_once(" as ") {
            out.push(alias.trim().to_string());
            continue;
        }
        let segment = piece.rsplit("::").next().unwrap_or(piece).trim();
        if let Some((before, _)) = piece.rsplit_once("::") {
            last_module = before.rsplit("::").next().unwrap_or(before).to_string();
        }
        if segment == "self" {
            out.push(last_module.clone());
        } else if !segment.is_empty() {
            out.push(segment.to_string());
        }
    }
    out
}

fn index() -> Index {
    let mut index = Index::default();
    let root = root();
    let Ok(crates) = std::fs::read_dir(root.join("crates")) else {
        return index;
    };
    for entry in crates.flatten() {
        let dir = entry.path();
        let krate = entry.file_name().to_string_lossy().replace('-', "_");
        let src = dir.join("src");
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let lexed = lex(&text);
            let module = module_path(&krate, &src, &file);
            let mut defined = BTreeSet::new();
            let names = index_file(&lexed.code, &mut defined, &mut index.members);
            index.defined.extend(defined);
            for (inline, _) in inline_modules(&lexed.code) {
                let path = format!("{module}::{inline}");
                index.modules.entry(path).or_default().extend(names.clone());
            }
            index.modules.entry(module).or_default().extend(names);
            index.strings.extend(lexed.strings);
        }
    }
    index.files = repository_files(&root);
    index.defined.extend(packages(&root));
    let primitives = [
        "u8", "i32", "i64", "u32", "u64", "usize", "f32", "f64", "bool", "str",
    ];
    index.defined.extend(primitives.map(String::from));
    index
}

/// The names a file defines or re-exports (items, enum variants, fields, `use`d names); every
/// defined name is also added to `defined`.
fn index_file(
    code: &str,
    defined: &mut BTreeSet<String>,
    members: &mut BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let list = words(code);
    for (k, &(at, word)) in list.iter().enumerate() {
        let Some(&(_, name)) = list.get(k + 1) else {
            continue;
        };
        if ITEM_KEYWORDS.contains(&word) || word == "macro_rules" {
            names.insert(name.to_string());
            defined.insert(name.to_string());
        }
        let body = || body_end(code, at).map(|(open, close)| &code[open + 1..close]);
        if let (true, Some(body)) = (word == "enum" || word == "struct", body()) {
            // Variants and fields: identifiers at the start of a line inside the body.
            let own = members.entry(name.to_string()).or_default();
            for line in body.lines() {
                let line = line
                    .trim_start()
                    .trim_start_matches("pub(crate) ")
                    .trim_start_matches("pub ");
                let first: String = line.chars().take_while(|&c| is_ident_char(c)).collect();
                if !first.is_empty() {
                    defined.insert(first.clone());
                    own.insert(first);
                }
            }
        }
        if let (true, Some(body)) = (word == "impl" || word == "trait", body()) {
            // A type's methods and associated items: the impl's (or trait's) own `fn`s.
            let header = &code[at + word.len()..code[at..].find('{').map_or(at, |b| at + b)];
            let target = header.rsplit(" for ").next().unwrap_or(header);
            let target = target.split('<').next().unwrap_or(target);
            let ty = target
                .split("::")
                .last()
                .unwrap_or(target)
                .trim()
                .trim_start_matches("dyn ");
            let own = members.entry(ty.to_string()).or_default();
            let inner = words(body);
            for pair in inner.windows(2) {
                if matches!(pair[0].1, "fn" | "const" | "type") {
                    own.insert(pair[1].1.to_string());
                }
            }
        }
        if word == "use" && !ident_before_word(code, at) {
            let end = code[at..].find(';').map_or(code.len(), |e| at + e);
            names.extend(use_names(&code[at + 3..end]));
        }
    }
    names
}

fn ident_before_word(code: &str, at: usize) -> bool {
    code[..at].chars().next_back().is_some_and(is_ident_char)
}

/// `mod name { … }` blocks inside a file.
fn inline_modules(code: &str) -> Vec<(String, usize)> {
    let list = words(code);
    list.windows(2)
        .filter(|w| w[0].1 == "mod")
        .filter(|w| body_end(code, w[1].0).is_some())
        .map(|w| (w[1].1.to_string(), w[1].0))
        .collect()
}

/// The code spans of a Markdown text outside fenced blocks.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut text = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut parts = text.split('`');
    parts.next();
    while let Some(span) = parts.next() {
        out.push(span.replace('\n', " "));
        parts.next();
    }
    out
}

/// Why `span` names nothing in the code, or `None` when it resolves (or is not a name).
fn unresolved(span: &str, index: &Index) -> Option<String> {
    let span = span.trim();
    let plain = span.trim_end_matches("()").trim_end_matches('!');
    let rust_path = !plain.is_empty()
        && plain.split("::").all(|s| {
            !s.is_empty()
                && s.chars().all(is_ident_char)
                && !s.starts_with(|c: char| c.is_ascii_digit())
        });
    if rust_path && plain.contains("::") {
        return resolve_path(plain, index);
    }
    if rust_path {
        let defined = index.defined.contains(plain)
            || index
                .modules
                .keys()
                .any(|m| m.ends_with(&format!("::{plain}")));
        let constant = plain
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
        let looks_rust = (plain.chars().next().is_some_and(char::is_uppercase) && !constant)
            || span.ends_with("()");
        // A lower-case word may be a config key, a value, a file name the code writes.
        let written = index
            .strings
            .iter()
            .any(|s| s.split(|c: char| !is_ident_char(c)).any(|w| w == plain));
        return match (defined, looks_rust, written) {
            (true, _, _) | (false, false, true) => None,
            _ => Some(format!("`{span}` is defined nowhere in crates/*/src")),
        };
    }
    if is_file_name(span) {
        let name = span.trim_end_matches('/');
        let base = name.rsplit('/').next().unwrap_or(name);
        let in_tree = index.files.iter().any(|f| f.ends_with(name))
            || root().join(name).exists()
            || dirs_named(base);
        let written = index.strings.iter().any(|s| {
            s == base || s.ends_with(&format!("/{base}")) || s.starts_with(&format!("{base}/"))
        });
        return (!(in_tree || written))
            .then(|| format!("`{span}`: no such file in the tree, and no code names it"));
    }
    None
}

/// A span that is a file or directory name (`summary.json`, `pack/step.rs`, `plot/`).
fn is_file_name(span: &str) -> bool {
    let ok = |c: char| is_ident_char(c) || matches!(c, '.' | '/' | '-');
    let extension = span.rsplit_once('.').is_some_and(|(_, e)| {
        [
            "rs", "csv", "json", "toml", "md", "sh", "py", "bpk", "svg", "png", "html", "yaml",
        ]
        .contains(&e)
    });
    !span.is_empty()
        && span.chars().all(ok)
        && (extension || span.ends_with('/'))
        && !span.starts_with('.')
}

/// Whether a source directory or a top-level directory of the repository is named `name`.
fn dirs_named(name: &str) -> bool {
    let root = root();
    if root.join(name).is_dir() {
        return true;
    }
    let Ok(crates) = std::fs::read_dir(root.join("crates")) else {
        return false;
    };
    crates.flatten().any(|c| {
        let src = c.path().join("src");
        rust_files(&src)
            .iter()
            .any(|f| f.parent().is_some_and(|p| p.ends_with(name) && p != src))
    })
}

/// Resolves `a::b::C::d`: the longest prefix that is a module (its first segment a crate or
/// `crate`), then a name that module defines or re-exports, then names defined anywhere (a
/// method, a variant).
fn resolve_path(path: &str, index: &Index) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    let crates: BTreeSet<String> = index
        .modules
        .keys()
        .map(|m| m.split("::").next().unwrap_or_default().to_string())
        .collect();
    let first = segments[0];
    let module_of = |k: usize| segments[..k].join("::");
    if !crates.contains(first) && first != "crate" && first != "super" && first != "self" {
        // A module named by its last part (`pack::train_pack`): resolved from each module of
        // that name.
        let suffix = format!("::{first}");
        let candidates: Vec<&String> = index
            .modules
            .keys()
            .filter(|m| m.ends_with(&suffix))
            .collect();
        if !candidates.is_empty() {
            let rest = segments[1..].join("::");
            let errors: Vec<String> = candidates
                .iter()
                .filter_map(|m| resolve_path(&format!("{m}::{rest}"), index))
                .collect();
            return (errors.len() == candidates.len())
                .then(|| format!("`{path}`: no module `{first}` has `{rest}`"));
        }
        // `Type::method` or `Enum::Variant`.
        if !index.defined.contains(first) {
            return Some(format!(
                "`{path}`: `{first}` is defined nowhere in crates/*/src"
            ));
        }
        return members_missing(path, &segments, index);
    }
    let matching = |module: &str| {
        index.modules.keys().find(|m| {
            if first == "crate" || first == "super" || first == "self" {
                m.ends_with(&module[first.len()..]) && module.len() > first.len()
            } else {
                *m == module
            }
        })
    };
    let Some(depth) = (1..=segments.len()).rev().find(|&k| {
        let module = module_of(k);
        index.modules.contains_key(&module) || (k > 1 && matching(&module).is_some())
    }) else {
        return Some(format!("`{path}`: no crate or module `{first}`"));
    };
    let module = module_of(depth);
    let names = index
        .modules
        .get(&module)
        .or_else(|| matching(&module).and_then(|m| index.modules.get(m)))?;
    let rest = &segments[depth..];
    if let Some(item) = rest.first()
        && !names.contains(*item)
    {
        return Some(format!(
            "`{path}`: `{module}` defines or re-exports no `{item}`"
        ));
    }
    members_missing(path, rest, index)
}

/// `Type::member`: each part after the first a variant, field or method of the one before
/// (when that one is a type actlab defines).
fn members_missing(path: &str, segments: &[&str], index: &Index) -> Option<String> {
    segments.windows(2).find_map(|pair| {
        let (owner, member) = (pair[0], pair[1]);
        match index.members.get(owner) {
            Some(members) if !members.contains(member) => {
                Some(format!("`{path}`: `{owner}` has no `{member}`"))
            }
            None if !index.defined.contains(member) => Some(format!(
                "`{path}`: `{member}` is defined nowhere in crates/*/src"
            )),
            _ => None,
        }
    })
}

#[test]
fn everything_architecture_md_names_exists_in_the_code() {
    let index = index();
    assert!(
        index.modules.len() > 50,
        "found {} modules",
        index.modules.len()
    );
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let spans = code_spans(&text);
    assert!(spans.len() > 50, "found {} code spans", spans.len());
    let missing: BTreeSet<String> = spans.iter().filter_map(|s| unresolved(s, &index)).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names {} thing(s) the code does not have:\n  {}",
        missing.len(),
        missing.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_checker_finds_what_does_not_exist() {
    let index = index();
    for real in [
        "actlab_format::run::RunSummary",
        "actlab_train::pack::train_pack",
        "RunSummary::load",
        "summary.json",
        "crates/actlab-train/src/epochs.rs",
        "configs/",
        "Experiment",
    ] {
        assert_eq!(unresolved(real, &index), None, "{real}");
    }
    for fake in [
        "actlab_format::run::NoSuchThing",
        "actlab_nothing::x",
        "NoSuchType",
        "RunSummary::no_such_method",
        "RunSummary::build",
        "pack::finish",
        "no_such_function()",
        "crates/actlab-train/src/nothing.rs",
        "nothing-written.csv",
    ] {
        assert!(unresolved(fake, &index).is_some(), "{fake} resolved");
    }
}

#[test]
fn no_function_outside_tests_is_longer_than_120_lines() {
    let mut long = Vec::new();
    let root = root();
    for file in rust_files(&root.join("crates")) {
        let relative = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .into_owned();
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let test_file = relative.contains("/tests/")
            || name == "tests.rs"
            || name.ends_with("_tests.rs")
            || name == "build.rs";
        if test_file || !relative.contains("/src/") {
            continue;
        }
        let code = lex(&std::fs::read_to_string(&file).unwrap()).code;
        let tests = test_ranges(&code);
        for (at, word) in words(&code) {
            let in_test = tests.iter().any(|&(a, b)| (a..=b).contains(&at));
            let named = code[at + 2..]
                .trim_start()
                .starts_with(|c: char| c.is_alphabetic() || c == '_');
            if word != "fn" || !named || in_test {
                continue;
            }
            let Some((_, end)) = body_end(&code, at) else {
                continue;
            };
            let lines = code[at..=end].lines().count();
            if lines > MAX_FUNCTION_LINES {
                let line = code[..at].lines().count();
                long.push(format!("{relative}:{line}: {lines} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n  {}",
        long.join("\n  ")
    );
}
