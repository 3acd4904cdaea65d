//! The registry, `rules/`, the generated docs and the JSON schemas agree. Regenerate the docs with
//! `SSM_CHECK_BLESS=1 cargo test --test catalog`.

use ssm_check::options::Mode;
use ssm_check::rules::{all, files};
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
fn every_rule_file_is_registered_once() {
    // build.rs has already refused malformed files; here: none is left out of the registry, none is in twice.
    let registered: Vec<&str> = all().iter().map(|r| r.id()).collect();
    let unique: BTreeSet<&str> = registered.iter().copied().collect();
    assert_eq!(unique.len(), registered.len(), "a rule is registered twice");
    let files: BTreeSet<&str> = files().iter().map(|m| m.id).collect();
    assert_eq!(
        unique, files,
        "src/rules/registry.rs and rules/*.toml list different rules"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
        .collect();
    assert_eq!(on_disk.len(), files.len());
}

#[test]
fn every_rule_has_its_own_check_file_named_by_its_id() {
    // One rule, one file: rules/<id>.toml beside src/rules/checks/<id with _>.rs, and the registry binds each id
    // to the check of its own file.
    let ids: BTreeSet<String> = files().iter().map(|m| m.id.replace('-', "_")).collect();
    let checks: BTreeSet<String> = std::fs::read_dir(root().join("src/rules/checks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "mod.rs")
        .map(|n| n.trim_end_matches(".rs").to_string())
        .collect();
    let without_file: Vec<_> = ids.difference(&checks).collect();
    let without_toml: Vec<_> = checks.difference(&ids).collect();
    assert!(
        without_file.is_empty() && without_toml.is_empty(),
        "rules without src/rules/checks/<id>.rs: {without_file:?}; check files without rules/<id>.toml: {without_toml:?}"
    );
    let registry = std::fs::read_to_string(root().join("src/rules/registry.rs")).unwrap();
    for id in &ids {
        let line = format!("rule!({}, {id}::check)", id.to_uppercase());
        assert!(
            registry.contains(&line),
            "src/rules/registry.rs should bind {id} to its own file: `{line}`"
        );
    }
}

#[test]
fn the_registry_keeps_each_area_together() {
    // The table groups findings by area in registry order: an area split in two would print twice.
    let mut seen = Vec::new();
    for rule in all() {
        let area = rule.meta.area;
        if seen.last() != Some(&area) {
            assert!(
                !seen.contains(&area),
                "{} is registered apart from the other {} rules",
                rule.id(),
                area.as_str()
            );
            seen.push(area);
        }
    }
}

#[test]
fn every_mode_has_its_rules() {
    for mode in Mode::ALL {
        let n = all().iter().filter(|r| r.meta.applies_to(mode)).count();
        assert!(n >= 30, "{mode:?} has only {n} rules");
    }
    assert!(
        all().iter().any(|r| r.meta.modes == [Mode::Ssh]),
        "no SSH-only rule"
    );
}

#[test]
fn rules_reference_is_generated_from_the_registry() {
    in_step("docs/rules.md", &ssm_check::render::catalog::markdown());
}

#[test]
fn error_messages_reference_is_generated_from_the_table() {
    in_step("docs/errors.md", &ssm_check::messages::markdown());
}

#[test]
fn json_schemas_are_current() {
    let facts = serde_json::to_string_pretty(&schemars::schema_for!(ssm_check::facts::Facts))
        .unwrap()
        + "\n";
    in_step("docs/facts.schema.json", &facts);
    let report =
        serde_json::to_string_pretty(&schemars::schema_for!(ssm_check::report::v1::Report))
            .unwrap()
            + "\n";
    in_step("docs/report.schema.json", &report);
    let fleet = serde_json::to_string_pretty(&schemars::schema_for!(ssm_check::facts::Fleet))
        .unwrap()
        + "\n";
    in_step("docs/fleet-facts.schema.json", &fleet);
    let fleet_report = serde_json::to_string_pretty(&schemars::schema_for!(
        ssm_check::report::fleet::FleetReport
    ))
    .unwrap()
        + "\n";
    in_step("docs/fleet-report.schema.json", &fleet_report);
}

#[test]
fn the_readme_installs_from_the_package_s_repository() {
    let repo = env!("CARGO_PKG_REPOSITORY");
    let path = repo
        .strip_prefix("https://github.com/")
        .expect("a GitHub repository");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut named = 0;
    for (i, _) in readme.match_indices("https://github.com/") {
        let url: String = readme[i..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | '"' | '`'))
            .collect();
        if url.contains("/releases") {
            assert!(url.starts_with(&format!("{repo}/releases/")), "{url}");
            named += 1;
        }
    }
    assert!(named >= 2, "the installers' lines");
    assert!(readme.contains(&format!("- uses: {path}@v{}", env!("CARGO_PKG_VERSION"))));
    let dist = std::fs::read_to_string(root().join("dist-workspace.toml")).unwrap();
    let owner = path.split('/').next().unwrap();
    assert!(dist.contains(&format!("tap = \"{owner}/homebrew-tap\"")));
    assert!(readme.contains(&format!("brew install {owner}/tap/ssm-check")));
}
