use super::*;

#[test]
fn actlabs_markdown_becomes_html_with_tables_headings_lists_and_escaping() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plot.svg"),
        "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\"><line x1=\"0\"/></svg>\n",
    )
    .unwrap();
    let md = "# Activation comparison\n\nTwo lines of\none **bold** paragraph with `code`.\n\n\
              | activation | mean acc % |\n|---|---|\n| relu | 87.66 |\n| x<y & \"z\" | 9.5 |\n\n\
              - first item\n- second\n\n## Claims\n\n![a plot](plot.svg)\n\n![gone](missing.svg)\n";
    let html = render(md, dir.path());
    assert!(html.contains("<h1>Activation comparison</h1>"), "{html}");
    assert!(html.contains("<h2>Claims</h2>"));
    assert!(html.contains(
        "<p>Two lines of one <strong>bold</strong> paragraph with <code>code</code>.</p>"
    ));
    assert!(html.contains("<thead><tr><th title=\"click to sort\">activation</th>"));
    // The separator row is not a row; the cells are escaped.
    assert_eq!(html.matches("<tr>").count(), 3, "{html}");
    assert!(html.contains("<td>x&lt;y &amp; &quot;z&quot;</td><td>9.5</td>"));
    assert!(html.contains("<ul>\n<li>first item</li>\n<li>second</li>\n</ul>"));
    // The plot is inline, without its XML declaration; a missing one says so.
    assert!(html.contains("<figure class=\"plot\" data-file=\"plot.svg\"><svg width=\"10\""));
    assert!(!html.contains("<?xml"));
    assert!(html.contains("(gone: missing.svg is missing)"));
}

#[test]
fn links_are_relative_to_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("sweep/report");
    let run = dir.path().join("sweep/relu-s1");
    std::fs::create_dir_all(&report).unwrap();
    std::fs::create_dir_all(&run).unwrap();
    assert_eq!(relative(&report, &run), PathBuf::from("../relu-s1"));
    assert_eq!(
        relative(&report, &dir.path().join("other/deep/run")),
        PathBuf::from("../../other/deep/run")
    );
}

#[test]
fn the_page_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let page = page("# T\n\n| a |\n|---|\n| 1 |\n", &[], dir.path());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("default-src 'none'"),
        "no request may leave the page"
    );
    for outside in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(outside), "{outside}");
    }
}
