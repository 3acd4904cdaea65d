//! A small property test over mutated examples: whatever a facts document holds — a value of another type, a
//! missing field, a huge number, control characters, an emptied list — loading it either fails with an error or
//! yields reports that every format — the table and fleet table too — renders, with no panic. Deterministic (a fixed seed),
//! so a failure names the example and mutation that caused it.

use serde_json::{json, Value};
use ssm_check::facts;
use ssm_check::options::{Mode, Options};
use ssm_check::render;
use ssm_check::rules::{self, Gate, Status};
use std::path::Path;

/// xorshift64*: enough randomness to spread mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values a mutation puts in place of another.
fn replacement(rng: &mut Rng) -> Value {
    let pick = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(u64::MAX),
        json!(1e308),
        json!(""),
        json!("\u{1b}]0;pwned\u{7}\u{1b}[2J\u{2028}\u{85}"),
        json!("x".repeat(10_000)),
        json!([]),
        json!({}),
        json!(["i-0123456789abcdef0", 7, null]),
        json!({"status": "known", "value": null}),
        json!({"status": "unavailable", "reason": {"kind": "error", "message": "\u{0}"}}),
        json!("0.0.0.0/0"),
        json!("3.3.9999999999.0"),
    ];
    pick[rng.below(pick.len())].clone()
}

/// Every path (object keys and array indexes) in `v`, depth first.
fn paths(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            at.push(json!(k));
            paths(c, at, out);
            at.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            at.push(json!(i));
            paths(c, at, out);
            at.pop();
        }),
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

/// One mutation of `doc`: replace a value, remove a field or element, or duplicate an array's elements.
fn mutate(doc: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let path = all[1 + rng.below(all.len() - 1)].clone();
    let (last, parent) = path.split_last().expect("not the root");
    let kind = rng.below(3);
    let Some(parent) = at_mut(doc, parent) else {
        return;
    };
    match (kind, parent, last) {
        (0, Value::Object(m), Value::String(k)) => {
            m.remove(k);
        }
        (0, Value::Array(a), Value::Number(i)) => {
            a.remove(i.as_u64().unwrap() as usize);
        }
        (1, Value::Array(a), _) => {
            let copy = a.clone();
            a.extend(copy);
        }
        (_, parent, _) => {
            if let Some(v) = at_mut(parent, std::slice::from_ref(last)) {
                *v = replacement(rng);
            }
        }
    }
}

#[test]
fn mutated_examples_load_or_fail_cleanly_and_always_render() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("index.json"))
        .collect();
    files.push(dir.join("fleet/us-east-1.json"));
    files.sort();
    let mut rng = Rng(0x5eed_0f55_c0de_cafe);
    let gate = Gate::new(&[Status::Warn, Status::Unknown]);
    let (mut loaded, mut refused) = (0, 0);
    for file in &files {
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for round in 0..12 {
            let mut doc = original.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut doc, &mut rng);
            }
            let text = doc.to_string();
            let mode = Mode::ALL[rng.below(4)];
            let options = Options {
                mode,
                port: Some(3389),
                remote_host: (mode == Mode::RemotePort).then(|| "db.internal".to_string()),
            };
            let outcome = std::panic::catch_unwind(|| {
                let Ok(doc) = facts::parse_document(&text, "mutated.json") else {
                    return false;
                };
                let reports = rules::evaluate_document(&doc, &options);
                for r in &reports {
                    let line = render::json_line(r);
                    assert!(!line.contains('\n'));
                    serde_json::from_str::<Value>(&render::json(r)).expect("the report is JSON");
                }
                let style = render::table::Style {
                    color: true,
                    fit_terminal: false,
                    verbose: true,
                };
                for r in &reports {
                    let text = render::table::render(r, &style);
                    // Every escape sequence is the renderer's own colour, never one from the facts.
                    assert!(
                        text.split('\x1b')
                            .skip(1)
                            .all(|s| s.starts_with("[1;") || s.starts_with("[0m")),
                        "a control sequence from the facts reached the table"
                    );
                }
                render::fleet::table(&reports, &style);
                render::junit::render(&reports, &gate);
                render::github::render(&reports, &gate);
                render::markdown::render(&reports, &gate);
                let mut fleet = Vec::new();
                render::write_fleet_json(&mut fleet, &reports, &options).unwrap();
                true
            });
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("{} round {round}: a panic on {text:.2000}", file.display()),
            }
        }
    }
    // Both sides are exercised: mutations that still load, and some that the loader refuses.
    assert!(
        loaded > 100 && refused > 100,
        "{loaded} loaded, {refused} refused"
    );
}
