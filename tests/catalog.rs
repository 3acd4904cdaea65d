//! The registry, `rules/`, the generated docs and the JSON schemas agree. Regenerate the docs with
//! `SSM_CHECK_BLESS=1 cargo test --test catalog`.

use ssm_check::rules::{all, Mode};
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `path` with `expected`, or rewrites it when blessing.
fn in_step(path: &str, expected: &str) {
    let file = root().join(path);
    if std::env::var_os("SSM_CHECK_BLESS").is_some() {
        std::fs::write(&file, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        actual == expected,
        "{path} is out of date: run `SSM_CHECK_BLESS=1 cargo test --test catalog`"
    );
}

#[test]
fn registry_and_rule_files_agree() {
    let registered: BTreeSet<String> = all().iter().map(|r| r.id.to_string()).collect();
    let files: BTreeSet<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
        .collect();
    assert_eq!(
        registered, files,
        "src/rules/registry.rs and rules/*.toml list different rules"
    );
    for rule in all() {
        let meta = rule.meta();
        assert_eq!(
            meta.id, rule.id,
            "rules/{}.toml says its id is {}",
            rule.id, meta.id
        );
        assert!(
            !meta.title.is_empty()
                && !meta.checks.trim().is_empty()
                && !meta.rationale.trim().is_empty()
        );
        assert!(
            !meta.remediation.trim().is_empty(),
            "{} has no remediation",
            rule.id
        );
        assert!(!meta.references.is_empty(), "{} cites nothing", rule.id);
        assert!(!meta.modes.is_empty(), "{} applies to no mode", rule.id);
    }
}

#[test]
fn every_mode_has_its_rules() {
    for mode in Mode::ALL {
        let n = all().iter().filter(|r| r.meta().applies_to(mode)).count();
        assert!(n >= 30, "{mode:?} has only {n} rules");
    }
    assert!(
        all().iter().any(|r| r.meta().modes == [Mode::Ssh]),
        "no SSH-only rule"
    );
}

#[test]
fn rules_reference_is_generated_from_the_registry() {
    in_step("docs/rules.md", &ssm_check::render::catalog::markdown());
}

#[test]
fn json_schemas_are_current() {
    let facts = serde_json::to_string_pretty(&schemars::schema_for!(ssm_check::facts::Facts))
        .unwrap()
        + "\n";
    in_step("docs/facts.schema.json", &facts);
    let report = serde_json::to_string_pretty(&schemars::schema_for!(ssm_check::report::Report))
        .unwrap()
        + "\n";
    in_step("docs/report.schema.json", &report);
}
