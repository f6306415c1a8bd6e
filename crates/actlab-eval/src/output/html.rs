//! `report.html`: `report.md` as one self-contained web page — every plot inline as SVG, every
//! table sortable by clicking a column header, plus each run's learned activation parameters
//! and a link to its directory. No network requests: a Content-Security-Policy forbids them.
//!
//! The page is rendered from the Markdown actlab itself writes (headings, paragraphs, lists,
//! pipe tables, `**bold**`, `` `code` ``, one image per line), so the two files never say
//! different things. (pulldown-cmark would do the rendering, but it turns on memchr's `default`
//! feature, which rebuilds serde_json, regex and with them all of Burn.)

use std::path::{Component, Path, PathBuf};

use crate::report::RunRecord;

/// Appends `c`, escaped for HTML.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Escaped text with `**bold**` and `` `code` `` rendered.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut rest = text;
    while !rest.is_empty() {
        if !code && rest.starts_with("**") {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
        } else if rest.starts_with('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[1..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            push_escaped(&mut out, c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

fn cells(line: &str) -> Vec<&str> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = line.strip_suffix('|').unwrap_or(line);
    line.split('|').map(str::trim).collect()
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = String::from("<table class=\"sortable\">\n<thead><tr>");
    for h in header {
        html.push_str(&format!("<th title=\"click to sort\">{}</th>", inline(h)));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<td>{cell}</td>"));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// An SVG file's markup, without its XML declaration, to sit inside the page; `None` when it
/// cannot be read.
fn inline_svg(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let start = text.find("<svg")?;
    Some(text[start..].to_string())
}

/// Renders actlab's own Markdown (see the module note) into HTML; images are inlined from
/// `dir`.
pub fn render(markdown: &str, dir: &Path) -> String {
    let mut html = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Vec<&str> = Vec::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let flush = |html: &mut String, paragraph: &mut Vec<&str>, list: &mut Vec<&str>| {
        if !paragraph.is_empty() {
            html.push_str(&format!("<p>{}</p>\n", inline(&paragraph.join(" "))));
            paragraph.clear();
        }
        if !list.is_empty() {
            html.push_str("<ul>\n");
            for item in list.iter() {
                html.push_str(&format!("<li>{}</li>\n", inline(item)));
            }
            html.push_str("</ul>\n");
            list.clear();
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if trimmed.starts_with('|') {
            flush(&mut html, &mut paragraph, &mut list);
            let header = cells(trimmed);
            let mut rows = Vec::new();
            i += 1;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                let row = cells(lines[i]);
                if !row
                    .iter()
                    .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
                {
                    rows.push(row.iter().map(|c| inline(c)).collect());
                }
                i += 1;
            }
            html.push_str(&table(&header, &rows));
            continue;
        }
        if let Some(image) = trimmed
            .strip_prefix("![")
            .and_then(|rest| rest.split_once("]("))
            .and_then(|(alt, rest)| rest.strip_suffix(')').map(|file| (alt, file)))
        {
            flush(&mut html, &mut paragraph, &mut list);
            let (alt, file) = image;
            match inline_svg(&dir.join(file)) {
                Some(svg) => html.push_str(&format!(
                    "<figure class=\"plot\" data-file=\"{}\">{svg}<figcaption>{}</figcaption></figure>\n",
                    escape(file),
                    escape(alt)
                )),
                None => html.push_str(&format!("<p>({}: {} is missing)</p>\n", escape(alt), escape(file))),
            }
        } else if let Some((level, text)) = heading(trimmed) {
            flush(&mut html, &mut paragraph, &mut list);
            html.push_str(&format!("<h{level}>{}</h{level}>\n", inline(text)));
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            if !paragraph.is_empty() {
                flush(&mut html, &mut paragraph, &mut Vec::new());
            }
            list.push(item);
        } else if trimmed.is_empty() {
            flush(&mut html, &mut paragraph, &mut list);
        } else {
            paragraph.push(trimmed);
        }
        i += 1;
    }
    flush(&mut html, &mut paragraph, &mut list);
    html
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    let text = line.get(level..)?.strip_prefix(' ')?;
    (1..=4).contains(&level).then_some((level, text))
}

/// `to` relative to the directory `from` (`../relu-s1`), for links that survive moving the
/// whole sweep; the absolute path when there is no common root.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (absolute(from), absolute(to));
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return to;
    }
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to_parts[common..] {
        path.push(part.as_os_str());
    }
    path
}

fn values(list: &[f32]) -> String {
    const SHOWN: usize = 6;
    let mut text: Vec<String> = list.iter().take(SHOWN).map(|v| format!("{v:.4}")).collect();
    if list.len() > SHOWN {
        text.push(format!("… ({} values)", list.len()));
    }
    text.join(", ")
}

/// The "Runs" section: every run with its numbers, learned activation parameters and a link
/// to its directory (relative to `out`).
pub fn runs_section(runs: &[RunRecord], out: &Path) -> String {
    let header = [
        "run",
        "activation",
        "seed",
        "lr",
        "test acc %",
        "best val %",
        "learned parameters (per hidden layer)",
    ];
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            let s = &run.summary;
            let link = relative(out, &run.dir);
            let link = link.to_string_lossy();
            let learned: Vec<String> = match (&s.prelu_slopes, &s.swish_beta, &s.learned_params) {
                (Some(slopes), _, _) => slopes
                    .iter()
                    .map(|l| format!("PReLU slope {}", values(l)))
                    .collect(),
                (_, Some(beta), _) => vec![format!("Swish β {}", values(beta))],
                (_, _, Some(params)) => params.iter().map(|l| values(l)).collect(),
                _ => Vec::new(),
            };
            vec![
                format!("<a href=\"{}/\">{}</a>", escape(&link), escape(&s.name)),
                escape(&s.activation_label),
                s.seed.to_string(),
                s.lr.to_string(),
                format!("{:.2}", 100.0 * s.test_accuracy),
                s.best_val_accuracy
                    .map_or("–".into(), |v| format!("{:.2}", 100.0 * v)),
                escape(&learned.join("; ")),
            ]
        })
        .collect();
    format!(
        "<h2>Runs and learned parameters</h2>\n<p>Each run's directory holds its config.toml, \
         metrics.csv, summary.json, model.bpk and tensorboard/ events.</p>\n{}",
        table(&header, &rows)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;\
padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:0.3em 0.5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:' ▲'}\
th[aria-sort=descending]::after{content:' ▼'}figure.plot{margin:1.5em 0}\
figure.plot svg{max-width:100%;height:auto}figcaption{color:#555}code{background:#f5f5f5}";

/// Sorts a table's body by a clicked header: numerically when every cell of the column starts
/// with a number (signs, `[`, `−` allowed), else as text; a second click reverses.
const SCRIPT: &str = r#"
function actlabNumber(text) {
  const m = text.replace(/\u2212/g, '-').match(/^[\s\[(]*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i);
  return m ? parseFloat(m[1]) : NaN;
}
function actlabSort(th) {
  const table = th.closest('table');
  const body = table.tBodies[0];
  const column = Array.prototype.indexOf.call(th.parentNode.children, th);
  const ascending = th.getAttribute('aria-sort') !== 'ascending';
  for (const other of th.parentNode.children) other.removeAttribute('aria-sort');
  th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  const rows = Array.from(body.rows);
  const cell = r => (r.cells[column] ? r.cells[column].textContent.trim() : '');
  const numeric = rows.every(r => !isNaN(actlabNumber(cell(r))));
  rows.sort((a, b) => {
    const x = cell(a), y = cell(b);
    const order = numeric ? actlabNumber(x) - actlabNumber(y) : x.localeCompare(y);
    return ascending ? order : -order;
  });
  for (const r of rows) body.appendChild(r);
}
document.addEventListener('DOMContentLoaded', () => {
  for (const th of document.querySelectorAll('table.sortable th')) {
    th.addEventListener('click', () => actlabSort(th));
  }
});
"#;

/// The whole page: `markdown` rendered (plots inlined from `out`), then the runs section.
pub fn page(markdown: &str, runs: &[RunRecord], out: &Path) -> String {
    wrap(
        "Activation comparison",
        &format!("{}{}", render(markdown, out), runs_section(runs, out)),
    )
}

/// A page of `markdown` alone (plots inlined from `out`), titled `title`.
pub fn document(title: &str, markdown: &str, out: &Path) -> String {
    wrap(title, &render(markdown, out))
}

fn wrap(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests;
