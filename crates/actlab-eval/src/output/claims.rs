//! The claims as a section of `report.md`.

use crate::claims::Claim;

/// The claims as a Markdown section.
pub fn markdown(claims: &[Claim]) -> String {
    let mut md = String::from(
        "\n## The article's claims\n\n| | claim | evidence | verdict |\n|---|---|---|---|\n",
    );
    for c in claims {
        md.push_str(&format!(
            "| ({}) | {} | {} | **{}** |\n",
            c.id, c.claim, c.evidence, c.verdict
        ));
    }
    md.push_str(
        "\nVerdicts use the 0.05 level where a test applies (paired over shared seeds, Welch \
         otherwise); \"inconclusive\" means the data cannot tell at this sample size, not that \
         the claim is false.\n",
    );
    md
}
