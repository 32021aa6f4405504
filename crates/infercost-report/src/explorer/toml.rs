//! The explorer's "Copy scenario": the plan's scenario written back as TOML, in pieces the script joins around the
//! selection (one deployment, the chosen volume, context and burst, `[[price]]` entries for changed prices).

use infercost_cost::Plan;
use infercost_plan::result::PlanResult;
use serde_json::{json, Map, Value};

/// A plan as a `[[price]]` entry of a scenario, its price left as `@PRICE@` for the script to fill in.
pub(super) fn price(p: &Plan) -> String {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("usd_per_gpu_hour".into(), json!("@PRICE@"));
    }
    format!("\n[[price]]\n{}", toml_table(&v)).replace("\"@PRICE@\"", "@PRICE@")
}

/// The scenario's sections as TOML, split where the script puts the selection: `head` ([pilot]), one
/// `[[deployment]]` block per deployment, `gpus` (the sweep's GPUs and plans) and `tail` (the rest).
pub(super) fn scenario(r: &PlanResult) -> Value {
    let v = serde_json::to_value(&r.scenario).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let mut pilot = Map::new();
    for k in ["trace", "format", "where", "diurnal", "users"] {
        pilot.insert(k.into(), get(k));
    }
    let head = format!(
        "# infercost scenario: the explorer's selection in {}\n[pilot]\n{}",
        esc_toml_comment(&r.pilot.trace),
        toml_table(&Value::Object(pilot))
    );
    let deps: Vec<String> = match get("deployments") {
        Value::Array(a) => a
            .iter()
            .map(|d| format!("\n[[deployment]]\n{}", toml_table(d)))
            .collect(),
        _ => Vec::new(),
    };
    let mut gpus = Map::new();
    gpus.insert("gpus".into(), get("gpus"));
    let plans = get("plans");
    gpus.insert(
        "plans".into(),
        if plans.as_array().is_some_and(|a| a.is_empty()) {
            json!("all")
        } else {
            plans
        },
    );
    if get("mix") == json!(true) {
        gpus.insert("mix".into(), json!(true));
    }
    let mut tail = String::new();
    tail.push_str(&format!("\n[slo]\n{}", toml_table(&get("slo"))));
    tail.push_str(&format!("\n[engine]\n{}", toml_table(&get("engine"))));
    let mut sim = Map::new();
    sim.insert("seed".into(), get("seed"));
    sim.insert("group_replicas".into(), get("group_replicas"));
    tail.push_str(&format!("\n[sim]\n{}", toml_table(&Value::Object(sim))));
    if !get("geography").is_null() {
        tail.push_str(&format!("\n[geography]\n{}", toml_table(&get("geography"))));
    }
    tail.push_str(&format!(
        "\n[egress_model]\n{}",
        toml_table(&get("egress_model"))
    ));
    json!({"head": head, "deps": deps, "gpus": toml_table(&Value::Object(gpus)), "tail": tail})
}

fn esc_toml_comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A JSON object's fields as `key = value` lines (nulls and empty lists of filters left out).
fn toml_table(v: &Value) -> String {
    let Some(m) = v.as_object() else {
        return String::new();
    };
    m.iter()
        .filter(|(_, x)| !x.is_null())
        .map(|(k, x)| format!("{k} = {}\n", toml_value(x)))
        .collect()
}

/// A JSON value as a TOML value: strings in basic quotes (JSON escapes are TOML's), objects inline.
fn toml_value(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| format!("{} = {}", toml_key(k), toml_value(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Number(n) => match n.as_f64() {
            // TOML wants a float for these fields; 50 and 50.0 both read back as the same number.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_read_back() {
        assert_eq!(toml_value(&json!([1.0, 2.5])), "[1.0, 2.5]");
        assert_eq!(toml_value(&json!({"eu": ["eu"]})), "{ eu = [\"eu\"] }");
        assert_eq!(toml_value(&json!({"a b": 1})), "{ \"a b\" = 1 }");
        assert_eq!(toml_value(&json!("x\"y")), "\"x\\\"y\"");
    }
}
