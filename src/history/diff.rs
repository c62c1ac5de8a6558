//! Which fields changed between two versions of a document's content, as field paths
//! (`lines[2].amount`), for the history.

use serde_json::Value;

pub fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let mut changed = Vec::new();
    walk("", before, after, &mut changed);
    changed
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: &str, before: &Value, after: &Value, changed: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort();
            for key in keys {
                let (x, y) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                walk(&join(path, key), x, y, changed);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let (x, y) = (a.get(i).unwrap_or(&Value::Null), b.get(i).unwrap_or(&Value::Null));
                walk(&format!("{path}[{i}]"), x, y, changed);
            }
        }
        (x, y) if x != y => changed.push(if path.is_empty() {
            "$".to_owned()
        } else {
            path.to_owned()
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_each_changed_leaf() {
        let before =
            json!({"lines": [{"amount": "10.00", "title": "A"}, {"amount": "5.00", "title": "B"}], "note": "x"});
        let after = json!({"lines": [{"amount": "12.00", "title": "A"}], "note": "x", "extra": true});
        // A removed line is one change, not one per field.
        assert_eq!(
            changed_fields(&before, &after),
            ["extra", "lines[0].amount", "lines[1]"]
        );
        assert!(changed_fields(&before, &before).is_empty());
    }
}
