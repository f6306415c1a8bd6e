//! The book (`docs/book/`) checked against the code, so the guide cannot silently rot: every
//! TOML block parses (and validates) as the config kind its fence claims, every `actlab …`
//! command line in a shell block parses with the real command line, every `--help` example is
//! in the book, every relative link and anchor of the book and the README resolves, and the
//! config reference's tables match the parser ([`reference`]).

mod configs;
mod links;
mod reference;

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};

use crate::Cli;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The book's chapters: every `.md` file of `docs/book/src/`, with its text.
fn chapters() -> Vec<(PathBuf, String)> {
    let dir = root().join("docs/book/src");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The chapters and the README (whose command lines and links are checked like theirs).
fn chapters_and_readme() -> Vec<(PathBuf, String)> {
    let readme = root().join("README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let mut files = chapters();
    files.push((readme, text));
    files
}

/// A fenced code block: its info string (` ```toml,sweep ` → `toml,sweep`), its first line's
/// number and its text.
struct Block {
    info: String,
    line: usize,
    text: String,
}

/// Every fenced block of `markdown` (fences of three or more backticks at a line's start).
fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                open = Some(Block {
                    info: line.trim_start().trim_start_matches('`').trim().to_string(),
                    line: i + 2,
                    text: String::new(),
                });
            }
            (Some(_), true) => found.extend(open.take()),
            (Some(block), false) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, false) => {}
        }
    }
    found
}

/// Every TOML block parses and validates as the kind its fence claims: `toml,experiment`,
/// `toml,sweep`, `toml,search` or `toml,diagnose` for whole files; `toml,<kind>-part` for a
/// fragment, merged over the smallest valid file of that kind (`,in=<section>` puts the
/// fragment's keys under that section). A TOML block that claims nothing is an error.
#[test]
fn every_toml_block_parses_as_the_config_kind_it_claims() {
    let mut checked = 0;
    for (path, text) in chapters() {
        for block in blocks(&text)
            .into_iter()
            .filter(|b| b.info.starts_with("toml"))
        {
            let place = format!("{}:{}", path.display(), block.line);
            let mut parts = block.info.split(',').skip(1);
            let kind = parts
                .next()
                .unwrap_or_else(|| panic!("{place}: say which config a TOML block is"));
            let under = parts.find_map(|p| p.strip_prefix("in="));
            let result = match kind.strip_suffix("-part") {
                Some(kind) => configs::check_part(kind, &block.text, under),
                None => configs::check(kind, &block.text),
            };
            if let Err(e) = result {
                panic!("{place} ({kind}): {e}\n{}", block.text);
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} TOML blocks: is the book there?"
    );
}

/// The command lines of a shell block (` ```sh `): continuation lines joined, comments cut, and
/// each `&&`/`;`/`|`-separated command that runs actlab (`actlab …`, `cargo run --release -- …`,
/// `target/release/actlab …`, after any `VAR=value`) as its arguments after the program.
fn actlab_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let line = line.trim().trim_start_matches("$ ");
        let words = shell_words(line);
        for command in words.split(|w| ["&&", "||", ";", "|"].contains(&w.as_str())) {
            let mut rest = command
                .iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .map(String::as_str);
            let args: Vec<String> = match rest.next() {
                Some("actlab" | "target/release/actlab" | "./target/release/actlab") => {
                    rest.map(str::to_string).collect()
                }
                Some("cargo") => {
                    let after: Vec<&str> = rest.collect();
                    match after.iter().position(|w| *w == "--") {
                        Some(i) if after[0] == "run" => {
                            after[i + 1..].iter().map(|s| s.to_string()).collect()
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            // Redirections end the arguments.
            let args = args
                .into_iter()
                .take_while(|w| !w.starts_with('>') && !w.starts_with("2>"))
                .collect();
            found.push(args);
        }
    }
    found
}

/// Splits a shell line into words: single and double quotes group, `#` at a word's start ends
/// the line, `&&`, `||`, `;` and `|` are words of their own.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            ';' | '|' | '&' if !in_word || word.is_empty() => {
                let mut op = c.to_string();
                if chars.peek() == Some(&c) {
                    op.push(c);
                    chars.next();
                }
                words.push(op);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Parses `args` (after the program) with the real command line and checks that the config
/// files they name under `configs/` exist: what is wrong, naming `place`.
fn check_command(place: &str, args: &[String]) -> Result<(), String> {
    let argv = std::iter::once("actlab".to_string()).chain(args.iter().cloned());
    if let Err(e) = Cli::try_parse_from(argv) {
        let first = e.to_string().lines().next().unwrap_or_default().to_string();
        return Err(format!("{place}: actlab {}: {first}", args.join(" ")));
    }
    match args
        .iter()
        .find(|a| a.starts_with("configs/") && !root().join(a).is_file())
    {
        Some(file) => Err(format!("{place}: no {file}")),
        None => Ok(()),
    }
}

/// Whether `args` hold a placeholder rather than a value (`SWEEP.toml`, `DIR`, `[--out DIR]`,
/// `i/N|auto`, `RUNS…`): a synopsis, not a command line.
fn is_synopsis(args: &[String]) -> bool {
    args.iter().any(|a| {
        a.contains(['[', '<', '…', '|']) || a.starts_with(|c: char| c.is_ascii_uppercase())
    })
}

/// The inline code spans of `markdown`'s prose (outside fenced blocks).
fn inline_code(markdown: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut fence = false;
    let mut prose = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if !fence {
            prose.push_str(line);
            prose.push(' ');
        }
    }
    spans.extend(prose.split('`').skip(1).step_by(2).map(str::to_string));
    spans
}

/// Every actlab command line in the shell blocks of the book and the README parses with the
/// real command line, and every config file it names under `configs/` exists; so does every
/// command written inline in prose (`` `actlab compare configs/sweep.toml --jobs 2` ``), unless
/// it is a synopsis with placeholders.
#[test]
fn every_command_line_in_the_book_parses() {
    let (mut checked, mut inline, mut wrong) = (0, 0, Vec::new());
    for (path, text) in chapters_and_readme() {
        for block in blocks(&text) {
            if !["sh", "bash", "console", "shell"].contains(&block.info.as_str()) {
                continue;
            }
            for args in actlab_commands(&block.text) {
                let place = format!("{}:{}", path.display(), block.line);
                wrong.extend(check_command(&place, &args).err());
                checked += 1;
            }
        }
        for span in inline_code(&text) {
            // A command's name (`actlab summary`, `actlab train --resume`) names it in prose;
            // it does not run it.
            let commands = actlab_commands(&span);
            let named = |a: &Vec<String>| {
                let argv = std::iter::once("actlab").chain(a.iter().map(String::as_str));
                a.len() < 2
                    || a.last().is_some_and(|w| w.starts_with('-'))
                    || Cli::try_parse_from(argv)
                        .is_err_and(|e| e.kind() == clap::error::ErrorKind::MissingRequiredArgument)
            };
            for args in commands.iter().filter(|a| !named(a) && !is_synopsis(a)) {
                let place = format!("{}: `{span}`", path.display());
                wrong.extend(check_command(&place, args).err());
                inline += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        checked >= 20 && inline >= 20,
        "only {checked} command lines and {inline} inline commands: is the book there?"
    );
}

/// The splitter and the extraction themselves.
#[test]
fn command_lines_are_read_as_a_shell_would() {
    assert_eq!(
        shell_words(r#"A=1 actlab new sweep m.toml --activations "relu,x * y" # comment"#),
        [
            "A=1",
            "actlab",
            "new",
            "sweep",
            "m.toml",
            "--activations",
            "relu,x * y"
        ]
    );
    let found = actlab_commands(
        "cargo run --release -- compare s.toml --jobs 2   # trains\n\
         actlab report runs/s \\\n  --out r && ls r | head\n\
         echo actlab\n\
         RAYON_NUM_THREADS=1 target/release/actlab train c.toml > log 2>&1\n",
    );
    let want: Vec<Vec<&str>> = vec![
        vec!["compare", "s.toml", "--jobs", "2"],
        vec!["report", "runs/s", "--out", "r"],
        vec!["train", "c.toml"],
    ];
    assert_eq!(found, want);
    let words = |line: &str| shell_words(line);
    assert!(is_synopsis(&words("compare SWEEP.toml [--out DIR]")));
    assert!(is_synopsis(&words("compare s.toml --shard i/N|auto")));
    assert!(!is_synopsis(&words(
        "compare configs/sweep.toml --shard 1/2"
    )));
    assert_eq!(
        inline_code("run `actlab a` then\n```sh\n`not` this\n```\nand `b c`\n"),
        ["actlab a", "b c"]
    );
}

/// `--help`'s examples are the book's: each is a command line of the book (whitespace aside).
#[test]
fn every_help_example_is_in_the_book() {
    let mut book = std::collections::BTreeSet::new();
    for (_, text) in chapters() {
        for block in blocks(&text) {
            book.extend(
                actlab_commands(&block.text)
                    .into_iter()
                    .map(|a| a.join(" ")),
            );
        }
    }
    for sub in Cli::command().get_subcommands() {
        let help = sub
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        for example in help
            .lines()
            .filter_map(|l| l.trim().strip_prefix("actlab "))
        {
            let example = shell_words(example).join(" ");
            assert!(
                book.contains(&example),
                "`actlab {example}` (`actlab {} --help`) is not in the book",
                sub.get_name()
            );
        }
    }
}

/// The first comparison's file in Getting started is what `actlab new sweep` writes for the
/// command shown above it.
#[test]
fn the_first_comparisons_file_is_what_new_sweep_writes() {
    let path = root().join("docs/book/src/getting-started.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let all = blocks(&text);
    let command = all
        .iter()
        .flat_map(|b| actlab_commands(&b.text))
        .find(|a| a.starts_with(&["new".to_string(), "sweep".to_string()]))
        .expect("a `new sweep` command line");
    assert_eq!(command[2..4], ["mine.toml", "--activations"], "{command:?}");
    let (written, _) =
        crate::new::sweep_file(&command[4], 5, "relu", Path::new("mine.toml")).unwrap();
    let shown = all
        .iter()
        .find(|b| b.info == "toml,sweep")
        .expect("the file it wrote");
    assert_eq!(shown.text, written, "{}", path.display());
}
