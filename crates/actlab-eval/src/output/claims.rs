//! The claims as a section of `report.md`.

use crate::claims::Claim;

/// The claims as a Markdown section.
pub fn markdown(claims: &[Claim]) -> String {
    let mut md = String::from(
        "\n## The article's claims\n\n| | claim | evidence | verdict |\n|---|---|---|---|\n",
    );
    // A `|` inside a cell (|f′| in the evidence) would end it: GitHub's tables take `\|`.
    let cell = |text: &str| text.replace('|', "\\|");
    for c in claims {
        md.push_str(&format!(
            "| ({}) | {} | {} | **{}** |\n",
            c.id,
            cell(c.claim),
            cell(&c.evidence),
            c.verdict
        ));
    }
    md.push_str(
        "\nVerdicts use the 0.05 level where a test applies (paired over shared seeds, Welch \
         otherwise); \"inconclusive\" means the data cannot tell at this sample size, not that \
         the claim is false.\n",
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Verdict;

    #[test]
    fn bars_in_the_evidence_stay_inside_their_cell() {
        let md = markdown(&[Claim {
            id: 'b',
            claim: "Some units die.",
            evidence: "dead (|f′| ≤ 1e-6): 12%".into(),
            verdict: Verdict::Supported,
        }]);
        let row = md
            .lines()
            .find(|l| l.starts_with("| (b)"))
            .unwrap_or_default();
        assert_eq!(
            row,
            "| (b) | Some units die. | dead (\\|f′\\| ≤ 1e-6): 12% | **supported** |"
        );
        // Four cells: the unescaped bars are the five borders.
        let borders = row
            .match_indices('|')
            .filter(|(i, _)| !row[..*i].ends_with('\\'));
        assert_eq!(borders.count(), 5);
    }
}
