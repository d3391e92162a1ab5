//! The Go-template subset `--format` uses: `{{.Field.Sub}}`, `{{json .}}`, `{{json .X}}`,
//! literal text between actions.

use serde_json::Value;

fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = doc;
    for part in path.trim_start_matches('.').split('.').filter(|p| !p.is_empty()) {
        v = v.get(part)?;
    }
    Some(v)
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<no value>".into(),
        Value::Array(items) => format!("[{}]", items.iter().map(plain).collect::<Vec<_>>().join(" ")),
        Value::Object(_) => format!("map[{}]", v.as_object().map(|m| m.iter().map(|(k, x)| format!("{k}:{}", plain(x))).collect::<Vec<_>>().join(" ")).unwrap_or_default()),
        other => other.to_string(),
    }
}

/// Renders `template` against a JSON document.
pub fn render(template: &str, doc: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let action = rest[start + 2..start + end].trim();
        if let Some(arg) = action.strip_prefix("json") {
            let v = lookup(doc, arg.trim()).cloned().unwrap_or(Value::Null);
            out.push_str(&serde_json::to_string(&v).unwrap_or_default());
        } else if action.starts_with('.') {
            out.push_str(&lookup(doc, action).map(plain).unwrap_or_else(|| "<no value>".into()));
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders() {
        let doc = serde_json::json!({"State": {"ExitCode": 3, "Status": "exited"}, "Name": "/web"});
        assert_eq!(super::render("{{.State.ExitCode}} {{.Name}}", &doc), "3 /web");
        assert_eq!(super::render("{{json .State}}", &doc), r#"{"ExitCode":3,"Status":"exited"}"#);
    }
}
