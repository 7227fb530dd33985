//! Diagnostics and attribute paths in their tfplugin6 wire form.

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use super::pb::tfplugin6 as pb;

/// Converts every diagnostic, keeping their order.
pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.iter().map(diagnostic).collect()
}

pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        // An empty path would point Terraform at the whole block, which is
        // what leaving it out already means.
        attribute: d
            .attribute
            .as_ref()
            .filter(|p| !p.0.is_empty())
            .map(attribute_path),
    }
}

pub fn attribute_path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps =
        p.0.iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
    pb::AttributePath { steps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::attribute_path::step::Selector;

    #[test]
    fn paths_become_attribute_key_and_index_steps() {
        let p = AttributePath::attr("access_policy")
            .then_index(1)
            .then_attr("tags")
            .then_key("team");
        let got: Vec<_> = attribute_path(&p)
            .steps
            .into_iter()
            .map(|s| s.selector.unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                Selector::AttributeName("access_policy".into()),
                Selector::ElementKeyInt(1),
                Selector::AttributeName("tags".into()),
                Selector::ElementKeyString("team".into()),
            ]
        );
    }

    #[test]
    fn severities_summaries_and_paths_carry_over() {
        let mut d = Diagnostics::new();
        d.attribute_error(
            AttributePath::attr("endpoints").then_attr("eks"),
            "Invalid URL",
            "endpoints.eks must be an absolute http(s) URL.",
        );
        d.warning("Deprecated", "use x instead");
        d.attribute_error(AttributePath::root(), "Whole block", "");
        let out = diagnostics(&d);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(out[0].summary, "Invalid URL");
        assert_eq!(out[0].attribute.as_ref().unwrap().steps.len(), 2);
        assert_eq!(out[1].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(out[1].attribute.is_none());
        assert!(out[2].attribute.is_none(), "root paths are sent as no path");
    }
}
